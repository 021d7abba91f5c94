"""A Bernoulli MLP VAE on the fixed binarized MNIST: SVI on train, select on valid, IWAE test.

The model is :class:`~ppl_models.vae.VAE` (standard normal prior, diagonal Gaussian guide,
Bernoulli pixels), fitted by :class:`~inference.training.SVIStep` on the single-sample ELBO
(``TraceMeanField_ELBO``: analytic KL) through the library's Trainer, the epoch with the best
validation ELBO kept. Test log-likelihood is :func:`importance_log_likelihood` with K = 5000
draws from the guide (Burda et al. 2016, eq. 8), with the Pareto k-hat of each image's weights.

What the recipe changes against Pyro's VAE example (784-400-50, Adam 1e-3 constant, batch
128): two hidden layers of 500, a cosine learning-rate decay over the whole budget, a short
KL warm-up, and the decoder's output bias started at the pixels' marginal log-odds.

Prints one JSON line per epoch and a final JSON line of results.

    python benchmarks/vae_binarized_mnist.py --epochs 120 --checkpoint-dir runs/vae
"""

import argparse
import json
import math
import time
from pathlib import Path

import torch
from fit_or_load import fit_or_load

from inference.diagnostics import importance_log_likelihood
from inference.training import SVIStep, Trainer
from inference.training.checkpoint import load_checkpoint
from ppl_models.data import load_binarized_mnist
from ppl_models.vae import VAE

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_DATA = SHARED / "data" / "binarized_mnist.npz"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    p.add_argument("--latent", type=int, default=50)
    p.add_argument("--epochs", type=int, default=120)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup-epochs", type=float, default=5.0,
                   help="KL warm-up length in epochs (0 for none)")
    p.add_argument("--patience", type=int, default=20)
    p.add_argument("--objective", choices=["meanfield", "renyi"], default="meanfield",
                   help="renyi: the IWAE bound with --num-particles draws (alpha = 0)")
    p.add_argument("--num-particles", type=int, default=1)
    p.add_argument("--init-from", type=Path, default=None,
                   help="start from the weights in this best.pt/last.pt")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-dir", type=Path, default=None)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--evaluate-only", action="store_true",
                   help="skip training; score best.pt from --checkpoint-dir")
    p.add_argument("--num-samples", type=int, default=5000, help="K of the IWAE estimate")
    p.add_argument("--chunk-size", type=int, default=500)
    p.add_argument("--test-limit", type=int, default=None, help="score the first N test rows")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads; 1 when sharing the machine (OpenMP hates oversubscription)")
    p.add_argument("--train-limit", type=int, default=None, help="use the first N train rows")
    return p.parse_args(argv)


def init_output_bias(vae: VAE, train: torch.Tensor) -> None:
    """Start the decoder's output at the pixels' marginal log-odds (as NADE's bias is).

    An untrained decoder otherwise predicts 1/2 everywhere, about 544 nats per image, and
    the first epochs are spent learning the mean image.
    """
    mean = train.mean(0).clamp(1e-3, 1 - 1e-3)
    last = vae.decoder[0][-1]
    with torch.no_grad():
        last.bias.copy_(torch.logit(mean))


def build(args, train):
    torch.manual_seed(args.seed)
    vae = VAE((784,), args.latent, hidden=tuple(args.hidden))
    if args.init_from is None:
        init_output_bias(vae, train)
    else:
        vae.load_state_dict(load_checkpoint(args.init_from)["step"]["model"])
    batches = math.ceil(len(train) / args.batch_size)
    optimizer = torch.optim.Adam(vae.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * batches)
    step = SVIStep(vae, objective=args.objective, num_particles=args.num_particles,
                   vectorize_particles=args.num_particles > 1, optimizer=optimizer,
                   scheduler=scheduler,
                   kl_warmup_steps=round(args.warmup_epochs * batches))
    return vae, step


def test_elbo(step: SVIStep, x: torch.Tensor, seed: int, batch_size: int = 1000) -> float:
    torch.manual_seed(seed)
    total = 0.0
    for i in range(0, len(x), batch_size):
        batch = x[i : i + batch_size]
        total += step.eval_step(batch)["elbo"] * len(batch)
    return total / len(x)


def main(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_binarized_mnist(args.data)
    train = data["train"][: args.train_limit]
    vae, step = build(args, train)
    trainer = Trainer(step, train, data["valid"], batch_size=args.batch_size,
                      max_epochs=args.epochs, patience=args.patience, seed=args.seed,
                      checkpoint_dir=args.checkpoint_dir,
                      log_fn=lambda r: print(json.dumps({"epoch_record": r}), flush=True))
    training = fit_or_load(trainer, evaluate_only=args.evaluate_only, resume=args.resume)
    vae.eval()
    test = data["test"][: args.test_limit]
    start = time.perf_counter()
    ll = importance_log_likelihood(vae.model, vae.guide, test, num_samples=args.num_samples,
                                   chunk_size=args.chunk_size, seed=args.seed, batch_size=100)
    eval_seconds = time.perf_counter() - start
    nll = -ll.log_likelihood
    result = {
        "benchmark": "binarized_mnist_vae_nll",
        "model": f"784-{'-'.join(map(str, args.hidden))}-{args.latent} MLP VAE, Bernoulli",
        "objective": ("TraceMeanField_ELBO (single sample, analytic KL)"
                      if args.objective == "meanfield"
                      else f"RenyiELBO alpha=0 (IWAE bound), K={args.num_particles}"),
        "init_from": None if args.init_from is None else str(args.init_from),
        "estimator": f"IWAE-{args.num_samples}",
        "seed": args.seed,
        "test_images": len(test),
        "test_nll_nats": round(nll.mean().item(), 3),
        "test_nll_stderr": round(nll.std().item() / math.sqrt(len(nll)), 3),
        "test_neg_elbo_nats": round(-test_elbo(step, test, seed=args.seed), 3),
        "fraction_pareto_k_below_0_7": round(ll.reliable.float().mean().item(), 4),
        "median_pareto_k": round(ll.pareto_k.median().item(), 3),
        **training,
        "eval_wall_seconds": round(eval_seconds, 1),
        "eval_images_per_second": round(len(test) / eval_seconds, 2),
        "lr": args.lr, "batch_size": args.batch_size, "warmup_epochs": args.warmup_epochs,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main(parse_args())
