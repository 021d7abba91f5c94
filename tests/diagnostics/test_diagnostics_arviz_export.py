"""Guide draws, importance weights and an ELBO history as ArviZ InferenceData."""

import arviz as az
import numpy as np
import pytest
import torch

from inference.diagnostics import to_inference_data


def test_groups_shapes_and_coordinates(lg, data):
    idata = to_inference_data(lg.model, lg.mean_field_guide(), data, num_draws=40,
                              indices=[2, 5, 7], elbo_history=[-9.0, -7.5, -7.1], seed=0)
    assert set(idata.groups()) == {"posterior", "sample_stats", "elbo_history"}
    z = idata.posterior["z"]
    assert z.dims == ("chain", "draw", "datum", "z_dim") and z.shape == (1, 40, 3, 2)
    assert idata.posterior["datum"].values.tolist() == [2, 5, 7]
    lw = idata.sample_stats["log_importance_weight"]
    assert lw.dims == ("chain", "draw", "datum") and lw.shape == (1, 40, 3)
    history = idata.elbo_history["elbo"]
    assert history.dims == ("step",) and history.values.tolist() == [-9.0, -7.5, -7.1]
    assert idata.elbo_history["step"].values.tolist() == [1, 2, 3]
    # The draws come from q(z | x_i): their mean is the guide's mean within 5 SE.
    mean, cov = lg.posterior(data[[2, 5, 7]])
    se = (cov.diagonal() / 40).sqrt()
    assert np.all(np.abs(z.values[0].mean(0) - mean.numpy()) < 5 * se.numpy())


def test_log_weights_are_the_draws_weights(lg, data):
    # With the exact posterior as guide every weight is p(x_i).
    idata = to_inference_data(lg.model, lg.exact_guide, data, num_draws=30, seed=0)
    lw = idata.sample_stats["log_importance_weight"].values[0]
    np.testing.assert_allclose(lw, np.broadcast_to(lg.log_evidence(data).numpy(), lw.shape),
                               rtol=0, atol=1e-10)
    assert "elbo_history" not in idata.groups()
    # ArviZ's own tools read the group: psislw smooths over the draws, one k per datum.
    stacked = idata.sample_stats["log_importance_weight"].stack(__sample__=["chain", "draw"])
    _, k = az.psislw(stacked)
    assert k.dims == ("datum",) and k.shape == (len(data),)


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_draws=0), "num_draws"),
    (dict(indices=[0, 0]), "indices"),
    (dict(indices=[99]), "indices"),
    (dict(indices=[]), "indices"),
    (dict(indices="01"), "indices"),
    (dict(elbo_history=[]), "elbo_history"),
    (dict(elbo_history=["a"]), "elbo_history"),
    (dict(elbo_history=[1.0, float("nan")]), "elbo_history"),
    (dict(seed=-2), "seed"),
    (dict(latent_sites=["x"]), "latent_sites"),
])
def test_bad_input_is_refused(lg, data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        to_inference_data(lg.model, lg.mean_field_guide(), data, **kwargs)


def test_indices_may_be_a_tensor(lg, data):
    idata = to_inference_data(lg.model, lg.mean_field_guide(), data, num_draws=5,
                              indices=torch.tensor([1, 0]), seed=0)
    assert idata.posterior["datum"].values.tolist() == [1, 0]
