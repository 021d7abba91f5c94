"""The VAE learns binarised sklearn digits through Trainer + SVIStep."""

import math

import pytest
import torch

from inference.training import Trainer
from inference.training.svi_step import SVIStep
from ppl_models.data import load_dataset
from ppl_models.vae import VAE


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")  # 1437 / 180 / 180 images (1, 8, 8), thresholded at 0.5


def _independent_pixel_nll(digits):
    """Exact NLL (nats) on valid of the best z-free model: independent train marginals."""
    p = digits.train.flatten(1).mean(0).clamp(1e-3, 1 - 1e-3)
    x = digits.valid.flatten(1)
    return -(x * p.log() + (1 - x) * (1 - p).log()).sum(1).mean().item()


@pytest.mark.parametrize("objective", ["trace", "meanfield"])
def test_valid_elbo_rises_past_independent_pixels(digits, objective):
    torch.manual_seed(0)
    step = SVIStep(VAE((1, 8, 8), 8, hidden=(64,)), objective=objective, lr=1e-2)
    before = step.eval_step(digits.valid)["elbo"]
    trainer = Trainer(step, digits.train, digits.valid, batch_size=100, max_epochs=14,
                      seed=0, progress=False)
    history = trainer.fit()  # 14 epochs x 15 batches = 210 updates
    after = history.epochs[-1]["valid_elbo"]
    # Measured (seeds 0, 3, 7): before -45.4..-45.9 (64 log 2 = 44.4 plus the KL), after
    # -20.3..-21.5. The independent-pixel model scores -24.9 nats *exactly*; the VAE's lower
    # bound beat it by 3.4-4.6 nats, which it can only do by encoding information in z.
    assert after - before > 20
    assert after > -_independent_pixel_nll(digits) + 2
    record = history.epochs[-1]
    for key in ("elbo", "rate", "distortion"):
        assert math.isfinite(record[f"train_{key}"]) and math.isfinite(record[f"valid_{key}"])
    assert record["valid_loss"] == pytest.approx(-record["valid_elbo"])
    assert record["valid_rate"] > 1  # nats per digit in the code: no posterior collapse


def test_iwae_objective_trains(digits):
    torch.manual_seed(0)
    vae = VAE((1, 8, 8), 8, hidden=(64,))
    step = SVIStep(vae, objective="renyi", num_particles=4, lr=1e-2)
    before = step.eval_step(digits.valid)["elbo"]
    history = Trainer(step, digits.train[:400], digits.valid, batch_size=100, max_epochs=3,
                      seed=0, progress=False).fit()
    # Measured (seeds 0, 1, 2): -45.9..-46.2 before, -27.2..-27.3 after 12 updates.
    assert history.epochs[-1]["valid_elbo"] > before + 10
    assert all(math.isfinite(e["train_loss"]) for e in history.epochs)
