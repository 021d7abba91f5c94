"""``ppl-models evaluate``: a saved model scored on a split, as one JSON line.

The model's family decides the score and names its estimator: an exact model gets its exact
NLL; a latent model its ELBO and an IWAE-K estimate of the NLL, both bounds and named so
(``estimator``, ``elbo_estimator``). A latent model's importance draws are seeded by the
training run's seed unless ``--iw-seed`` says otherwise, and a sample count the run recorded
(``--eval-samples``, ``--iw-samples``) is the default, so the figure ``train`` or the report
gave comes back.

``--estimator ais`` scores a model that states its decoder and prior (the VAE, the AAE) by
annealed importance sampling instead, and a plain generator (DCGAN, the MLP GAN, the
progressive GAN) under the observation model ``--observation`` states: ``bernoulli`` on
binary data, or ``gaussian`` with its sigma chosen from ``--sigmas`` on the validation split
(:mod:`inference.cli.ais_evaluation`).
"""

from __future__ import annotations

__all__ = ["add_parser", "run"]

import argparse
import math

from inference.cli.ais_evaluation import (
    AIS_CHAINS,
    AIS_STEPS,
    SIGMAS,
    ais_scope,
    check_ais_model,
    check_observed_data,
    evaluate_ais,
)
from inference.cli.data_options import (
    add_data_arguments,
    binarize_name,
    load_binary_splits,
    run_splits,
)
from inference.cli.device_options import add_device_arguments, placement_from
from inference.cli.families import FAMILY_CLIS, family_of_model, model_data
from inference.cli.json_output import to_json
from inference.cli.model_check import check_fits_data, load_checked_model
from inference.cli.number_checks import check_positive_int
from inference.cli.threads import add_threads_argument, apply_threads
from ppl_models import registry
from ppl_models.data.splits import SPLIT_NAMES
from ppl_models.observation import OBSERVATION_MODELS

#: The options of --estimator ais only.
_AIS_FLAGS = ("--ais-chains", "--ais-steps", "--observation", "--sigmas")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate", help="test NLL of a trained model: exact, or ELBO and IWAE-K for a latent "
                         "model (JSON line on stdout)",
        description="Score DIR/model.pt on a data split. The dataset, binarisation and split "
                    "seed default to the ones the model was trained with.")
    p.add_argument("--checkpoint", required=True, help="model.pt written by 'train'")
    add_data_arguments(p, required=False)
    p.add_argument("--split", choices=SPLIT_NAMES, default="test",
                   help="the images scored; on the run's own data (its dataset, "
                        "binarisation and seed), train and valid are the images the run "
                        "trained and validated on: its --holdout-class, --train-size and "
                        "--valid-size apply (default: test)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the embedded datasets' split and of stochastic binarisation "
                        "(default: the training run's)")
    for family in FAMILY_CLIS.values():
        for option in family.evaluate_options:
            p.add_argument(option.cli_flag, dest=option.dest, type=option.type, default=None,
                           help=f"{family.name} models only: {option.help} (default: the "
                                f"value the run recorded, else {option.default})")
    p.add_argument("--estimator", choices=("ais",), default=None,
                   help=f"ais: annealed importance sampling of log p(x) for {ais_scope()}; "
                        "default: the family's own (exact NLL; ELBO and IWAE-K; sample "
                        "metrics)")
    p.add_argument("--ais-chains", type=int, default=None,
                   help=f"--estimator ais: chains per image (default {AIS_CHAINS})")
    p.add_argument("--ais-steps", type=int, default=None,
                   help=f"--estimator ais: temperatures from prior to posterior (default "
                        f"{AIS_STEPS})")
    p.add_argument("--observation", choices=OBSERVATION_MODELS, default=None,
                   help="--estimator ais for a generator (required there, no default): the "
                        "stated observation model p(x | G(z)) that makes it a density; "
                        "bernoulli: its outputs as pixel probabilities, binary data only; "
                        "gaussian: N(G(z), sigma^2 I), sigma chosen on the validation split")
    p.add_argument("--sigmas", type=float, nargs="+", default=None, metavar="SIGMA",
                   help="--observation gaussian: the candidate sigmas, each scored by AIS "
                        "on the whole validation split, the one with the lowest validation "
                        f"NLL kept (default {' '.join(map(str, SIGMAS))})")
    add_threads_argument(p, default=None)
    add_device_arguments(p, precision=False)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    apply_threads(args.threads)
    placement = placement_from(args)
    model, config = load_checked_model(args.checkpoint)
    family = family_of_model(model)
    if args.estimator == "ais":
        settings = _ais_settings(family, args, model)
    else:
        for flag in _AIS_FLAGS:
            if getattr(args, flag[2:].replace("-", "_")) is not None:
                raise ValueError(f"{flag} applies to --estimator ais")
        settings = _evaluate_settings(family, args, config["model"], config)
    dataset = args.dataset or config["dataset"]
    # A stored path belongs to the stored dataset; another dataset needs its own.
    data_path = args.data_path
    if data_path is None and dataset == config["dataset"]:
        data_path = config.get("data_path")
    binarize = args.binarize or config.get("binarize")
    seed = config.get("seed", 0) if args.seed is None else args.seed
    splits = load_binary_splits(dataset, data_path, binarize, seed)
    own = (dataset, binarize, seed) == (config["dataset"], config.get("binarize"),
                                        config.get("seed", 0))
    if own:  # the run's own splits, not the whole data set's
        splits = run_splits(splits, config.get("holdout_class"), config.get("train_size"),
                            config.get("valid_size"))
    check_fits_data(model, splits.image_shape,
                    f"--dataset {dataset} ({splits.dim} variables per image, shape "
                    f"{tuple(splits.image_shape)})")
    model, splits = placement.to(model), splits.to(placement.device)
    if args.estimator == "ais":
        x = model_data(model, splits, args.split)
        check_observed_data(args.observation, x,
                            f"the {args.split} split of --dataset {dataset}")
        result = evaluate_ais(model, x, chains=settings["chains"], steps=settings["steps"],
                              seed=config.get("seed", 0), observation=args.observation,
                              sigmas=args.sigmas,
                              valid=model_data(model, splits, "valid")
                              if args.observation == "gaussian" else None)
    else:
        result = family.evaluate(model, splits, args.split, settings, config.get("seed", 0))
    nll = result.get("nll_nats")  # a sampler has none
    if nll is not None and not math.isfinite(nll):
        # A table entry outside [0, 1] is refused when the file is read; what is left here
        # is a model that gives some image zero probability, e.g. a table fitted without
        # pseudo-counts, whose entries of exactly 0 or 1 rule out configurations unseen.
        raise ValueError(f"the {args.split} NLL of {args.checkpoint} is {result['nll_nats']}: "
                         "the model gives probability 0 to some image of the split (a table "
                         "fitted with --pseudo-count 0 does so for what training never "
                         "showed it; refit with --pseudo-count > 0)")
    print(to_json({
        "checkpoint": str(args.checkpoint),
        "model": config["model"],
        "dataset": dataset,
        "binarize": binarize_name(dataset, binarize),
        "split": args.split,
        **result,
        "device": placement.describe(),
    }))
    return 0


def _ais_settings(family, args, model) -> dict:
    """``--ais-chains`` and ``--ais-steps``, defaults filled in, once the model and its
    ``--observation`` and ``--sigmas`` are checked; the family's own estimator's options are
    refused (they would be ignored)."""
    check_ais_model(model, args.observation, args.sigmas)
    if args.observation == "gaussian" and args.split == "valid":
        raise ValueError("--observation gaussian chooses sigma on the validation split, so "
                         "it scores --split test or train, not the images that chose it")
    given = [o.cli_flag for o in family.evaluate_options if getattr(args, o.dest) is not None]
    if given:
        raise ValueError(f"{' and '.join(given)} apply to the {family.name} family's own "
                         "estimator, not --estimator ais")
    check_positive_int(args, "ais_chains", "ais_steps", optional=True)
    return {"chains": args.ais_chains or AIS_CHAINS, "steps": args.ais_steps or AIS_STEPS}


def _evaluate_settings(family, args, kind: str, config: dict) -> dict:
    """The family's evaluate options, another family's refused; one not given takes the value
    the run recorded (``train --eval-samples``, the report's 500 samples), else its
    default, so that the run's figure comes back."""
    for other in FAMILY_CLIS.values():
        given = [o.cli_flag for o in other.evaluate_options
                 if other is not family and getattr(args, o.dest) is not None]
        if given:
            kinds = ", ".join(registry.kinds(other.name))
            raise ValueError(f"{' and '.join(given)} apply to {other.name} models ({kinds}); "
                             f"--model {kind} {family.scored_as}")
    settings = {}
    for o in family.evaluate_options:
        given, recorded = getattr(args, o.dest), config.get(o.name)
        settings[o.name] = given if given is not None else \
            recorded if recorded is not None else o.default
    family.check(settings)
    return settings
