"""``ppl-models sample``: draw images from a saved model into a PNG grid."""

from __future__ import annotations

__all__ = ["add_parser", "draw_samples", "run"]

import argparse
from pathlib import Path

import torch

from inference.cli.data_options import load_binary_splits
from inference.cli.device_options import add_device_arguments, placement_from
from inference.cli.families import family_of_model
from inference.cli.families.game_data import conditioned_on_data
from inference.cli.model_check import load_checked_model
from inference.cli.threads import add_threads_argument, apply_threads
from ppl_models.registry import kind_of


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("sample", help="draw samples from a trained model into a PNG",
                              description="Draw samples from DIR/model.pt as its family "
                                          "does (ancestral for an exact model; z ~ p(z), "
                                          "then x ~ p(x | z) for a latent one; the "
                                          "generator for an implicit one, a conditional "
                                          "kind with --condition or the test split's own "
                                          "conditions).")
    p.add_argument("--checkpoint", required=True, help="model.pt written by 'train'")
    p.add_argument("--num", type=int, default=64, help="number of samples")
    p.add_argument("--nrow", type=int, default=8, help="images per row of the grid")
    p.add_argument("--out", default="samples.png", help="PNG file to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--condition", nargs="+", default=None,
                   help="what a conditional kind draws with: labels (conditional_gan), "
                        "categorical codes (infogan), "
                        "one caption per word group in quotes "
                        "(text_to_image), 0/1 target attributes (stargan), or a .pt "
                        "(N, C, H, W) / .png file of input images (cyclegan, puzzle_gan); "
                        "cycled over --num. Default: the test split's own")
    add_threads_argument(p, default=None)
    add_device_arguments(p, precision=False)
    p.set_defaults(run=run)
    return p


def draw_samples(model, num: int, seed: int, condition=None) -> torch.Tensor:
    """``num`` samples from ``model``, the same for the same ``seed``: ``(num, D)`` or
    ``(num, C, H, W)``, as the model's data; ``condition`` what a conditional kind draws
    with (its family's ``sample_condition``).

    The global torch RNG is forked, so drawing samples does not shift a caller's stream.
    """
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f"--num must be a positive int, got {num!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return family_of_model(model).sample(model, num, condition)


def _splits(model, config, args):
    """The model's data set as it was trained on, for a kind drawn with conditions (its
    test split gives the default conditions and a translator's inputs); ``None`` for the
    others."""
    if not conditioned_on_data(kind_of(model)):
        return None
    return load_binary_splits(config["dataset"], config.get("data_path"),
                              config.get("binarize"), config["seed"])


def run(args: argparse.Namespace) -> int:
    apply_threads(args.threads)
    placement = placement_from(args)
    model, config = load_checked_model(args.checkpoint)
    out = Path(args.out)
    if out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a directory; give a file name such as "
                         f"{str(out / 'samples.png')!r}")
    if out.suffix.lower() != ".png":
        out = out.with_name(out.name + ".png")  # the grid is a PNG; say where it went
    if not out.parent.is_dir():
        raise ValueError(f"--out: directory {str(out.parent)!r} does not exist")
    family = family_of_model(model)
    condition = family.sample_condition(model, _splits(model, config, args), args.num,
                                        args.condition)
    samples = draw_samples(placement.to(model), args.num, args.seed,
                           placement.to(condition)).cpu()
    family_of_model(model).save_samples(
        samples, out, dataset=config["dataset"], image_shape=tuple(config["image_shape"]),
        nrow=args.nrow, title=f"{config['model']} on {config['dataset']}: {args.num} samples")
    print(f"wrote {out}")
    return 0
