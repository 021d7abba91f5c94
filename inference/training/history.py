"""Per-epoch record of a training run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["History"]


@dataclass
class History:
    """What :meth:`Trainer.fit <inference.training.trainer.Trainer.fit>` measured.

    :param list epochs: one dict per finished epoch with keys ``epoch`` (1-based),
        ``train_loss`` (mean per example over the epoch, while the parameters moved),
        ``valid_loss`` (mean per example over the whole validation set after the epoch, or
        ``None`` without validation data), ``seconds``, plus ``train_<key>`` / ``valid_<key>``
        for any further keys the step reports.
    :param best_epoch: epoch with the lowest validation loss so far (``None`` without
        validation data).
    :param best_valid_loss: that loss.
    """

    epochs: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_valid_loss: float | None = None

    @property
    def train_loss(self) -> list[float]:
        """Training loss of each epoch."""
        return [e["train_loss"] for e in self.epochs]

    @property
    def valid_loss(self) -> list[float | None]:
        """Validation loss of each epoch."""
        return [e["valid_loss"] for e in self.epochs]

    def to_dict(self) -> dict[str, Any]:
        """Plain containers only: JSON-serialisable and safe for weights-only checkpoints."""
        return {
            "epochs": [dict(e) for e in self.epochs],
            "best_epoch": self.best_epoch,
            "best_valid_loss": self.best_valid_loss,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """Inverse of :meth:`to_dict`.

        :param dict d: as returned by :meth:`to_dict`.
        """
        if not isinstance(d, dict) or "epochs" not in d:
            raise ValueError("d must be a dict from History.to_dict()")
        return cls(
            epochs=[dict(e) for e in d["epochs"]],
            best_epoch=d.get("best_epoch"),
            best_valid_loss=d.get("best_valid_loss"),
        )
