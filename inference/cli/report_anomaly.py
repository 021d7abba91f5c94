"""The report's anomaly table: how well each fitted model's own score flags inputs that are
not digits of its training distribution.

The score is chosen by the model's family (:data:`inference.metrics.DEFAULT_METHODS`: an
exact model's NLL, a latent model's −IWAE-K), never by its kind. The in-distribution set is
the test split; the out-of-distribution sets are built from it or from nothing
(:mod:`ppl_models.data.anomaly_sets`): the test images inverted, as many uniform binary noise
images, and the two constant images (all off, all on). A held-out-class split needs a model
trained without that class, so it lives in ``benchmarks/anomaly_mnist.py``, not here.
"""

from __future__ import annotations

__all__ = ["IW_SAMPLES", "anomaly_table", "anomaly_markdown"]

from typing import Any

import torch

from inference.metrics import DEFAULT_METHODS, anomaly_scores, detection_metrics
from ppl_models import registry
from ppl_models.data import DataSplits, constant_images, inverted, uniform_noise

# K of a latent model's -IWAE-K here: enough to rank images, far cheaper than the NLL's K.
IW_SAMPLES = 100


def _ood_sets(splits: DataSplits, seed: int) -> dict[str, torch.Tensor]:
    test = splits.images("test")
    gen = torch.Generator().manual_seed(seed)
    return {
        "inverted": inverted(test),
        "uniform noise": uniform_noise(len(test), splits.image_shape, generator=gen),
        "constant": constant_images(splits.image_shape),
    }


def anomaly_table(fits: dict[str, Any], splits: DataSplits, seed: int) -> dict[str, Any]:
    """``{"in": ..., "methods": {kind: method}, "auroc": {kind: {ood set: AUROC}}}``.

    :param fits: ``{kind: FitResult}`` of the fitted models.
    :param splits: the report's data (its test split is the in-distribution set).
    :param int seed: seeds the noise images and a latent model's draws.
    """
    ood = _ood_sets(splits, seed)
    methods, auroc = {}, {}
    for kind, fit in fits.items():
        method = DEFAULT_METHODS.get(registry.family_of(kind))
        if method is None:
            continue
        methods[kind] = method if method != "neg_iwae" else f"neg_iwae_{IW_SAMPLES}"

        def score(images, model=fit.model, method=method):
            return anomaly_scores(model, images, method,
                                  num_samples=IW_SAMPLES, seed=seed)

        s_in = score(splits.images("test"))
        auroc[kind] = {name: round(detection_metrics(s_in, score(x))["auroc"], 4)
                       for name, x in ood.items()}
    return {"in": "test split", "sizes": {n: len(x) for n, x in ood.items()},
            "methods": methods, "auroc": auroc}


def anomaly_markdown(table: dict[str, Any]) -> list[str]:
    """The table as markdown lines (empty when no model was scored)."""
    if not table.get("auroc"):
        return []
    sets = list(table["sizes"])
    lines = [
        "## Anomaly detection (AUROC)",
        "",
        "Each model's own score (an exact model's NLL, a latent model's −IWAE-K) on the test "
        "split against each out-of-distribution set; 1 separates perfectly, 0.5 is chance, "
        "below 0.5 ranks the OOD set as *more* likely. Set sizes: "
        + ", ".join(f"{n} {s}" for s, n in table["sizes"].items()) + ".",
        "",
        "| model | score | " + " | ".join(sets) + " |",
        "|---|---|" + "---:|" * len(sets),
    ]
    for kind, row in table["auroc"].items():
        lines.append(f"| {kind} | {table['methods'][kind]} | "
                     + " | ".join(f"{row[s]:.3f}" for s in sets) + " |")
    return [*lines, ""]
