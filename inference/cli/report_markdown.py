"""The ``README.md`` of a report: one table of test NLL per model, and what it means."""

from __future__ import annotations

__all__ = ["report_markdown"]

from typing import Any

_FIGURES = (
    ("nll_bars.png", "test NLL per model"),
    ("training_curves.png", "FVSBN and NADE: train (dashed) and validation NLL per epoch"),
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
    lines = [
        f"# Density models on {metrics['dataset']}",
        "",
        f"{metrics['dim']} binary pixels per image {tuple(metrics['image_shape'])}, "
        f"{metrics['binarize']} binarisation; {_sizes(metrics['sizes'])}; "
        f"seed {metrics['seed']}; written{timing}.",
        "",
        "Test NLL is **exact**, in nats per test image (bits/dim = nats / (D ln 2)); ± is its "
        "standard error over the test images. "
        f"Independent and Markov (and the full joint, where it fits) are fitted in closed form "
        f"with Beta({metrics['pseudo_count']:g}, {metrics['pseudo_count']:g}) pseudo-counts, "
        "so no test pixel gets probability 0; FVSBN and NADE "
        f"(H = {metrics['hidden']}) are trained by maximum likelihood with Adam "
        f"(lr {metrics['lr']:g}), keeping the best validation epoch, early stopping after "
        f"{metrics['patience']} epochs without improvement, within "
        f"{metrics['budget_seconds']:g} s of training together.",
        "",
        table,
        "",
        *_refusals(metrics["models"]),
        "## Figures",
        "",
        *[f"- `{name}`: {what}" for name, what in _FIGURES],
        *[f"- `samples_{k}.png`: 64 samples from {k}"
          for k, m in metrics["models"].items() if m["status"] == "fitted"],
        "",
        "Fitted models are in `models/`: `ppl-models evaluate --checkpoint models/nade.pt` "
        "reproduces the number above; `ppl-models sample` draws from it.",
        "",
    ]
    return "\n".join(lines)


def _sizes(sizes: dict[str, int]) -> str:
    return " / ".join(f"{n} {split}" for split, n in sizes.items()) + " images"


def _table(models: dict[str, dict[str, Any]]) -> str:
    rows = [
        "| model | parameters | test NLL (nats) | ± | bits/dim | epochs | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in models.items():
        if m["status"] != "fitted":
            rows.append(f"| {name} | {m['num_parameters_formula']} ≈ "
                        f"{m['num_parameters_approx']} | refused | | | | |")
            continue
        epochs = f"{m['epochs']} ({m['stopped_by']})" if m["epochs"] else "closed form"
        stderr = "" if m["stderr_nats"] is None else f"{m['stderr_nats']:.2f}"
        rows.append(f"| {name} | {m['num_parameters']:,} | {m['nll_nats']:.2f} | {stderr} | "
                    f"{m['bits_per_dim']:.4f} | {epochs} | {m['seconds']:.1f} |")
    return "\n".join(rows)


def _refusals(models: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for name, m in models.items():
        if m["status"] == "refused":
            lines += [f"**{name}** was not fitted: it needs {m['num_parameters_formula']} = "
                      f"{m['num_parameters']} parameters. {m['reason']}", ""]
    return lines
