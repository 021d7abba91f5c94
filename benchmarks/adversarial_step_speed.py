"""The adversarial step against a hand-written PyTorch DCGAN loop.

Same networks (:class:`~ppl_models.gan.DCGAN`'s generator and discriminator, the same
initial weights), same batches of MNIST-5k images (embedded), same optimisers (Adam,
``--lr``, betas (0.5, 0.999), one per player), same non-saturating losses; one contender
runs :class:`~inference.training.AdversarialStep` on the standard game (with its finite
checks, loss parts and schedule bookkeeping), the other writes the PyTorch DCGAN example's
loop out: a discriminator update on real and detached fake images, then a generator update
through the updated discriminator on the same fakes. With ``--channels-last`` both run on
channels-last tensors; with ``--bf16`` both run under CPU bf16 autocast (where the CPU has
it). They take turns batch by batch (the order alternating), so a noisy neighbour slows both
alike; an epoch's time is the sum of its steps', and the median over repeats is reported
with the ratio to the plain loop. Prints one JSON line.

    python benchmarks/adversarial_step_speed.py --batches 40 --threads 1 --record
"""

import contextlib
import statistics
import time

import torch
import torch.nn.functional as F

from inference.cli.script_options import finish, script_parser
from inference.training import AdversarialStep
from ppl_models.data import load_dataset
from ppl_models.gan import DCGAN


class PlainStep:
    """PyTorch's DCGAN example loop, with the logits loss (``softplus``) of the
    non-saturating game."""

    def __init__(self, model: DCGAN, lr: float):
        self.model = model
        self.g_opt = torch.optim.Adam(model.generator.parameters(), lr=lr, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(model.discriminator.parameters(), lr=lr,
                                      betas=(0.5, 0.999))

    def train_step(self, real):
        g, d = self.model.generator, self.model.discriminator
        fake = g(torch.randn(len(real), self.model.latent_dim))
        d_loss = F.softplus(-d(real)).mean() + F.softplus(d(fake.detach())).mean()
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()
        g_loss = F.softplus(-d(fake)).mean()
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()
        return {"loss": d_loss.item()}


def interleaved_epoch(steps, batches, context):
    """Seconds each step spent on ``batches``, taking turns batch by batch."""
    seconds = dict.fromkeys(steps, 0.0)
    names = list(steps)
    for b, batch in enumerate(batches):
        for name in names if b % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            with context():
                steps[name].train_step(batch)
            seconds[name] += time.perf_counter() - start
    return seconds


def main(args):
    images = load_dataset("mnist5k", binarize=None, seed=args.seed).train
    if args.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(args.seed))
    batches = [images[i] for i in order.split(args.batch_size)[:args.batches]]
    steps = {}
    for name in ("plain", "library"):
        torch.manual_seed(args.seed)
        model = DCGAN((1, 28, 28), latent_dim=100, channels=args.channels)
        if args.channels_last:
            model = model.to(memory_format=torch.channels_last)
        steps[name] = (PlainStep(model, args.lr) if name == "plain"
                       else AdversarialStep(model, lr=args.lr, betas=(0.5, 0.999)))
    context = ((lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.bf16
               else contextlib.nullcontext)
    interleaved_epoch(steps, batches[:3], context)  # warm-up
    times = {name: [] for name in steps}
    for _ in range(args.repeats):
        for name, seconds in interleaved_epoch(steps, batches, context).items():
            times[name].append(seconds)
    median = {k: statistics.median(v) for k, v in times.items()}
    images_seen = args.batches * args.batch_size
    result = {
        "benchmark": "adversarial_step_speed", "seed": args.seed,
        "model": f"DCGAN 28x28, base width {args.channels}, latent 100",
        "batch_size": args.batch_size, "batches": args.batches,
        "threads": torch.get_num_threads(), "repeats": args.repeats,
        "channels_last": args.channels_last, "bf16": args.bf16,
        "seconds": {k: round(v, 3) for k, v in median.items()},
        "images_per_second": {k: round(images_seen / v, 1) for k, v in median.items()},
        "ratio_library_over_plain": round(median["library"] / median["plain"], 3),
    }
    return finish(args, result, figures={
        "columns": ["threads", "channels_last", "bf16", "plain images/s",
                    "AdversarialStep / plain"],
        "rows": [[result["threads"], args.channels_last, args.bf16,
                  result["images_per_second"]["plain"],
                  result["ratio_library_over_plain"]]]})


def parse_args(argv=None):
    p = script_parser(__doc__, record=True, smoke=False)
    p.add_argument("--batches", type=int, default=40, help="batches per timed epoch")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--channels", type=int, default=32, help="DCGAN base width")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--bf16", action="store_true", help="both under CPU bf16 autocast")
    return p.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
