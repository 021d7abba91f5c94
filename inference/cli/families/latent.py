"""The latent family on the command line: a model/guide pair fitted by SVI on an ELBO, scored
by the ELBO and an importance-weighted estimate, both bounds and named so."""

from __future__ import annotations

__all__ = ["LatentCLI"]

import sys
from pathlib import Path
from typing import Any

import torch
from pyro import poutine

from inference.cli.families.family import FamilyCLI, RunSettings, model_data
from inference.cli.fitting import LR_SCHEDULE, PARTICLE_DRAWS, FitResult, fit_vae
from inference.cli.number_checks import check_positive_int
from inference.training import OBJECTIVES
from inference.training.svi_step import missing_closed_form_kl
from ppl_models.data import DataSplits
from ppl_models.registry import Option, kind_of, num_parameters

_ENTRY_KEYS = ("estimator", "nll_nats", "stderr_nats", "bits_per_dim", "elbo_estimator",
               "neg_elbo_nats", "neg_elbo_stderr_nats", "neg_elbo_bits_per_dim", "rate_nats",
               "distortion_nats", "active_units", "mean_ess", "max_pareto_k",
               "fraction_reliable", "iw_samples", "iw_seed")


class LatentCLI(FamilyCLI):
    """Latent-variable programs: ``m.model(x)`` and ``m.guide(x)``."""

    name = "latent"
    options = (
        Option("objective", "trace", "trace: Trace_ELBO; meanfield: analytic KL; renyi: the "
               "IWAE bound with --particles samples", type=str, choices=OBJECTIVES),
        Option("particles", 1, "samples per datum in the objective"),
        Option("particle_draws", "vectorized", "how --particles > 1 are drawn: vectorized, "
               "all in one pass under a particle plate; sequential, one pass each (slower)",
               type=str, choices=PARTICLE_DRAWS),
        Option("kl_warmup", 0, "updates over which the KL weight rises from 0 to 1 (0: none)"),
        Option("iw_samples", 1000, "importance samples K of the test IWAE-K estimate"),
        LR_SCHEDULE,
        Option("init_from", None, "a saved model (a run's model.pt) that part of this one "
               "starts from, as the kind declares (a VAE's NADE decoder: a NADE run of its "
               "--hidden, the code's weights at zero)", type=str),
        Option("init_lr", None, "Adam's rate of the parameters taken from --init-from "
               "(default --lr)", type=float),
    )
    report_defaults = {"objective": "meanfield", "iw_samples": 500}
    evaluate_options = (
        Option("iw_samples", 1000, "importance samples K of the IWAE-K estimate"),
        Option("iw_seed", None, "seed of the importance draws (default: the training run's "
               "seed, which 'train' used)"),
    )
    best_key = "best_valid_neg_elbo_nats"
    scored_as = "has no exact likelihood (ELBO and IWAE-K bounds)"

    def best_figures(self, history, config: dict[str, Any]) -> dict[str, Any]:
        """The kept epoch's validation -ELBO; for ``--objective renyi`` also the negative of
        the IWAE-K bound it was kept on (the validation loss, see ``SVIStep.eval_step``)."""
        if history is None or history.best_epoch is None:
            return {self.best_key: None}
        best = history.epochs[history.best_epoch - 1]
        figures = {self.best_key: -best["valid_elbo"]}
        if config["objective"] == "renyi":
            figures[f"best_valid_neg_iwae_{config['particles']}_nats"] = \
                history.best_valid_loss
        return figures

    def check(self, settings: dict[str, Any]) -> None:
        check_positive_int(settings, "particles", "iw_samples", optional=True)
        if settings.get("kl_warmup") is not None and settings["kl_warmup"] < 0:
            raise ValueError(f"--kl-warmup must be >= 0, got {settings['kl_warmup']}")
        if settings.get("iw_seed") is not None and settings["iw_seed"] < 0:
            raise ValueError(f"--iw-seed must be >= 0, got {settings['iw_seed']}")
        if settings.get("init_lr") is not None and (settings.get("init_from") is None
                                                    or not settings["init_lr"] > 0):
            raise ValueError(f"--init-lr must be > 0 and goes with --init-from, got "
                             f"{settings['init_lr']}")

    def check_data(self, model, splits, settings=None) -> None:
        _check_data(model, splits, (settings or {}).get("objective"))

    def fit(self, model, splits, settings, run: RunSettings, *, log=False) -> FitResult:
        _check_data(model, splits, settings["objective"])
        return fit_vae(model, model_data(model, splits, "train"),
                       model_data(model, splits, "valid"), epochs=run.epochs,
                       objective=settings["objective"], particles=settings["particles"],
                       particle_draws=settings["particle_draws"],
                       kl_warmup=settings["kl_warmup"], batch_size=run.batch_size, lr=run.lr,
                       patience=run.patience, max_seconds=run.max_seconds, seed=run.seed,
                       checkpoint_dir=run.checkpoint_dir, resume=run.resume,
                       lr_schedule=settings["lr_schedule"], log_fn=_log_epoch if log else None,
                       start_from=_saved(settings["init_from"]), start_lr=settings["init_lr"],
                       placement=run.placement)

    def evaluate(self, model, splits, split, settings, seed) -> dict[str, Any]:
        # Imported on use: the diagnostics pull in ArviZ, seconds of start-up that other
        # families' commands need not pay.
        from inference.cli.vae_evaluation import evaluate_vae

        if settings.get("iw_seed") is not None:  # evaluate --iw-seed
            seed = settings["iw_seed"]
        return evaluate_vae(model, model_data(model, splits, split),
                            iw_samples=settings["iw_samples"], seed=seed)

    def sample(self, model, num: int, condition=None) -> torch.Tensor:
        return model.sample(num)

    def train_figures(self, out: Path, fit: FitResult, splits, seed) -> None:
        from inference.cli.vae_figures import save_vae_figures

        save_vae_figures(out, fit.model, fit.history, model_data(fit.model, splits, "test"),
                         seed)

    def report_entry(self, fit: FitResult, splits: DataSplits, settings, seed) -> dict[str, Any]:
        scores = self.evaluate(fit.model, splits, "test", settings, seed)
        return {
            "status": "fitted",
            **{k: scores[k] for k in _ENTRY_KEYS},
            "n_test": scores["n"],
            "num_parameters": num_parameters(fit.model),
            "latent_dim": fit.model.latent_dim,
            "epochs": fit.epochs,
            "best_epoch": fit.history.best_epoch,
            "seconds": fit.seconds,
            "fit": fit.method,
        }

    def report_estimators(self, settings) -> dict[str, str]:
        k = settings["iw_samples"]
        return {
            "ELBO": "evidence lower bound, mean over guide draws: its NLL is an upper bound",
            f"IWAE-{k}": f"importance-weighted bound with {k} guide draws per image: an upper "
                         "bound on the NLL in expectation, tighter than the ELBO",
        }

    def report_figures(self, out: Path, fits, entries) -> list[tuple[str, str]]:
        from inference.cli.vae_figures import save_vae_rate_distortion

        exact = {k: m["nll_nats"] for k, m in entries.items()
                 if m["status"] == "fitted" and m["estimator"] == "exact"}
        references = {}
        if exact:
            best = min(exact, key=exact.get)
            references = {f"{best}, exact NLL": exact[best]}
        written = []
        for kind, fit in fits.items():
            name = "rate_distortion.png" if len(fits) == 1 else f"rate_distortion_{kind}.png"
            save_vae_rate_distortion(out / name, fit.history, entries[kind],
                                     references=references)
            written.append((name, f"{kind}: validation rate and distortion per epoch, its "
                                  "test point, and lines of equal R + D (= -ELBO)"))
        return written


def _check_data(model, splits: DataSplits, objective: str | None = None) -> None:
    """Run the model program on two training rows before the first update, so that data the
    model cannot score (real values for Bernoulli pixels) is refused in the command line's
    terms; with ``objective="meanfield"``, also the guide, so that a model with a latent
    site whose KL has no closed form (a VampPrior) is refused before anything is written
    (:func:`~inference.training.svi_step.missing_closed_form_kl`; the step would refuse it
    on its first update). The RNG draws are forked off and leave the run's streams as they
    were.

    :raises ValueError: naming the kind, the data set and the model's own objection, or the
        objective and the sites.
    """
    x = model_data(model, splits, "train")[:2]
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        try:
            poutine.trace(model.model).get_trace(x)
        except ValueError as e:
            # Pyro re-raises from inside the trace with its sites' shapes appended; the
            # model's own message is the cause.
            reason = " ".join(str(e.__cause__ or e).split())
            raise ValueError(f"--model {kind_of(model)} cannot be fitted to --dataset "
                             f"{splits.name}: {reason}") from e
        if objective == "meanfield":
            guide = poutine.trace(model.guide).get_trace(x)
            replayed = poutine.trace(poutine.replay(model.model, trace=guide)).get_trace(x)
            missing = missing_closed_form_kl(replayed, guide)
            if missing:
                raise ValueError(
                    f"--objective meanfield needs a closed-form KL(q || p) at every latent "
                    f"site, and --model {kind_of(model)} as configured has none at site "
                    f"{', '.join(missing)}: use --objective trace (the same KL by Monte "
                    "Carlo, named so) or renyi")


def _saved(path: str | None):
    """The model saved at ``path`` (``--init-from``), or None."""
    if path is None:
        return None
    from inference.persistence import load_model

    return load_model(path)[0]


def _log_epoch(record: dict[str, Any]) -> None:
    print(f"epoch {record['epoch']}: train loss {record['train_loss']:.3f}, valid ELBO "
          f"{record['valid_elbo']:.3f} (rate {record['valid_rate']:.3f}, distortion "
          f"{record['valid_distortion']:.3f}) nats ({record['seconds']:.1f} s)",
          file=sys.stderr, flush=True)
