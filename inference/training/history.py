"""Per-epoch record of a training run, and which epoch its monitored metric selected."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["MODES", "History"]

#: Directions a monitored metric can improve in.
MODES = ("min", "max")


@dataclass
class History:
    """What :meth:`Trainer.fit <inference.training.trainer.Trainer.fit>` measured.

    :param list epochs: one dict per finished epoch with keys ``epoch`` (1-based),
        ``train_loss`` (mean per example over the epoch, while the parameters moved),
        ``valid_loss`` (mean per example over the whole validation set after the epoch, or
        ``None`` without validation data), ``seconds``, plus ``train_<key>`` / ``valid_<key>``
        for any further keys the step reports and ``valid_<key>`` for each number the
        trainer's ``evaluate`` callback returns.
    :param best_epoch: epoch with the best monitored value so far (``None`` while nothing is
        monitored).
    :param best_valid_loss: the validation loss at ``best_epoch`` (``None`` without
        validation data); the best loss itself when ``monitor="loss"`` and ``mode="min"``.
    :param str monitor: the metric that selects the best epoch: ``valid_<monitor>`` of the
        records.
    :param str mode: ``"min"`` or ``"max"``, the direction in which ``monitor`` improves.
    :param best_value: the monitored value at ``best_epoch``.
    """

    epochs: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_valid_loss: float | None = None
    monitor: str = "loss"
    mode: str = "min"
    best_value: float | None = None

    @property
    def train_loss(self) -> list[float]:
        """Training loss of each epoch."""
        return [e["train_loss"] for e in self.epochs]

    @property
    def valid_loss(self) -> list[float | None]:
        """Validation loss of each epoch."""
        return [e["valid_loss"] for e in self.epochs]

    @property
    def monitored(self) -> list[float | None]:
        """The monitored value of each epoch (``None`` where it was not measured)."""
        return [e.get(f"valid_{self.monitor}") for e in self.epochs]

    def to_dict(self) -> dict[str, Any]:
        """Plain containers only: JSON-serialisable and safe for weights-only checkpoints."""
        return {
            "epochs": [dict(e) for e in self.epochs],
            "best_epoch": self.best_epoch,
            "best_valid_loss": self.best_valid_loss,
            "monitor": self.monitor,
            "mode": self.mode,
            "best_value": self.best_value,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """Inverse of :meth:`to_dict`; a dict from before monitoring reads as the loss, min.

        :param dict d: as returned by :meth:`to_dict`.
        """
        if not isinstance(d, dict) or "epochs" not in d:
            raise ValueError("d must be a dict from History.to_dict()")
        return cls(
            epochs=[dict(e) for e in d["epochs"]],
            best_epoch=d.get("best_epoch"),
            best_valid_loss=d.get("best_valid_loss"),
            monitor=d.get("monitor", "loss"),
            mode=d.get("mode", "min"),
            # Before monitoring, the selected value was the validation loss.
            best_value=d.get("best_value", d.get("best_valid_loss")),
        )
