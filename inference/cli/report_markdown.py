"""The ``README.md`` of a report: one table of test NLL per model and estimator, and what it
means."""

from __future__ import annotations

__all__ = ["report_markdown"]

from typing import Any

_FIGURES = (
    ("nll_bars.png", "test NLL per model (the VAE's is its IWAE-K estimate)"),
    ("training_curves.png", "FVSBN and NADE (NLL), VAE (-ELBO): train (dashed) and validation "
                            "per epoch"),
    ("rate_distortion.png", "the VAE's validation rate and distortion per epoch, its test "
                            "point, and lines of equal R + D (= -ELBO)"),
    ("data_samples.png", "test images"),
)


def report_markdown(metrics: dict[str, Any], *, table_only: bool = False) -> str:
    """Markdown summary of a report's ``metrics.json``.

    :param dict metrics: as written by ``ppl-models report``.
    :param bool table_only: just the table (for the terminal).
    """
    table = _table(metrics["models"])
    if table_only:
        return table
    seconds = metrics.get("wall_seconds")
    timing = f" in {seconds:.0f} s" if seconds is not None else ""
    vae = metrics.get("vae")
    lines = [
        f"# Generative models on {metrics['dataset']}",
        "",
        f"{metrics['dim']} binary pixels per image {tuple(metrics['image_shape'])}, "
        f"{metrics['binarize']} binarisation; {_sizes(metrics['sizes'])}; "
        f"seed {metrics['seed']}; written{timing}.",
        "",
        "Test NLL in nats per test image (bits/dim = nats / (D ln 2)); ± is its standard "
        "error over the test images. The **estimator** column says what each number is: "
        "**exact** for the density models, whose log-likelihood has a closed form; for the "
        "VAE, whose log p(x) is an intractable integral over z, **ELBO** (-ELBO, an upper "
        "bound on its NLL) and **IWAE-K** (importance-weighted with K guide draws per image, "
        "an upper bound on its NLL in expectation, tighter than the ELBO). So the VAE's rows "
        "overstate its NLL, and its IWAE-K figure is a trustworthy estimate only for the "
        "images whose Pareto k̂ is below 0.7.",
        "",
        f"Independent and Markov (and the full joint, where it fits) are fitted in closed form "
        f"with Beta({metrics['pseudo_count']:g}, {metrics['pseudo_count']:g}) pseudo-counts, "
        "so no test pixel gets probability 0; FVSBN and NADE "
        f"(H = {metrics['hidden']}) are trained by maximum likelihood"
        + (_vae_sentence(vae) if vae else "")
        + f", all with Adam (lr {metrics['lr']:g}), keeping the best validation epoch, early "
        f"stopping after {metrics['patience']} epochs without improvement, within "
        f"{metrics['budget_seconds']:g} s of training together.",
        "",
        table,
        "",
        *_vae_details(metrics["models"]),
        *_refusals(metrics["models"]),
        "## Figures",
        "",
        *[f"- `{name}`: {what}" for name, what in _FIGURES],
        *[f"- `samples_{k}.png`: 64 samples from {k}"
          for k, m in metrics["models"].items() if m["status"] == "fitted"],
        "",
        "Fitted models are in `models/`: `ppl-models evaluate --checkpoint models/nade.pt` "
        "reproduces the number above (and `--iw-samples K` the VAE's); `ppl-models sample` "
        "draws from them.",
        "",
    ]
    return "\n".join(lines)


def _vae_sentence(vae: dict[str, Any]) -> str:
    hidden = "-".join(map(str, vae["hidden"]))
    return (f", the VAE (latent dim {vae['latent_dim']}, MLP {hidden}, Bernoulli pixels) by "
            f"SVI on the {vae['objective']} ELBO")


def _sizes(sizes: dict[str, int]) -> str:
    return " / ".join(f"{n} {split}" for split, n in sizes.items()) + " images"


def _table(models: dict[str, dict[str, Any]]) -> str:
    rows = [
        "| model | estimator | parameters | test NLL (nats) | ± | bits/dim | epochs | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in models.items():
        if m["status"] != "fitted":
            rows.append(f"| {name} | | {m['num_parameters_formula']} ≈ "
                        f"{m['num_parameters_approx']} | refused | | | | |")
            continue
        epochs = f"{m['epochs']} ({m['stopped_by']})" if m["epochs"] else "closed form"
        if m["estimator"] != "exact":
            rows.append(_row(name, "ELBO", m, epochs, m["neg_elbo_nats"],
                             m["neg_elbo_stderr_nats"], m["neg_elbo_bits_per_dim"]))
        rows.append(_row(name, m["estimator"], m, epochs, m["nll_nats"], m["stderr_nats"],
                         m["bits_per_dim"]))
    return "\n".join(rows)


def _row(name, estimator, m, epochs, nats, stderr, bits) -> str:
    stderr = "" if stderr is None else f"{stderr:.2f}"
    return (f"| {name} | {estimator} | {m['num_parameters']:,} | {nats:.2f} | {stderr} | "
            f"{bits:.4f} | {epochs} | {m['seconds']:.1f} |")


def _vae_details(models: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for name, m in models.items():
        if m["status"] == "fitted" and m["estimator"] != "exact":
            k = m["max_pareto_k"]
            lines += [
                f"**{name}**: test rate {m['rate_nats']:.2f} + distortion "
                f"{m['distortion_nats']:.2f} = -ELBO {m['neg_elbo_nats']:.2f} nats "
                f"({m['elbo_estimator']}); {m['active_units']} of {m['latent_dim']} latent "
                f"units active; {m['estimator']}: mean ESS {m['mean_ess']:.0f} of "
                f"{m['iw_samples']}, Pareto k̂ < 0.7 for {100 * m['fraction_reliable']:.0f}% "
                f"of the test images (max k̂ {'n/a' if k is None else f'{k:.2f}'}), draws "
                f"seeded by {m['iw_seed']}.",
                "",
            ]
    return lines


def _refusals(models: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for name, m in models.items():
        if m["status"] == "refused":
            lines += [f"**{name}** was not fitted: it needs {m['num_parameters_formula']} = "
                      f"{m['num_parameters']} parameters. {m['reason']}", ""]
    return lines
