r"""Which epoch of an adversarial fit to keep: the one whose samples measure best.

A GAN's losses do not score it (the discriminator's loss is the game's value against a moving
opponent, not a distance to the data), and its last epoch is often not its best: the game
oscillates and modes come and go. So each epoch ends by drawing samples and measuring them,
and the Trainer keeps the best epoch (its ``evaluate=`` / ``monitor=`` / ``mode=``). The
metric is chosen from the **data**, never from the model's kind:

- a toy mixture with known modes (:data:`~ppl_models.data.TOY_MIXTURES`): the PacGAN
  protocol's :func:`~inference.metrics.mode_coverage`, monitored as
  :math:`\text{modes captured} + \text{high-quality fraction}` (higher is better) -- the
  fraction lies in [0, 1], so this orders epochs by modes captured first and breaks ties by
  sample quality;
- images of a shape with a local feature classifier: the FID
  (:func:`~inference.metrics.frechet_distance`) between samples and the **validation** split
  on that classifier's features (lower is better), so the test split stays unseen by the
  selection.

Every epoch draws its samples from the same seed (the same noise ``z`` for every epoch), so
two epochs differ only by their weights, not by their draws. That seed is derived from the
run's but differs from the one the final scoring draws from: a toy mixture's metric needs no
data split, so selecting on the scoring's own draws would select on the reported number. The
draws do not touch the training run's random stream (:func:`torch.random.fork_rng`).

References

1. Lin, Khetan, Fanti & Oh, "PacGAN: The power of two samples in generative adversarial
   networks", NeurIPS 2018 (the toy-mixture protocol).
2. Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
   Equilibrium", NeurIPS 2017 (FID; their Sec. 5 tracks it over training).
"""

from __future__ import annotations

__all__ = ["FEATURE_DATASETS", "Selection", "coverage_scores", "sample_selection",
           "selection_samples", "selection_seed"]

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ppl_models.data import TOY_MIXTURES, DataSplits, toy_mixture

#: The classifier whose features score images of each shape.
FEATURE_DATASETS = {(1, 8, 8): "digits", (1, 28, 28): "mnist5k"}
#: Samples a toy-mixture epoch is scored on: the PacGAN protocol's 2,500.
TOY_SAMPLES = 2500
#: Images an image epoch is scored on, at most the validation split's size.
IMAGE_SAMPLES = 1000


@dataclass(frozen=True)
class Selection:
    """How an adversarial fit picks its epoch.

    :param str monitor: the key of ``evaluate``'s result the Trainer monitors.
    :param str mode: ``"min"`` or ``"max"``.
    :param evaluate: ``evaluate(step, epoch) -> {monitor: value, ...}``, for the Trainer.
    :param str description: one line for the run's ``fit`` text.
    """

    monitor: str
    mode: str
    evaluate: Callable[[Any, int], Mapping[str, float]]
    description: str


def selection_seed(seed: int) -> int:
    """The seed of the selection draws: a function of ``seed`` that differs from it (hashed,
    as the Trainer's shuffle seed, so that no other run's seed produces it by offset)."""
    return int(np.random.SeedSequence([seed, 9]).generate_state(1)[0])


def selection_samples(model: nn.Module, n: int, seed: int, condition=None) -> torch.Tensor:
    """``n`` draws of ``model.sample(n, condition)`` from ``seed``, leaving the global RNG as
    it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return model.sample(n, condition)


def coverage_scores(model: nn.Module, mixture: str, n: int, seed: int) -> dict[str, float]:
    """The PacGAN metrics of ``n`` seeded draws on ``mixture``: ``modes_captured``,
    ``n_modes``, ``high_quality``, ``reverse_kl`` and ``coverage_score``
    (:attr:`~inference.metrics.ModeCoverage.score`, the number an epoch is selected by)."""
    from inference.metrics import mode_coverage

    means, std = toy_mixture(mixture)
    fake = selection_samples(model, n, seed)
    cov = mode_coverage(fake.reshape(len(fake), -1), means, std)
    return {"modes_captured": cov.modes_captured, "n_modes": cov.n_modes,
            "high_quality": cov.high_quality, "reverse_kl": cov.reverse_kl,
            "coverage_score": cov.score}


def _coverage_selection(model: nn.Module, mixture: str, n: int, seed: int) -> Selection:
    def evaluate(step, epoch: int) -> dict[str, float]:
        scores = coverage_scores(model, mixture, n, seed)
        return {k: scores[k] for k in ("coverage_score", "modes_captured", "high_quality")}

    return Selection("coverage_score", "max", evaluate,
                     f"fraction of modes captured + high-quality fraction of {n} samples "
                     "(PacGAN's metrics)")


def _fid_selection(model: nn.Module, splits: DataSplits, reference: torch.Tensor, n: int,
                   seed: int, condition) -> Selection:
    from inference.metrics import feature_classifier, frechet_distance

    shape = tuple(splits.image_shape)
    classifier, info = feature_classifier(FEATURE_DATASETS[shape], seed=0)
    real = reference[:n].reshape(-1, *shape)
    _check_images(model, selection_samples(model, 2, seed, _first(condition, 2)), splits)

    def evaluate(step, epoch: int) -> dict[str, float]:
        fake = selection_samples(model, len(real), seed, condition).reshape(-1, *shape)
        return {"fid": frechet_distance(real, fake, classifier)["fid"]}

    return Selection("fid", "min", evaluate,
                     f"FID of {len(real)} samples against the validation split on "
                     f"{info['name']}'s features")


def _first(condition, n: int):
    if condition is None:
        return None
    return tuple(t[:n] for t in condition) if isinstance(condition, tuple) else condition[:n]


def _check_images(model: nn.Module, samples: torch.Tensor, splits: DataSplits) -> None:
    """Refuse, before any training, a sampler whose draws are not images in [0, 1]: the FID
    on a classifier's features would refuse them after the first epoch."""
    low, high = float(samples.min()), float(samples.max())
    if not (0 <= low and high <= 1):
        from ppl_models import registry

        raise ValueError(f"{registry.kind_of(model)} draws values in [{low:.3g}, {high:.3g}], "
                         f"not images in [0, 1]: its samples of {splits.name} cannot be "
                         "scored by FID; train an image kind (e.g. dcgan) on image data")


def sample_selection(model: nn.Module, splits: DataSplits, valid: torch.Tensor,
                     eval_samples: int | None, seed: int, conditions=None) -> Selection | None:
    """The epoch-selection rule for ``model`` fitted on ``splits``, chosen from the data.

    :param model: the sampler (``sample(n)``).
    :param splits: the data; its name and image shape choose the metric.
    :param valid: the validation split as the model sees it (the FID reference).
    :param eval_samples: samples per epoch (default :data:`TOY_SAMPLES` on a toy mixture,
        :data:`IMAGE_SAMPLES` images), at most the validation split's size for images.
    :param int seed: the run's seed; every epoch draws from :func:`selection_seed` of it.
    :param conditions: ``conditions(n)``, the validation split's first ``n`` sample
        conditions, for a conditional kind (``None``: unconditional).
    :return: a :class:`Selection`, or ``None`` when the data has no sample metric (then the
        last epoch is kept).
    """
    seed = selection_seed(seed)
    if splits.name in TOY_MIXTURES:
        return _coverage_selection(model, splits.name, eval_samples or TOY_SAMPLES, seed)
    if tuple(splits.image_shape) in FEATURE_DATASETS:
        n = min(eval_samples or IMAGE_SAMPLES, len(valid))
        if n < 2:
            raise ValueError(f"the validation split of {splits.name} must hold at least 2 "
                             f"images to select an epoch by FID, got {len(valid)}")
        return _fid_selection(model, splits, valid, n, seed,
                              None if conditions is None else conditions(n))
    return None
