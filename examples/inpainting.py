"""Inpainting digits with the exact conditionals of an order-agnostic DeepNADE.

Half of each 8x8 test digit is hidden and the DeepNADE (Uria, Murray & Larochelle 2014)
completes it: :meth:`~ppl_models.distributions.DeepNADE.conditional` is the exact
:math:`p(x_{missing} \\mid x_{observed})` of the order that lists the observed pixels first,
so it both samples completions and scores the true missing half. Two masks:

- **bottom half** hidden: a raster-order NADE has the same conditional exactly (the top half
  comes first in its order), so it is the baseline beside the independent-pixel model;
- **random half** hidden (32 pixels drawn per digit): no fixed-order model gives this
  conditional; only the independent-pixel baseline (whose conditional is its marginals).

The script prints, and returns, each model's conditional NLL of the missing pixels in nats
per digit (mean over the test digits, with its standard error), and saves ``inpainting.png``:
per digit, the original, the observed half (missing pixels grey) and several DeepNADE
completions, for both masks. Both networks are trained by ``ppl-models train`` from their
recipes (``--recipe``, default ``deep_nade_digits``, and ``--nade-recipe``, default
``nade_digits``), on the same split of the same data; the independent-pixel baseline is
fitted in closed form.

    python examples/inpainting.py --out inpainting
    python examples/inpainting.py --deep-nade RUN   # a DeepNADE run directory, trained before
    python examples/inpainting.py --smoke
"""

import argparse
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from inference.cli.recipe_run import load_run, train_recipe
from inference.cli.script_options import recipe_overrides, script_parser
from inference.plots import save_image_rows
from ppl_models.distributions import DeepNADE, IndependentBernoulli

SMOKE = {"train_size": 200, "deep_hidden": [16, 16], "epochs": 2}
SMOKE_NADE = {"train_size": 200, "hidden": 8, "epochs": 2}


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="deep_nade_digits", out="inpainting")
    p.add_argument("--nade-recipe", default="nade_digits",
                   help="the raster-order NADE baseline's recipe (on the same data)")
    p.add_argument("--deep-nade", type=Path, default=None,
                   help="the run directory of a DeepNADE trained before (by this script or "
                        "ppl-models train) instead of training one here")
    p.add_argument("--digits", type=int, default=8, help="test digits in the figure")
    p.add_argument("--samples", type=int, default=6, help="completions per digit")
    return p.parse_args(argv)


def masks(n: int, side: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """``{name: (n, side*side) bool}``, True where observed."""
    dim = side * side
    bottom = torch.ones(side, side, dtype=torch.bool)
    bottom[side // 2:] = False
    keys = torch.rand(n, dim, generator=generator)
    random = keys.argsort(1).argsort(1) < dim // 2
    return {"bottom half": bottom.flatten().expand(n, dim), "random half": random}


def nll_summary(nll: torch.Tensor) -> dict[str, float]:
    nll = nll.double()
    return {"nll_nats": nll.mean().item(),
            "stderr_nats": (nll.std() / math.sqrt(len(nll))).item() if len(nll) > 1 else math.nan}


def missing_nll(logits: torch.Tensor, x: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
    """``-sum`` over missing pixels of ``log Bernoulli(x; logits)``: ``(N,)`` nats."""
    nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return torch.where(observed, 0, nll).sum(-1)


def conditional_nlls(deep, nade, independent, x, observed, name):
    """Each model's NLL of the missing pixels given the observed ones, ``(N,)`` per model."""
    with torch.no_grad():
        out = {"DeepNADE": -deep.conditional(x, observed).log_prob(x)}
        # One table entry per pixel (no parents): the marginals are the conditionals.
        logits = torch.logit(independent.table).expand_as(x)
        out["independent pixels"] = missing_nll(logits, x, observed)
        if name == "bottom half":
            # Raster order reads the observed top half first: NADE's own conditionals of
            # the bottom pixels are its exact p(bottom | top).
            out["NADE (raster)"] = missing_nll(nade.logits(x), x, observed)
    return out


def figure_rows(deep, x, observed, samples: int, side: int) -> torch.Tensor:
    """``(N, 2 + samples, 1, side, side)``: original, observed (missing grey), completions."""
    with torch.no_grad():
        completions = deep.conditional(x, observed).sample((samples,))  # (S, N, D)
    shown = torch.where(observed, x, torch.full_like(x, 0.5))
    rows = torch.cat([x[None], shown[None], completions]).transpose(0, 1)
    return rows.reshape(len(x), samples + 2, 1, side, side)


def main(args):
    start = time.perf_counter()
    out = Path(args.out)
    deep_run = (load_run(args.deep_nade) if args.deep_nade is not None else
                train_recipe(args.recipe, out / "deep_nade", **recipe_overrides(args, SMOKE)))
    deep = deep_run.model
    if not isinstance(deep, DeepNADE):
        raise ValueError(f"--deep-nade: {args.deep_nade} holds a {type(deep).__name__}, not a "
                         "DeepNADE")
    nade_args = argparse.Namespace(**{**vars(args), "recipe": args.nade_recipe})
    nade_run = train_recipe(args.nade_recipe, out / "nade",
                            **recipe_overrides(nade_args, SMOKE_NADE))
    splits, nade = nade_run.splits, nade_run.model
    train, test = splits.flat("train"), splits.flat("test")
    dim, side = test.shape[1], splits.image_shape[-1]
    if deep.dim != dim or deep_run.config["dataset"] != nade_run.config["dataset"]:
        raise ValueError(f"the DeepNADE ({deep_run.config['dataset']}, {deep.dim} pixels) and "
                         f"the NADE ({nade_run.config['dataset']}) must share their data")
    independent = IndependentBernoulli(dim).fit(train, alpha=1.0, beta=1.0)
    fits = {"DeepNADE": f"{deep_run.metrics['fit']}; {deep_run.metrics['epochs']} epochs",
            "NADE (raster)": f"{nade_run.metrics['fit']}; {nade_run.metrics['epochs']} epochs",
            "independent pixels": "closed form, Beta(1, 1) pseudo-counts"}
    seconds = time.perf_counter() - start

    gen = torch.Generator().manual_seed(args.seed)
    observed = masks(len(test), side, gen)
    results = {name: {model: nll_summary(v) for model, v in
                      conditional_nlls(deep, nade, independent, test, mask, name).items()}
               for name, mask in observed.items()}

    k = min(args.digits, len(test))
    torch.manual_seed(args.seed)
    rows, titles = [], []
    for name, mask in observed.items():
        rows.append(figure_rows(deep, test[:k], mask[:k], args.samples, side))
        with torch.no_grad():
            nll = -deep.conditional(test[:k], mask[:k]).log_prob(test[:k])
        titles += [f"{name}, -log p = {v:.1f}" for v in nll.tolist()]
    columns = ["digit", "observed", *[f"sample {i + 1}" for i in range(args.samples)]]
    figure = save_image_rows(torch.cat(rows), out / "inpainting.png", titles,
                             column_titles=columns,
                             title="DeepNADE: exact conditional samples of the missing half")
    result = {
        "data": f"{splits.name}, binarisation {nade_run.metrics['binarize']}, test split of "
                f"seed {nade_run.config['seed']}",
        "n_test": len(test),
        "hidden": list(deep.hidden),
        "estimator": "exact conditional NLL of the missing pixels, nats per digit",
        "conditional_nll": results,
        "fits": fits,
        "train_seconds": seconds,
        "seed": args.seed,
        "figure": str(figure),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(parse_args())
