"""A small configuration of every built-in kind, and a way to make its parameters far from
their defaults, so a lossy save/load would show."""

import torch

from ppl_models import registry
from ppl_models.abilities import ClosedForm

N = 6
IMAGE = (1, 2, 3)  # N pixels

SMALL = {
    "chain_rule": {"parents": [[], [0], [0, 1], [1], [], [2, 4]]},
    "independent": {"dim": N},
    "markov": {"dim": N, "order": [2, 0, 1, 5, 4, 3]},
    "full": {"dim": N},
    "fvsbn": {"dim": N, "order": [5, 4, 3, 2, 1, 0]},
    "nade": {"dim": N, "hidden": 5, "context_dim": 0},
    "deep_nade": {"dim": N, "hidden": [5, 4], "order": [3, 1, 0, 2, 5, 4]},
    "pixelrnn": {"input_shape": list(IMAGE), "variant": "diagonal_bilstm", "hidden": 4,
                 "layers": 1, "levels": 3},
    "rnade": {"dim": N, "hidden": 5, "components": 3, "order": [1, 0, 2, 3, 5, 4]},
    "vae": {"input_shape": list(IMAGE), "latent_dim": 2, "hidden": [7],
            "likelihood": "nade", "nade_hidden": 4},
    "gan": {"dim": 2, "latent_dim": 3, "hidden": [5, 4], "pack": 2},
    "dcgan": {"input_shape": [1, 4, 4], "latent_dim": 3, "channels": 2},
    "progressive_gan": {"input_shape": [1, 4, 4], "latent_dim": 3, "channels": 2, "stages": 2,
                        "fade_steps": 2, "stable_steps": 1},
    "infogan": {"input_shape": [1, 4, 4], "latent_dim": 3, "categories": 3, "continuous": 1,
                "channels": 2, "hidden": 4, "q_hidden": 3},
    "conditional_gan": {"input_shape": [1, 4, 4], "num_classes": 3, "latent_dim": 3,
                        "channels": 2, "hidden": 4, "embedding_dim": 2},
    "aae": {"input_shape": list(IMAGE), "latent_dim": 2, "hidden": [7], "prior": "mixture",
            "disc_hidden": [5], "likelihood": "bernoulli"},
    "cyclegan": {"input_shape": [1, 8, 8], "channels": 2, "residual_blocks": 1},
    "text_to_image": {"input_shape": [1, 4, 4], "latent_dim": 3, "text_dim": 4,
                      "channels": 2, "hidden": 4},
    "stargan": {"input_shape": [1, 8, 8], "num_domains": 2, "channels": 2,
                "residual_blocks": 1},
    "puzzle_gan": {"input_shape": [1, 8, 8], "num_patches": 2, "patch_size": 3,
                   "embed_dim": 3, "latent_dim": 2, "channels": 2},
}


def trained_like(kind: str, seed: int = 0):
    """``kind`` built from :data:`SMALL` with every parameter and table randomised."""
    if kind not in SMALL:
        raise AssertionError(f"add a small configuration of the new kind {kind!r} to SMALL")
    torch.manual_seed(seed)
    model = registry.build(kind, **SMALL[kind])
    if isinstance(model, ClosedForm):
        return model.fit(torch.bernoulli(torch.rand(40, N)), alpha=0.5, beta=0.5)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
    return model
