"""A VAE with a conditional-NADE decoder against the plain NADE, on fixed binarized MNIST.

The decoder :math:`p(x \\mid z) = \\prod_d p(x_d \\mid x_{<d}, z)` is a NADE whose biases
the code shifts (``VAE(likelihood="nade")``). It starts as the plain NADE fitted by
``benchmarks/nade_binarized_mnist.py`` (its ``best.pt``), with the code's weights at zero:
at step 0 the VAE's marginal likelihood *is* the NADE's, whatever the guide. SVI on the
ELBO (analytic KL, a KL warm-up so the code is used before it is charged for) then teaches
the encoder and the code's weights what global structure the pixel-by-pixel model misses.

Both models are scored on the same test images in this run: the NADE exactly, the VAE by
:func:`importance_log_likelihood` with K draws. Since that estimate is a stochastic lower
bound on :math:`\\log p(x)` (Burda et al. 2016, Theorem 1), a VAE figure below the NADE's
is a real improvement, not an artefact of the estimator. The difference is reported with
its paired standard error.

    python benchmarks/nade_vae_binarized_mnist.py --nade-checkpoint runs/nade/best.pt
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
from ppl_models.distributions.nade import NADE
from ppl_models.vae import VAE

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_DATA = SHARED / "data" / "binarized_mnist.npz"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--nade-checkpoint", type=Path, required=True,
                   help="best.pt of a benchmarks/nade_binarized_mnist.py run")
    p.add_argument("--nade-hidden", type=int, default=500)
    p.add_argument("--latent", type=int, default=32)
    p.add_argument("--encoder-hidden", type=int, nargs="+", default=[500])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3, help="encoder and code weights")
    p.add_argument("--decoder-lr", type=float, default=1e-4, help="the NADE's own weights")
    p.add_argument("--warmup-epochs", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-dir", type=Path, default=None)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--evaluate-only", action="store_true",
                   help="skip training; score best.pt from --checkpoint-dir")
    p.add_argument("--num-samples", type=int, default=100, help="K of the IWAE estimate")
    p.add_argument("--chunk-size", type=int, default=100)
    p.add_argument("--test-limit", type=int, default=None)
    p.add_argument("--train-limit", type=int, default=None)
    p.add_argument("--threads", type=int, default=None)
    return p.parse_args(argv)


def load_nade(path: Path, hidden: int) -> NADE:
    nade = NADE(784, hidden)
    nade.load_state_dict(load_checkpoint(path)["step"]["model"])
    return nade.eval()


def build(args, nade: NADE, n_train: int):
    """The VAE, its decoder a copy of ``nade`` with zero code weights, and its SVIStep."""
    torch.manual_seed(args.seed)
    vae = VAE((784,), args.latent, hidden=tuple(args.encoder_hidden), likelihood="nade",
              nade_hidden=args.nade_hidden)
    missing, unexpected = vae.decoder.load_state_dict(nade.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("context_net.") for k in missing), missing
    with torch.no_grad():
        vae.decoder.context_net.weight.zero_()
        vae.decoder.context_net.bias.zero_()
    own = [vae.decoder.W, vae.decoder.c, vae.decoder.V, vae.decoder.b]
    rest = [p for p in vae.parameters() if all(p is not q for q in own)]
    optimizer = torch.optim.Adam([{"params": own, "lr": args.decoder_lr},
                                  {"params": rest, "lr": args.lr}])
    batches = math.ceil(n_train / args.batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * batches)
    step = SVIStep(vae, objective="meanfield", optimizer=optimizer, scheduler=scheduler,
                   kl_warmup_steps=round(args.warmup_epochs * batches))
    return vae, step


def exact_nll(nade: NADE, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([-nade().log_prob(b) for b in x.split(1000)])


def main(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_binarized_mnist(args.data)
    train = data["train"][: args.train_limit]
    nade = load_nade(args.nade_checkpoint, args.nade_hidden)
    vae, step = build(args, nade, len(train))
    trainer = Trainer(step, train, data["valid"], batch_size=args.batch_size,
                      max_epochs=args.epochs, seed=args.seed, checkpoint_dir=args.checkpoint_dir,
                      log_fn=lambda r: print(json.dumps({"epoch_record": r}), flush=True))
    training = fit_or_load(trainer, evaluate_only=args.evaluate_only, resume=args.resume)
    vae.eval()
    test = data["test"][: args.test_limit]
    nade_nll = exact_nll(nade, test)
    start = time.perf_counter()
    ll = importance_log_likelihood(vae.model, vae.guide, test, num_samples=args.num_samples,
                                   chunk_size=args.chunk_size, seed=args.seed, batch_size=100,
                                   compute_pareto_k=args.num_samples > 20)
    eval_seconds = time.perf_counter() - start
    vae_nll = -ll.log_likelihood
    diff = vae_nll - nade_nll
    n = len(test)
    result = {
        "benchmark": "binarized_mnist_nade_vae_vs_nade",
        "model": f"VAE, conditional NADE-{args.nade_hidden} decoder, {args.latent} latents, "
                 f"encoder 784-{'-'.join(map(str, args.encoder_hidden))}",
        "test_images": n,
        "nade_test_nll_nats": round(nade_nll.mean().item(), 3),
        "vae_test_nll_nats": round(vae_nll.mean().item(), 3),
        "vae_estimator": f"IWAE-{args.num_samples}",
        "difference_nats": round(diff.mean().item(), 3),
        "difference_paired_stderr": round(diff.std().item() / math.sqrt(n), 3),
        "fraction_pareto_k_below_0_7": (None if ll.pareto_k is None
                                        else round(ll.reliable.float().mean().item(), 4)),
        **training,
        "eval_wall_seconds": round(eval_seconds, 1),
        "lr": args.lr, "decoder_lr": args.decoder_lr, "warmup_epochs": args.warmup_epochs,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main(parse_args())
