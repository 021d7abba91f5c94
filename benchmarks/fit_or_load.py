"""Shared by the VAE benchmarks: train with the Trainer, or load a finished run's best.pt.

Imported as a sibling module (``python benchmarks/<script>.py`` puts this folder first on
``sys.path``).
"""

import time

from inference.training import Trainer
from inference.training.checkpoint import load_checkpoint


def fit_or_load(trainer: Trainer, *, evaluate_only: bool, resume: bool) -> dict:
    """Fit (or, with ``evaluate_only``, load ``best.pt`` from the trainer's checkpoint
    directory) and return the training fields of the result line, ``None`` when loaded."""
    if evaluate_only:
        trainer.step.load_state_dict(load_checkpoint(trainer.checkpoint_dir / "best.pt")["step"])
        return dict.fromkeys(("best_valid_neg_elbo", "best_epoch", "epochs_run",
                              "train_wall_seconds"))
    start = time.perf_counter()
    history = trainer.fit(resume=resume)
    return {"best_valid_neg_elbo": round(history.best_valid_loss, 3),
            "best_epoch": history.best_epoch, "epochs_run": len(history.epochs),
            "train_wall_seconds": round(time.perf_counter() - start, 1)}
