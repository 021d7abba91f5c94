"""DeepNADE: exact test NLL of one ordering and of ensembles of orderings, beside baselines.

Scores the runs of ``ppl-models train`` (their ``model.pt`` and ``config.json``), all on the
test split of the first run's data set and seed: the DeepNADE's default (identity)
ordering, its ensembles of ``K`` orderings (the uniform mixture of ``K`` joints, Uria, Murray
& Larochelle 2014; the default ordering and ``K - 1`` drawn from ``--order-seed``),
and each ``--baseline`` run. Prints one JSON line with the CPU seconds of the scoring.

    ppl-models train --recipe deep_nade_digits --threads 1 --out runs/deep_nade
    ppl-models train --recipe nade_digits --epochs 400 --patience 40 --out runs/nade
    python benchmarks/deep_nade_ensembles.py runs/deep_nade --baseline runs/nade --threads 1
"""

import argparse
import json
import math
import time
from pathlib import Path

import torch

from inference.persistence import load_model
from ppl_models.data import load_dataset
from ppl_models.distributions import DeepNADE


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="a DeepNADE run folder (model.pt, config.json)")
    p.add_argument("--baseline", type=Path, nargs="*", default=[],
                   help="run folders of exact models on the same data")
    p.add_argument("--orderings", type=int, nargs="+", default=[1, 2, 8, 32])
    p.add_argument("--order-seed", type=int, default=0)
    p.add_argument("--single-orderings", type=int, default=8,
                   help="also score this many single random orderings, one at a time (the "
                        "identity's prefixes are contiguous masks, rare in training)")
    p.add_argument("--threads", type=int, default=None)
    return p.parse_args(argv)


def per_image(dist, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    with torch.no_grad():
        return -torch.cat([dist.log_prob(part) for part in x.split(batch)]).double()


def summary(nll: torch.Tensor, dim: int) -> dict[str, float]:
    return {"nll_nats": nll.mean().item(), "stderr_nats": (nll.std() / math.sqrt(len(nll))).item(),
            "bits_per_dim": nll.mean().item() / (dim * math.log(2))}


def paired(baseline: torch.Tensor, ours: dict[int, torch.Tensor]) -> dict[str, list[float]]:
    """Per ensemble size, the baseline's NLL minus the DeepNADE's, [mean, stderr] over the same
    test images (positive: the DeepNADE is better)."""
    diffs = {k: baseline - v for k, v in ours.items()}
    return {f"orderings_{k}": [d.mean().item(), (d.std() / math.sqrt(len(d))).item()]
            for k, d in diffs.items()}


def _fit(run: Path) -> dict:
    """How a run was trained, from its metrics.json: seed, epochs run, the one kept."""
    metrics = json.loads((run / "metrics.json").read_text())
    return {k: metrics[k] for k in ("seed", "epochs", "best_epoch", "fit_seconds", "fit")}


def main(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    config = json.loads((args.run / "config.json").read_text())
    if config.get("data_path") is not None:
        raise ValueError("this benchmark reads embedded data sets only")
    splits = load_dataset(config["dataset"], binarize=config["binarize"], seed=config["seed"])
    test = splits.flat("test")
    model, _ = load_model(args.run / "model.pt")
    if not isinstance(model, DeepNADE):
        raise ValueError(f"{args.run} holds no DeepNADE")
    model.eval()
    start = time.process_time()
    record = {"data": f"{config['dataset']} ({config['binarize']}), test split of seed "
                      f"{config['seed']}", "n_test": len(test), "estimator": "exact",
              "deep_nade": {"run": str(args.run), "hidden": list(model.hidden),
                            **_fit(args.run)}}
    ours = {k: per_image(model.ensemble(k, seed=args.order_seed), test) for k in args.orderings}
    for k, nll in ours.items():
        record["deep_nade"][f"orderings_{k}"] = summary(nll, test.shape[1])
    gen = torch.Generator().manual_seed(args.order_seed + 1)
    singles = [summary(per_image(model(ordering=torch.randperm(model.dim, generator=gen)),
                                 test), test.shape[1])["nll_nats"]
               for _ in range(args.single_orderings)]
    if singles:
        record["deep_nade"]["single_random_orderings_nll_nats"] = singles
    for run in args.baseline:
        base, _ = load_model(run / "model.pt")
        base.eval()
        base_config = json.loads((run / "config.json").read_text())
        if (base_config["dataset"], base_config["seed"]) != (config["dataset"], config["seed"]):
            raise ValueError(f"{run} was trained on other data or another split")
        nll = per_image(base(), test)
        record[base_config["model"] + f" ({run.name})"] = {
            **summary(nll, test.shape[1]), **_fit(run),
            "minus_deep_nade_paired": paired(nll, ours)}
    record["scoring_cpu_seconds"] = time.process_time() - start
    print(json.dumps(record))
    return record


if __name__ == "__main__":
    main(parse_args())
