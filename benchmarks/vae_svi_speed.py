"""An SVI epoch of the Pyro VAE against a hand-written plain-PyTorch VAE.

Same encoder and decoder networks (784-400-50 MLP, Bernoulli likelihood), same analytic
KL, same Adam, same batches; the only difference is that one runs Pyro's
``TraceMeanField_ELBO`` through :class:`~inference.training.SVIStep` (with its rate and
distortion bookkeeping and its per-batch data check) and the other computes the loss by
hand. A third contender, ``svi_jit``, is the same ``SVIStep`` with ``jit=True``: the loss
compiled once per batch shape, so the programs' Python (and the VAE's per-batch data
check) runs only when a shape compiles. They take turns batch by batch (the order
alternates), so a noisy neighbour on a shared machine slows all alike; an epoch's time is
the sum of its steps' times, and the median over repeats is reported. Prints one JSON
line with the ratios to the plain epoch.

    python benchmarks/vae_svi_speed.py --n 10000 --batch-size 128 --threads 1
"""

import statistics

import torch
import torch.nn.functional as F

from inference.cli.script_options import finish, script_parser
from inference.training import SVIStep
from inference.training.interleaved_timing import interleaved_epoch
from ppl_models.vae import VAE


class PlainStep:
    """The VAE loss written out: reparameterised z, Bernoulli NLL, analytic Gaussian KL."""

    def __init__(self, vae: VAE, lr: float):
        self.vae = vae
        self.optimizer = torch.optim.Adam(vae.parameters(), lr=lr)

    def train_step(self, x):
        h = self.vae.encoder(x)
        loc, raw = h.chunk(2, dim=-1)
        scale = F.softplus(raw) + 1e-3
        z = loc + scale * torch.randn_like(loc)
        logits = self.vae.decoder(z)
        distortion = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        kl = 0.5 * (loc**2 + scale**2 - 1) - scale.log()
        loss = (distortion.flatten(1).sum(1) + kl.sum(1)).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.item()}


def main(args):
    torch.manual_seed(args.seed)
    data = torch.bernoulli(torch.full((args.n, 1, 28, 28), 0.13))
    steps = {}
    for name in ("plain", "svi", "svi_jit"):
        torch.manual_seed(args.seed)
        vae = VAE((1, 28, 28), 50, hidden=(400,))
        steps[name] = (PlainStep(vae, 1e-3) if name == "plain"
                       else SVIStep(vae, objective="meanfield", lr=1e-3,
                                    jit=name == "svi_jit"))
    times = {name: [] for name in steps}
    batches = data.split(args.batch_size)
    interleaved_epoch(steps, batches[:10])  # warm-up
    for _ in range(args.repeats):
        for name, seconds in interleaved_epoch(steps, batches).items():
            times[name].append(seconds)
    median = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "benchmark": "vae_svi_epoch", "n": args.n, "batch_size": args.batch_size,
        "architecture": "784-400-50 MLP, Bernoulli, analytic KL",
        "threads": torch.get_num_threads(), "repeats": args.repeats,
        "seconds": {k: round(v, 3) for k, v in median.items()},
        "ratio_svi_over_plain": round(median["svi"] / median["plain"], 3),
        "ratio_svi_jit_over_plain": round(median["svi_jit"] / median["plain"], 3),
    }
    return finish(args, result, figures={
        "columns": ["threads", "plain epoch (s)", "SVI / plain", "SVI jit / plain"],
        "rows": [[result["threads"], result["seconds"]["plain"],
                  result["ratio_svi_over_plain"], result["ratio_svi_jit_over_plain"]]]})


def parse_args(argv=None):
    p = script_parser(__doc__, record=True, smoke=False, threads=None)
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--repeats", type=int, default=3)
    return p.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
