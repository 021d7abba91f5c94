"""The ``README.md`` of a report: one table of test NLL per model and estimator, and what it
means."""

from __future__ import annotations

__all__ = ["report_markdown"]

from typing import Any

from inference.cli.report_anomaly import anomaly_markdown


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
    fitted = {k: m for k, m in metrics["models"].items() if m["status"] == "fitted"}
    lines = [
        f"# Generative models on {metrics['dataset']}",
        "",
        f"{metrics['dim']} binary pixels per image {tuple(metrics['image_shape'])}, "
        f"{metrics['binarize']} binarisation; {_sizes(metrics['sizes'])}; "
        f"seed {metrics['seed']}; written{timing}.",
        "",
        "Test NLL in nats per test image (bits/dim = nats / (D ln 2)); ± is its standard "
        "error over the test images. The **estimator** column says what each number is: "
        "**exact** for the exact family, whose log-likelihood has a closed form; for a "
        "latent-variable model, whose log p(x) is an intractable integral over z, **ELBO** "
        "(-ELBO, an upper bound on its NLL) and **IWAE-K** (importance-weighted with K guide "
        "draws per image, an upper bound on its NLL in expectation, tighter than the ELBO). "
        "So a latent model's rows overstate its NLL, and its IWAE-K figure is a trustworthy "
        "estimate only for the images whose Pareto k̂ is below 0.7.",
        "",
        f"How each model was fitted (Adam lr {metrics['lr']:g} for those trained by "
        f"gradients, keeping the best validation epoch, early stopping after "
        f"{metrics['patience']} epochs without improvement, within "
        f"{metrics['budget_seconds']:g} s of training together):",
        "",
        *[f"- **{k}**: {m['fit']}" for k, m in fitted.items()],
        "",
        table,
        "",
        *_sample_table(metrics["models"]),
        *_mode_table(metrics["models"]),
        *_latent_details(metrics["models"]),
        *anomaly_markdown(metrics.get("anomaly", {})),
        *_refusals(metrics["models"]),
        "## Figures",
        "",
        *[f"- `{name}`: {what}" for name, what in metrics.get("figures", [])],
        "",
        "Fitted models are in `models/`: `ppl-models evaluate --checkpoint models/<kind>.pt` "
        "reproduces the number above (and `--iw-samples K` a latent model's); "
        "`ppl-models sample` draws from them.",
        "",
    ]
    return "\n".join(lines)


def _sizes(sizes: dict[str, int]) -> str:
    return " / ".join(f"{n} {split}" for split, n in sizes.items()) + " images"


def _table(models: dict[str, dict[str, Any]]) -> str:
    rows = [
        "| model | estimator | parameters | test NLL (nats) | ± | bits/dim | epochs | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in models.items():
        if m["status"] == "fitted" and "nll_nats" not in m:
            continue  # a sampler: its sample metrics have their own table
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


def _sample_table(models: dict[str, dict[str, Any]]) -> list[str]:
    """Samplers (no likelihood): their sample metrics beside the real-vs-real floor."""
    samplers = {k: m for k, m in models.items() if m["status"] == "fitted" and "fid" in m}
    if not samplers:
        return []
    lines = [
        "Samplers have no likelihood; they are scored by sample metrics on the features of a "
        "locally trained classifier (FID and KID against the test images, beside the FID "
        "between as many training and test images: the real-vs-real floor).",
        "",
        "| model | parameters | FID | train-vs-test FID | KID | precision | recall | "
        "classes | class KL | epochs | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in samplers.items():
        lines.append(
            f"| {name} | {m['num_parameters']:,} | {m['fid']:.1f} | "
            f"{m['fid_train_vs_split']:.1f} | {m['kid']:.3f} | {m['precision']:.2f} | "
            f"{m['recall']:.2f} | {m['classes_present']} | {m['class_kl_to_uniform']:.3f} | "
            f"{m['epochs']} ({m.get('stopped_by', '')}) | {m['seconds']:.1f} |")
    extractor = next(iter(samplers.values()))
    lines += ["", f"Features: {extractor['extractor']}, SHA-256 "
                  f"`{extractor['extractor_sha256'][:16]}…`, test accuracy "
                  f"{extractor['extractor_test_accuracy']:.3f}; {extractor['n']} samples.", ""]
    return lines


def _mode_table(models: dict[str, dict[str, Any]]) -> list[str]:
    """Samplers of a toy mixture: modes captured and sample quality (PacGAN's protocol)."""
    samplers = {k: m for k, m in models.items()
                if m["status"] == "fitted" and "modes_captured" in m}
    if not samplers:
        return []
    lines = [
        "Samplers of a toy 2-D mixture with known modes are scored as PacGAN scores them (Lin "
        "et al. 2018): a sample is high quality within 3 standard deviations of its nearest "
        "mode, a mode is captured by at least one high-quality sample; the reverse KL is "
        "between the histogram of nearest modes and uniform. A perfect sampler captures every "
        "mode with 1 - exp(-4.5) = 98.9 % high-quality samples.",
        "",
        "| model | data | parameters | modes captured | high quality | reverse KL | epoch kept "
        "| seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in samplers.items():
        lines.append(
            f"| {name} | {m.get('dataset', '')} | {m['num_parameters']:,} | "
            f"{m['modes_captured']}/{m['n_modes']} | {100 * m['high_quality']:.1f} % | "
            f"{m['reverse_kl']:.3f} | {m['best_epoch']} of {m['epochs']} "
            f"({m.get('stopped_by', '')}) | {m['seconds']:.1f} |")
    lines += ["", f"{next(iter(samplers.values()))['n']} samples each.", ""]
    return lines


def _row(name, estimator, m, epochs, nats, stderr, bits) -> str:
    stderr = "" if stderr is None else f"{stderr:.2f}"
    return (f"| {name} | {estimator} | {m['num_parameters']:,} | {nats:.2f} | {stderr} | "
            f"{bits:.4f} | {epochs} | {m['seconds']:.1f} |")


def _latent_details(models: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for name, m in models.items():
        if m["status"] == "fitted" and "max_pareto_k" in m:
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
