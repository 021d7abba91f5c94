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
completions, for both masks.

    python examples/inpainting.py --out inpainting
    python examples/inpainting.py --deep-nade RUN/model.pt   # a model trained by a recipe
    python examples/inpainting.py --smoke
"""

import argparse
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from inference.cli.fitting import fit_network
from inference.persistence import load_model
from inference.plots import save_image_rows
from inference.training import seed_everything
from ppl_models.data import load_dataset
from ppl_models.distributions import NADE, DeepNADE, IndependentBernoulli

SMOKE_IMAGES = 200


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hidden", type=int, nargs="+", default=[500, 500],
                   help="DeepNADE hidden layer widths")
    p.add_argument("--nade-hidden", type=int, default=100, help="NADE baseline hidden units")
    p.add_argument("--epochs", type=int, default=400)
    p.add_argument("--nade-epochs", type=int, default=400)
    p.add_argument("--patience", type=int, default=40)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--deep-nade", default=None,
                   help="model.pt of a trained DeepNADE (e.g. from --recipe "
                        "deep_nade_digits) instead of training one here")
    p.add_argument("--digits", type=int, default=8, help="test digits in the figure")
    p.add_argument("--samples", type=int, default=6, help="completions per digit")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="inpainting", help="folder for inpainting.png")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: torch's choice; 1 with --smoke)")
    p.add_argument("--smoke", action="store_true",
                   help=f"{SMOKE_IMAGES} images, tiny models, 2 epochs: seconds")
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
    threads = 1 if args.smoke and args.threads is None else args.threads
    if threads is not None:
        torch.set_num_threads(threads)
    seed_everything(args.seed)
    splits = load_dataset("digits", seed=args.seed)
    limit = SMOKE_IMAGES if args.smoke else None
    train, valid, test = (splits.flat(s)[:limit] for s in ("train", "valid", "test"))
    dim, side = train.shape[1], splits.image_shape[-1]
    if args.smoke:
        hidden, nade_hidden, epochs, nade_epochs = [16, 16], 8, 2, 2
    else:
        hidden, nade_hidden = args.hidden, args.nade_hidden
        epochs, nade_epochs = args.epochs, args.nade_epochs

    start = time.perf_counter()
    fits = {}
    if args.deep_nade is not None:
        deep, _ = load_model(args.deep_nade)
        if not isinstance(deep, DeepNADE) or deep.dim != dim:
            raise ValueError(f"--deep-nade must hold a DeepNADE over {dim} pixels")
        fits["DeepNADE"] = f"loaded from {args.deep_nade}"
        hidden = list(deep.hidden)
    else:
        deep = DeepNADE(dim, hidden)
        fit = fit_network(deep, train, valid, epochs=epochs, lr=args.lr,
                          patience=args.patience, seed=args.seed)
        fits["DeepNADE"] = f"{fit.method}; {fit.epochs} epochs"
    nade = NADE(dim, nade_hidden)
    fit = fit_network(nade, train, valid, epochs=nade_epochs, lr=args.lr,
                      patience=args.patience, seed=args.seed)
    fits["NADE (raster)"] = f"{fit.method}; {fit.epochs} epochs"
    independent = IndependentBernoulli(dim).fit(train, alpha=1.0, beta=1.0)
    fits["independent pixels"] = "closed form, Beta(1, 1) pseudo-counts"
    seconds = time.perf_counter() - start
    deep.eval()
    nade.eval()

    gen = torch.Generator().manual_seed(args.seed)
    observed = masks(len(test), side, gen)
    results = {name: {model: nll_summary(v) for model, v in
                      conditional_nlls(deep, nade, independent, test, mask, name).items()}
               for name, mask in observed.items()}

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
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
        "data": f"sklearn digits 8x8, threshold 0.5, test split of seed {args.seed}",
        "n_test": len(test),
        "hidden": list(hidden),
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
