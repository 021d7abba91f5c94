"""Shared by the anomaly benchmarks: fit every model on one training set, score sets with
every score. Imported as a sibling module.

Models (the baseline first): an independent Bernoulli (its NLL is the baseline score), a
NADE (raw NLL; likelihood ratio against two backgrounds fitted to inputs perturbed at rate
``perturb``, Ren et al. 2019: an independent Bernoulli and a small NADE) and a Bernoulli MLP
VAE (-IWAE-K). Every score comes from :func:`inference.metrics.anomaly_scores`; AUROC, AUPRC
and FPR at 95 % TPR from :func:`inference.metrics.detection_metrics` (scikit-learn).
"""

import time

import torch

from inference.cli.fitting import fit_background, fit_network, fit_vae
from inference.metrics import anomaly_scores, detection_metrics
from ppl_models import registry
from ppl_models.data import perturb_binary

METRICS = ("auroc", "auprc", "fpr_at_95_tpr")
BASELINE = "independent_nll (baseline)"


def add_model_args(p, *, hidden=100, background_hidden=20, vae_hidden=300, epochs=30,
                   max_seconds=60.0):
    """The options every anomaly benchmark shares (sizes, budget, perturbation, seed)."""
    p.add_argument("--hidden", type=int, default=hidden, help="NADE hidden units")
    p.add_argument("--background-hidden", type=int, default=background_hidden,
                   help="hidden units of the NADE background")
    p.add_argument("--latent-dim", type=int, default=16)
    p.add_argument("--vae-hidden", type=int, default=vae_hidden)
    p.add_argument("--epochs", type=int, default=epochs, help="most epochs per model")
    p.add_argument("--max-seconds", type=float, default=max_seconds,
                   help="training budget per model and split (the budget option)")
    p.add_argument("--iw-samples", type=int, default=100, help="K of the VAE's -IWAE-K")
    p.add_argument("--perturb", type=float, default=0.2,
                   help="backgrounds' perturbation rate (Ren et al. 2019)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)


def fit_models(train, valid, image_shape, args) -> dict:
    """Every model and background on ``(N, D)`` binary ``train``, selected on ``valid``."""
    dim = train.shape[1]
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    nade = registry.build("nade", dim=dim, hidden=args.hidden)
    nade_fit = fit_network(nade, train, valid, epochs=args.epochs, lr=args.lr,
                           max_seconds=args.max_seconds, seed=args.seed, patience=5)
    independent = registry.build("independent", dim=dim).fit(train, alpha=1, beta=1)
    gen = torch.Generator().manual_seed(args.seed)
    independent_bg = registry.build("independent", dim=dim).fit(
        perturb_binary(train, args.perturb, generator=gen), alpha=1, beta=1)
    torch.manual_seed(args.seed)
    nade_bg = registry.build("nade", dim=dim, hidden=args.background_hidden)
    bg_fit = fit_background(nade_bg, train, valid, args.perturb, seed=args.seed,
                            epochs=args.epochs, lr=args.lr, max_seconds=args.max_seconds,
                            patience=5)
    torch.manual_seed(args.seed)
    vae = registry.build("vae", input_shape=list(image_shape), latent_dim=args.latent_dim,
                         hidden=[args.vae_hidden])
    images = (t.reshape(len(t), *image_shape) for t in (train, valid))
    vae_fit = fit_vae(vae, *images, epochs=args.epochs, objective="meanfield", lr=1e-3,
                      max_seconds=args.max_seconds, seed=args.seed, patience=5,
                      kl_warmup=len(train) // 100)
    return {"nade": nade, "independent": independent, "independent_bg": independent_bg,
            "nade_bg": nade_bg, "vae": vae, "image_shape": tuple(image_shape),
            "fit": {"n_train": len(train), "nade_epochs": nade_fit.epochs,
                    "nade_background_epochs": bg_fit.epochs, "vae_epochs": vae_fit.epochs,
                    "train_seconds": round(time.perf_counter() - start, 1)}}


def score_functions(models, args) -> dict:
    """Name -> function of ``(N, D)`` data giving ``(N,)`` scores (higher = anomalous)."""
    nade, shape = models["nade"], models["image_shape"]
    return {
        BASELINE: lambda x: anomaly_scores(models["independent"], x, "nll"),
        "nade_nll": lambda x: anomaly_scores(nade, x, "nll"),
        "nade_ratio_independent_bg": lambda x: anomaly_scores(
            nade, x, "likelihood_ratio", background=models["independent_bg"]),
        "nade_ratio_nade_bg": lambda x: anomaly_scores(
            nade, x, "likelihood_ratio", background=models["nade_bg"]),
        f"vae_neg_iwae_{args.iw_samples}": lambda x: anomaly_scores(
            models["vae"], x.reshape(len(x), *shape), "neg_iwae",
            num_samples=args.iw_samples, seed=args.seed),
    }


def detect(scores, x_in, x_out) -> dict:
    """Detection metrics of every score, in-distribution ``x_in`` against ``x_out``."""
    result = {}
    for name, score in scores.items():
        m = detection_metrics(score(x_in), score(x_out))
        result[name] = {key: round(m[key], 4) for key in METRICS}
    return result


def mean_sd(rows: list[dict]) -> dict:
    """Per score and metric, mean and sample sd over ``rows`` (each ``{score: {metric: v}}``)."""
    out = {}
    for name in rows[0]:
        vals = {key: torch.tensor([r[name][key] for r in rows], dtype=torch.float64)
                for key in METRICS}
        out[name] = {key: round(v.mean().item(), 4) for key, v in vals.items()}
        if len(rows) > 1:
            out[name].update({f"{key}_sd": round(v.std().item(), 4) for key, v in vals.items()})
    return out
