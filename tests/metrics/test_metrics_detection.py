import math

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

from inference.metrics import detection_metrics, roc_points


def test_separating_score_has_auroc_one_and_no_false_positives():
    m = detection_metrics(torch.arange(50.0), 100 + torch.arange(30.0))
    assert m["auroc"] == 1.0 and m["fpr_at_95_tpr"] == 0.0
    assert m["auprc"] == pytest.approx(1.0, abs=1e-12)  # a sum of precisions, not exact
    assert (m["n_in"], m["n_out"]) == (50, 30)


def test_reversed_score_has_auroc_zero():
    assert detection_metrics(100 + torch.arange(50.0), torch.arange(30.0))["auroc"] == 0.0


def test_random_score_is_at_chance():
    gen = torch.Generator().manual_seed(0)
    m = detection_metrics(torch.rand(20000, generator=gen), torch.rand(20000, generator=gen))
    # The AUROC of two samples of 20,000 from one distribution has sd sqrt(1/(12 * 10,000))
    # ~ 0.003 (Mann-Whitney); 0.02 is more than six of them.
    assert abs(m["auroc"] - 0.5) < 0.02
    assert abs(m["fpr_at_95_tpr"] - 0.95) < 0.02


def test_agrees_with_sklearn_and_counts_ties_as_half():
    rng = np.random.default_rng(1)
    s_in, s_out = rng.integers(0, 5, 200).astype(float), rng.integers(2, 8, 100).astype(float)
    y = np.r_[np.zeros(200), np.ones(100)]
    s = np.r_[s_in, s_out]
    m = detection_metrics(s_in, s_out)
    assert m["auroc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert m["auprc"] == pytest.approx(average_precision_score(y, s), abs=1e-12)
    # Mann-Whitney with ties at one half: the definition, independent of sklearn.
    u = ((s_out[:, None] > s_in[None]) + 0.5 * (s_out[:, None] == s_in[None])).mean()
    assert m["auroc"] == pytest.approx(u, abs=1e-12)
    fpr, tpr = roc_points(s_in, s_out)
    assert fpr[0] == 0 and tpr[-1] == 1 and np.all(np.diff(tpr) >= 0)


def test_fpr_at_95_tpr_reads_the_first_threshold_catching_95_percent():
    # 20 OOD at 1..20; in-distribution scores 0 and 18.5: catching 19 of 20 OOD (95 %)
    # needs a threshold at or below 2, which flags only the in-distribution 18.5.
    m = detection_metrics([0.0, 18.5], np.arange(1.0, 21.0))
    assert m["fpr_at_95_tpr"] == 0.5


@pytest.mark.parametrize("bad, match", [
    (([], [1.0]), "scores_in"), (([1.0], torch.zeros(2, 2)), "scores_out"),
    (([math.nan], [1.0]), "non-finite"), ((["a"], [1.0]), "scores_in"),
])
def test_bad_input_names_the_argument(bad, match):
    with pytest.raises(ValueError, match=match):
        detection_metrics(*bad)
