"""One training loop driven by small step objects, with atomic checkpoints and exact resume."""

from inference.training.adversarial_step import AdversarialStep
from inference.training.checkpoint import load_checkpoint, save_checkpoint
from inference.training.history import MODES, History
from inference.training.mle_step import MLEStep
from inference.training.model_loss_step import ModelLossStep
from inference.training.placement import PRECISIONS, Placement
from inference.training.schedules import linear_decay
from inference.training.seeding import rng_state, seed_everything, set_rng_state
from inference.training.step import Batch, Step
from inference.training.svi_step import OBJECTIVES, SVIStep
from inference.training.trainer import Trainer

__all__ = [
    "AdversarialStep",
    "Batch",
    "History",
    "MLEStep",
    "MODES",
    "ModelLossStep",
    "OBJECTIVES",
    "PRECISIONS",
    "Placement",
    "SVIStep",
    "Step",
    "Trainer",
    "linear_decay",
    "load_checkpoint",
    "rng_state",
    "save_checkpoint",
    "seed_everything",
    "set_rng_state",
]
