"""CycleGAN (Zhu et al. 2017) between scikit-learn digits (upsampled into MNIST's 20x20 box)
and MNIST-5k: the recipe ``cyclegan_digits_to_mnist_cpu`` trained by ``ppl-models train``,
then the label kept through translation in both directions, each read by a local classifier
of the target domain, beside the same classifier on the untranslated inputs, and cycle L1.
Prints one JSON line.

    python benchmarks/cyclegan_digits.py --seed 0 --threads 1 --record

Both directions are scored on the test splits of ``--dataset digits_to_mnist`` (the digits'
and MNIST-5k's). digits -> MNIST is read by an MNIST classifier
(``feature_classifier("mnist5k")``, 28x28); MNIST -> digits by a digits classifier (8x8)
after :func:`~ppl_models.data.downsample_to_digits`. The untranslated baseline is the same
classifier on the inputs themselves; *change L1* says how far a translation moved its input
(near 0: the identity was learned). Targets (issue 14): >= 90 % kept in both directions.
An epoch is one pass over the digits' training split, a batch of each domain per update.
The kept model is the epoch whose translations had the best validation FID.

The records before issue 28 came from a hand-written loop on full-MNIST images with the
learning rate decayed linearly to 0 over the second half; ``train`` has no such schedule.

References

1. Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
   Adversarial Networks", ICCV 2017.
"""

from __future__ import annotations

import time

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import cycle_l1, feature_classifier, label_kept
from ppl_models.data import downsample_to_digits

#: A seconds-long pipeline check, not a result.
SMOKE = {"train_size": 128, "epochs": 1, "cyclegan_channels": 2, "cyclegan_blocks": 1,
         "eval_samples": 100}


def parse_args(argv=None):
    return script_parser(__doc__, recipe="cyclegan_digits_to_mnist_cpu",
                         out="runs/cyclegan_digits", record=True).parse_args(argv)


@torch.no_grad()
def both_directions(model, splits) -> dict[str, float]:
    """Label kept, its untranslated baseline, cycle and change L1 in each direction."""
    a, a_labels = splits.source.test, splits.source.test_labels
    b, b_labels = splits.test, splits.test_labels
    mnist, _ = feature_classifier("mnist5k", seed=0)
    digits, _ = feature_classifier("digits", seed=0)
    to_digits = lambda x: digits.predict(downsample_to_digits(x))  # noqa: E731
    fake_b, fake_a = model.translate(a, "a_to_b"), model.translate(b, "b_to_a")
    scores = {
        "digits_to_mnist_label_kept": label_kept(mnist.predict, fake_b, a_labels),
        "digits_untranslated_baseline": label_kept(mnist.predict, a, a_labels),
        "mnist_to_digits_label_kept": label_kept(to_digits, fake_a, b_labels),
        "mnist_untranslated_baseline": label_kept(to_digits, b, b_labels),
        "cycle_l1_a": cycle_l1(a, model.translate(fake_b, "b_to_a")),
        "cycle_l1_b": cycle_l1(b, model.translate(fake_a, "a_to_b")),
        "change_l1_a": cycle_l1(a, fake_b), "change_l1_b": cycle_l1(b, fake_a),
    }
    return {k: round(v, 4) for k, v in scores.items()}


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    scores = both_directions(run.model, run.splits)
    result = {"benchmark": "cyclegan_digits", "recipe": run.metrics["recipe"],
              "seed": args.seed, "epochs": run.metrics["epochs"],
              "kept_epoch": run.metrics["best_epoch"], "config": run.model.config,
              "n_test": {"digits": len(run.splits.source.test), "mnist": len(run.splits.test)},
              **scores, "target_label_kept": 0.9,
              "train_seconds": round(run.metrics["fit_seconds"], 1),
              "wall_seconds": round(time.perf_counter() - started, 1)}
    pct = {k: f"{100 * v:.1f} %" for k, v in scores.items()}
    row = [f"seed {args.seed}, {result['epochs']} epochs", pct["digits_to_mnist_label_kept"],
           pct["digits_untranslated_baseline"], pct["mnist_to_digits_label_kept"],
           pct["mnist_untranslated_baseline"],
           f"{scores['cycle_l1_a']:.3f} / {scores['cycle_l1_b']:.3f}",
           f"{result['train_seconds']:.0f}"]
    return finish(args, result, started=started, figures={
        "columns": ["run", "digits→MNIST kept", "untranslated", "MNIST→digits kept",
                    "untranslated", "cycle L1 A / B", "train s"], "rows": [row]})


if __name__ == "__main__":
    main()
