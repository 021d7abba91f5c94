"""The implicit family on the command line: samplers fitted by the adversarial game
(:class:`~inference.training.AdversarialStep` through the Trainer) and scored by sample
metrics only -- an implicit model has no likelihood, so none is ever reported.

Images are scored on the features of the local classifier
(:func:`~inference.metrics.feature_classifier`: digits for 8x8 images, MNIST-5k for 28x28):
FID and KID against the split, precision / recall / density / coverage, the class histogram;
beside them the same FID between the training images and the split (the real-vs-real floor).
The epoch kept is the one whose samples measure best on the validation split (mode coverage on
a toy mixture, FID on images: :mod:`inference.cli.families.sample_selection`), so
``--patience`` stops a run whose samples stopped improving.

Every kind is trained by the game its kind declares (:func:`inference.games.game_for`), on
the data that game's batches take, made from the data set given
(:mod:`inference.cli.families.game_data`: labels, captions, attribute domains, two unpaired
domains). A conditional kind is scored on samples drawn with the split's own conditions, and
where the data says what each sample should show, by that too: ``label_accuracy`` (the
classifier reads the digit asked for, or kept through a translation) and
``attribute_accuracy`` (the measured attributes of translations equal their targets).
``--gan-loss wasserstein`` without ``--gp`` takes WGAN-GP's penalty 10 (an unconstrained
critic has no Wasserstein loss to minimise).
"""

from __future__ import annotations

__all__ = ["ImplicitCLI"]

import math
import sys
import time
from pathlib import Path
from typing import Any

import torch

from inference.cli.families.family import FamilyCLI, RunSettings, selected_by
from inference.cli.families.game_data import batch_form, game_data, without_captions
from inference.cli.families.sample_selection import (
    FEATURE_DATASETS,
    IMAGE_SAMPLES,
    TOY_SAMPLES,
    coverage_scores,
    sample_selection,
    selection_samples,
)
from inference.cli.fitting import FitResult
from inference.cli.number_checks import check_positive_finite, check_positive_int
from inference.games import game_class, game_for
from inference.objectives.adversarial import LOSSES
from inference.training import AdversarialStep, Trainer, linear_decay
from ppl_models import registry
from ppl_models.data import TOY_MIXTURES, DataSplits, toy_mixture
from ppl_models.registry import Option, kind_of, num_parameters

#: Rounds of ``n`` samples the class histogram reads (see :meth:`ImplicitCLI.evaluate`).
HISTOGRAM_ROUNDS = 10
ESTIMATOR = "sample metrics (no likelihood)"


class ImplicitCLI(FamilyCLI):
    """Samplers with ``sample(n)``, a generator and a discriminator."""

    name = "implicit"
    options = (
        Option("gan_loss", None, "the game's adversarial loss (default: the game's own: "
               "least_squares for cyclegan, wasserstein for stargan, else non_saturating)",
               type=str, choices=tuple(LOSSES)),
        Option("d_steps", 1, "discriminator updates per generator update"),
        Option("gan_lr", None, "both players' Adam learning rate (default: --lr; the "
               "report's 2e-4, as Radford et al. 2016)", type=float),
        Option("gp", None, "WGAN-GP penalty weight (default 0; 10 with --gan-loss "
               "wasserstein, as Gulrajani et al. 2017)", type=float),
        Option("r1", None, "R1 penalty weight gamma/2 on real data (default 0)", type=float),
        Option("gan_betas", None, "both players' Adam betas, two numbers in [0, 1) (default "
               "0.5 0.999, Radford et al. 2016; Karras et al. 2018 use 0 0.99)", type=float,
               nargs="+"),
        Option("ema_decay", None, "keep an exponential moving average of the generator's "
               "weights, which are then selected, scored and saved (Yazici et al. 2019; "
               "default none)", type=float),
        Option("eval_samples", None, "samples drawn to score the model (default 2,500 on a "
               "toy mixture, as PacGAN; 1,000 images, at most the split's size)"),
        Option("gan_lr_d", None, "the discriminator's Adam learning rate (default: the "
               "generator's; e.g. 2e-4 against 1e-3, as Chen et al. 2016, App. C)",
               type=float),
        Option("gan_decay_from", None, "fraction f of the run's updates after which both "
               "learning rates fall linearly to 0 at the last epoch's end (default: "
               "constant)", type=float),
        Option("holdout_captions", None, "captions ('a thick upright seven') whose images are "
               "dropped from the training and validation splits, so that the model is "
               "judged on word combinations it never saw", type=str, nargs="+"),
    )
    report_defaults = {"eval_samples": 500, "gan_lr": 2e-4}
    evaluate_options = (Option("eval_samples", None, "samples drawn to score the model "
                               "(default 2,500 on a toy mixture, 1,000 images)"),)
    best_key = None  # no validation loss: the epoch is selected by a sample metric
    scored_as = "has no likelihood (sample metrics only)"

    def check(self, settings: dict[str, Any]) -> None:
        check_positive_int(settings, "d_steps", "eval_samples", optional=True)
        check_positive_finite(settings, "gan_lr", "gan_lr_d", optional=True)
        decay = settings.get("gan_decay_from")
        if decay is not None and not 0 <= decay < 1:
            raise ValueError(f"--gan-decay-from must lie in [0, 1), got {decay}")
        for name in ("gp", "r1"):
            value = settings.get(name)
            if value is not None and not (0 <= value < float("inf")):
                raise ValueError(f"--{name} must be a finite number >= 0, got {value}")
        ema = settings.get("ema_decay")
        if ema is not None and not 0 < ema < 1:
            raise ValueError(f"--ema-decay must lie in (0, 1), got {ema}")
        betas = settings.get("gan_betas")
        if betas is not None and (len(betas) != 2 or not all(0 <= b < 1 for b in betas)):
            raise ValueError(f"--gan-betas takes two numbers in [0, 1), got {betas}")
        if settings.get("eval_samples") is not None and settings["eval_samples"] < 10:
            raise ValueError(f"--eval-samples must be at least 10, got "
                             f"{settings['eval_samples']}")

    def check_data(self, model, splits, settings=None) -> None:
        _check_scoreable(model, splits)

    def takes(self, kind: str, option: str) -> bool:
        # Only a game whose batches carry captions can hold some out.
        if option == "holdout_captions":
            return game_class(registry.entry(kind).game).batch_form == "captioned"
        return True

    def fit(self, model, splits, settings, run: RunSettings, *, log=False) -> FitResult:
        # Before the first update: a run that cannot be scored must not train and checkpoint.
        _check_scoreable(model, splits)
        # Radford et al. (2016): Adam with beta1 = 0.5, unless --gan-betas says otherwise.
        lr = settings.get("gan_lr") or run.lr
        lr_d = settings.get("gan_lr_d") or lr
        betas = tuple(settings.get("gan_betas") or (0.5, 0.999))
        game = game_for(model, **_game_options(settings))
        ema = settings.get("ema_decay")
        # The batches the kind's game takes (labels, captions, domains: see game_data).
        train, valid = game_data(model, splits, "train"), game_data(model, splits, "valid")
        if settings.get("holdout_captions"):
            train, valid = (without_captions(d, settings["holdout_captions"])
                            for d in (train, valid))
        step = AdversarialStep(game, d_steps=settings["d_steps"], lr=lr, lr_d=lr_d,
                               betas=betas, ema_decay=ema,
                               lr_lambda=_decay(settings, train.train, run))
        # The discriminator's loss is not a score, so no validation loss selects the epoch:
        # a sample metric measured after each epoch does (see sample_selection).
        selection = sample_selection(model, splits, valid.reference[:valid.size],
                                     settings.get("eval_samples"), run.seed, valid.conditions)
        monitored = {} if selection is None else {
            "evaluate": selection.evaluate if ema is None else _averaged(selection.evaluate),
            "monitor": selection.monitor,
            "mode": selection.mode, "patience": run.patience}
        trainer = Trainer(step, train.train, None,
                          batch_size=run.batch_size, max_epochs=run.epochs,
                          max_seconds=run.max_seconds, checkpoint_dir=run.checkpoint_dir,
                          seed=run.seed, restore_best=selection is not None,
                          log_fn=_log_epoch if log else None, placement=run.placement,
                          **monitored)
        start = time.perf_counter()
        history = trainer.fit(resume=run.resume)
        if ema is not None:
            with torch.no_grad():  # the averaged generator is the one kept and scored
                step.generator_update.load_average()
        kept = ("the last epoch kept (no sample metric for this data)" if selection is None
                else f"the epoch with the best {selection.description} kept "
                     f"({history.best_epoch})")
        penalties = "".join(f", {name} {value:g}"
                            for name, value in (("gp", game.gp), ("r1", game.r1)) if value > 0)
        rates = f"lr {lr:g}" if lr_d == lr else f"lr {lr:g} (G), {lr_d:g} (D)"
        decay = settings.get("gan_decay_from")
        if decay is not None:
            rates += f" falling linearly to 0 after {decay:g} of the updates"
        method = (f"{game.name} game ({game.loss} losses{penalties}, {settings['d_steps']} D "
                  f"update(s) per G update, Adam {rates}, betas ({betas[0]:g}, {betas[1]:g})"
                  f"{'' if ema is None else f', generator EMA {ema:g}'}); {kept}")
        return FitResult(model, history, time.perf_counter() - start, method)

    def evaluate(self, model, splits: DataSplits, split: str, settings, seed) -> dict[str, Any]:
        from inference.metrics import (
            class_histogram,
            feature_classifier,
            frechet_distance,
            kernel_distance,
            precision_recall,
        )

        _check_scoreable(model, splits)
        if splits.name in TOY_MIXTURES:
            return self._mode_coverage(model, splits, settings, seed)
        shape = tuple(splits.image_shape)
        if shape not in FEATURE_DATASETS:
            raise ValueError(f"no feature classifier for images of shape {shape}; sample "
                             f"metrics need one of {sorted(FEATURE_DATASETS)}")
        classifier, info = feature_classifier(FEATURE_DATASETS[shape], seed=0)
        data = game_data(model, splits, split)
        reference = data.reference[:data.size].reshape(-1, *shape)
        n = min(settings.get("eval_samples") or IMAGE_SAMPLES, len(reference))
        fake = selection_samples(model, n, seed, data.conditions(n)).reshape(-1, *shape)
        real = reference[:n]
        train = game_data(model, splits, "train").reference.reshape(-1, *shape)[:n]
        fid = frechet_distance(real, fake, classifier)
        pr = precision_recall(classifier.features(real), classifier.features(fake))
        # The histogram's plug-in KL to uniform is biased up by about (C - 1) / (2 m) for m
        # samples: 0.025 nats at the digits' 180, half of what a balanced sampler may read
        # (issue 33's 0.05). More rounds of n draws (same conditions) shrink the bias tenfold.
        more = [selection_samples(model, n, seed + r, data.conditions(n)).reshape(-1, *shape)
                for r in range(1, HISTOGRAM_ROUNDS)]
        hist = class_histogram(torch.cat([fake, *more]), classifier)
        return {
            "estimator": ESTIMATOR,
            "fid": fid["fid"],
            # A FID needs more images than features: a --train-size that small has no floor.
            "fid_train_vs_split": (frechet_distance(real, train, classifier)["fid"]
                                   if len(train) > classifier.head.in_features else None),
            "kid": kernel_distance(real, fake, classifier, subsets=20, seed=seed)["kid"],
            **{k: pr[k] for k in ("precision", "recall", "density", "coverage")},
            "classes_present": hist["classes_present"],
            "class_kl_to_uniform": hist["kl_to_uniform"],
            "histogram_samples": HISTOGRAM_ROUNDS * n,
            **_conditioned_scores(fake, data, n, classifier, splits),
            **({} if data.extra_scores is None else data.extra_scores(model, n)),
            **_game_scores(model, splits, split, shape),
            "extractor": info["name"],
            "extractor_sha256": info["weights_sha256"],
            "extractor_test_accuracy": info["test_accuracy"],
            "n": n,
        }

    def _mode_coverage(self, model, splits: DataSplits, settings, seed) -> dict[str, Any]:
        """The PacGAN protocol on a toy mixture: 2,500 samples (``--eval-samples``)."""
        n = settings.get("eval_samples") or TOY_SAMPLES
        scores = coverage_scores(model, splits.name, n, seed)
        return {"estimator": ESTIMATOR, **{k: scores[k] for k in (
            "modes_captured", "n_modes", "high_quality", "reverse_kl")}, "n": n}

    def sample(self, model, num: int, condition=None) -> torch.Tensor:
        return model.sample(num, condition)

    def sample_condition(self, model, splits, num: int, values=None):
        """The test split's own conditions, cycled over ``num`` (a translator's inputs are
        its images), or the ``--condition`` words: labels, captions or 0/1 target
        attributes, or a ``.pt`` / ``.png`` file of input images for a kind that translates
        or completes them (:mod:`inference.cli.condition_images`).

        :raises ValueError: for words the kind cannot be conditioned on.
        """
        form = batch_form(model)
        if form == "inputs":
            codes = game_class(registry.entry(registry.kind_of(model)).game).integer_condition
            if values and codes is not None:  # e.g. InfoGAN's categorical code
                chosen = torch.tensor([_integer(v) for v in values])
                return chosen[torch.arange(num) % len(chosen)]
            return super().sample_condition(model, splits, num, values)
        data = game_data(model, splits, "test")
        index = torch.arange(num)
        if not values:
            condition = data.conditions(len(data.reference))
            if isinstance(condition, tuple):
                return tuple(t[index % len(t)] for t in condition)
            return condition[index % len(condition)]
        if form == "labelled":
            labels = torch.tensor([_integer(v) for v in values])
            return labels[index % len(labels)]
        if form == "captioned":
            from ppl_models.data import encode_captions

            codes = encode_captions(values)
            return codes[index % len(codes)]
        if form == "attributed":
            target = torch.tensor([float(_integer(v)) for v in values])
            images = data.condition[0]
            if target.shape != data.targets.shape[1:] or not ((target == 0) | (target == 1)).all():
                raise ValueError(f"--condition: give {data.targets.shape[1]} target attributes, "
                                 f"each 0 or 1, got {' '.join(values)}")
            return images[index % len(images)], target.expand(num, -1).clone()
        if len(values) != 1 or not values[0].endswith((".pt", ".png")):
            raise ValueError(f"--condition: {registry.kind_of(model)} takes input images: give "
                             f"one .pt or .png file (default: the test split's images)")
        from inference.cli.condition_images import read_condition_images

        images = read_condition_images(values[0], tuple(splits.image_shape))
        return images[index % len(images)]

    def save_samples(self, samples, path, *, dataset, image_shape, title, nrow=8) -> None:
        if dataset in TOY_MIXTURES:
            from inference.plots import save_mode_scatter

            means, _ = toy_mixture(dataset)
            if samples[0].numel() != means.shape[1]:
                # Metadata naming a toy mixture for an image model: say so, not the plot's
                # shape error.
                raise ValueError(f"the model draws samples of shape {tuple(samples.shape[1:])}"
                                 f" and --dataset {dataset} holds points of {means.shape[1]} "
                                 "values: the file's model does not fit the data its "
                                 "metadata names")
            save_mode_scatter({title: samples.reshape(len(samples), -1)}, means, path)
            return
        super().save_samples(samples, path, dataset=dataset, image_shape=image_shape,
                             title=title, nrow=nrow)

    def train_figures(self, out: Path, fit: FitResult, splits, seed) -> None:
        from inference.plots import save_adversarial_losses

        if fit.history is not None and fit.history.epochs:
            save_adversarial_losses(fit.history, out / "adversarial_losses.png")

    def report_entry(self, fit: FitResult, splits: DataSplits, settings, seed) -> dict[str, Any]:
        scores = self.evaluate(fit.model, splits, "test", settings, seed)
        return {
            "status": "fitted",
            **scores,
            "n_test": scores["n"],
            "num_parameters": num_parameters(fit.model),
            "epochs": fit.epochs,
            "best_epoch": None if fit.history is None else fit.history.best_epoch,
            **selected_by(fit.history),
            "seconds": fit.seconds,
            "fit": fit.method,
        }

    def summary(self, kind: str, entry: dict[str, Any]) -> str:
        trained = (f"epoch {entry['best_epoch']} of {entry['epochs']} kept "
                   f"({entry['seconds']:.1f} s)")
        if "modes_captured" in entry:
            return (f"{kind}: {entry['modes_captured']}/{entry['n_modes']} modes, "
                    f"{100 * entry['high_quality']:.1f}% high quality, {trained}")
        return (f"{kind}: test FID {entry['fid']:.1f} (train-vs-test "
                f"{entry['fid_train_vs_split']:.1f}), {entry['classes_present']} classes, "
                f"{trained}")

    def report_estimators(self, settings) -> dict[str, str]:
        return {ESTIMATOR: "FID / KID / precision-recall of samples on a locally trained "
                           "classifier's features, beside the train-vs-test FID; an "
                           "adversarially trained sampler has no likelihood"}

    def report_figures(self, out: Path, fits, entries) -> list[tuple[str, str]]:
        from inference.plots import save_adversarial_losses

        written = []
        for kind, fit in fits.items():
            if fit.history is None or not fit.history.epochs:
                continue
            name = f"adversarial_losses_{kind}.png"
            save_adversarial_losses(fit.history, out / name, title=kind)
            written.append((name, f"{kind}: both players' training losses and mean D outputs "
                                  "per epoch"))
        return written


def _check_scoreable(model, splits: DataSplits) -> None:
    """Refuse data without a sample metric: an implicit model is scored by samples only,
    on a toy mixture's modes or a digit classifier's features.

    :raises ValueError: naming the kind, the data set and the data sets that can score it.
    """
    shape = tuple(splits.image_shape)
    if splits.name in TOY_MIXTURES or shape in FEATURE_DATASETS:
        return
    sizes = " and ".join("x".join(map(str, s[1:])) for s in FEATURE_DATASETS)
    raise ValueError(f"--model {kind_of(model)} is scored by sample metrics only, and "
                     f"--dataset {splits.name} (shape {shape}) has none: they exist for the "
                     f"toy mixtures ({', '.join(TOY_MIXTURES)}) and {sizes} digit images "
                     f"(e.g. {', '.join(FEATURE_DATASETS.values())})")


def _game_scores(model, splits, split: str, shape) -> dict[str, Any]:
    """What the kind's game measures on the split's labelled real images (InfoGAN's code
    accuracy), where the split has labels."""
    labels = splits.labels(split)
    if labels is None:
        return {}
    return game_for(model).scores(splits.images(split).reshape(-1, *shape), labels)


def _integer(word: str) -> int:
    try:
        return int(word)
    except ValueError:
        raise ValueError(f"--condition: expected whole numbers, got {word!r}") from None


def _decay(settings: dict[str, Any], train, run: RunSettings):
    """``--gan-decay-from f``: both rates constant for the first ``f`` of the ``--epochs``'
    updates, then linearly to 0 (:func:`~inference.training.schedules.linear_decay`)."""
    start = settings.get("gan_decay_from")
    if start is None:
        return None
    n = len(train[0]) if isinstance(train, tuple) else len(train)
    total = run.epochs * math.ceil(n / run.batch_size)
    return linear_decay(total, int(start * total))


def _averaged(evaluate):
    """``evaluate(step, epoch)`` with the generator's moving average in place."""
    def averaged(step, epoch):
        with step.averaged():
            return evaluate(step, epoch)
    return averaged


def _game_options(settings: dict[str, Any]) -> dict[str, Any]:
    """The game's options from the family's flags: the loss, and the penalties given (WGAN-GP
    10 for a Wasserstein critic given none)."""
    options: dict[str, Any] = {}
    for name, key in (("gan_loss", "loss"), ("gp", "gp"), ("r1", "r1")):
        if settings.get(name) is not None:
            options[key] = settings[name]
    # Only where neither penalty was given: an explicit --gp 0 is the user's, and the game
    # refuses an unconstrained critic by name.
    if options.get("loss") == "wasserstein" and "gp" not in options and "r1" not in options:
        options["gp"] = 10.0
    return options


def _conditioned_scores(fake: torch.Tensor, data, n: int, classifier, splits) -> dict:
    """What a conditional kind's samples should show, measured: the digit asked for (or
    kept through a translation) and the attributes a translation was given."""
    from ppl_models.data import attribute_domains

    scores: dict[str, Any] = {}
    upright = fake if data.upright is None else data.upright(fake)
    if data.labels is not None:
        predicted = classifier.predict(upright)
        scores["label_accuracy"] = (predicted == data.labels[:n]).float().mean().item()
    if data.targets is not None:
        targets = data.targets[:n]
        threshold = attribute_domains(splits.images("train"))[2]
        measured = attribute_domains(upright, thickness_threshold=threshold)[1]
        # Inverted is read off the mean grey (ink is the minority of an upright digit).
        measured[:, 2] = (fake.flatten(1).mean(1) > 0.5).float()
        scores["attribute_accuracy"] = (measured == targets).float().mean(0).tolist()
    return scores


def _log_epoch(record: dict[str, Any]) -> None:
    g = record.get("train_g_loss")
    measured = "".join(f", {k[6:]} {v:.4g}" for k, v in record.items()
                       if k.startswith("valid_") and v is not None)
    print(f"epoch {record['epoch']}: D loss {record['train_d_loss']:.3f}, G loss "
          f"{'-' if g is None else f'{g:.3f}'}{measured} ({record['seconds']:.1f} s)",
          file=sys.stderr, flush=True)
