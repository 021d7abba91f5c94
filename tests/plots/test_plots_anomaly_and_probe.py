import numpy as np
import pytest
import torch

from inference.metrics import detection_metrics, roc_points
from inference.plots import save_probe_accuracy, save_roc_curves, save_score_histograms

PNG = b"\x89PNG"


def test_roc_curves_histograms_and_probe_accuracy_write_pngs(tmp_path):
    gen = torch.Generator().manual_seed(0)
    s_in, s_out = torch.randn(100, generator=gen), 1 + torch.randn(80, generator=gen)
    fpr, tpr = roc_points(s_in, s_out)
    auroc = detection_metrics(s_in, s_out)["auroc"]
    assert save_roc_curves({"nll": (fpr, tpr, auroc)}, tmp_path / "roc.png").read_bytes()[:4] \
        == PNG
    assert save_score_histograms({"in": s_in, "out": s_out.numpy()},
                                 tmp_path / "h.png").read_bytes()[:4] == PNG
    assert save_probe_accuracy({"pixels": {10: 0.5, 100: 0.8}}, tmp_path / "p.png",
                               chance=0.1).read_bytes()[:4] == PNG


def test_bad_figure_input_names_the_argument(tmp_path):
    with pytest.raises(ValueError, match="curves"):
        save_roc_curves({"a": (np.zeros(3), np.zeros(2), 0.5)}, tmp_path / "r.png")
    with pytest.raises(ValueError, match="scores"):
        save_score_histograms({"a": [np.nan]}, tmp_path / "h.png")
    with pytest.raises(ValueError, match="accuracy"):
        save_probe_accuracy({"a": {0: 0.5}}, tmp_path / "p.png")
    with pytest.raises(ValueError, match="directory"):
        save_probe_accuracy({"a": {1: 0.5}}, tmp_path / "missing" / "p.png")
