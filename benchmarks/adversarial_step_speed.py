"""The adversarial step against a hand-written PyTorch DCGAN loop.

Same networks (:class:`~ppl_models.gan.DCGAN`'s generator and discriminator, the same
initial weights), same batches of MNIST-5k images (embedded), same optimisers (Adam,
``--lr``, betas (0.5, 0.999), one per player), same non-saturating losses; one contender
runs :class:`~inference.training.AdversarialStep` on the standard game (with its finite
checks, loss parts and schedule bookkeeping), the other writes the PyTorch DCGAN example's
loop out: a discriminator update on real and detached fake images, then a generator update
through the updated discriminator on the same fakes. With ``--channels-last`` both run on
channels-last tensors; with ``--bf16`` both run under CPU bf16 autocast (where the CPU has
it). With ``--compile`` both contenders' networks go through ``torch.compile`` and a third,
the plain loop left eager, runs beside them, so the compiled/eager ratio is measured in the
same run; the warm-up's extra seconds (tracing and code generation, or a cache hit) are
reported as the compile time. They take turns batch by batch (the order alternating), so a
noisy neighbour slows both alike; an epoch's time is the sum of its steps', and the median
over repeats is reported with the ratio to the plain loop. Prints one JSON line.

    python benchmarks/adversarial_step_speed.py --batches 40 --threads 1 --record
"""

import contextlib
import statistics
import time

import torch
import torch.nn.functional as F

from inference.cli.script_options import finish, script_parser
from inference.training import AdversarialStep
from inference.training.interleaved_timing import interleaved_epoch
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


def main(args):
    images = load_dataset("mnist5k", binarize=None, seed=args.seed).train
    if args.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(args.seed))
    batches = [images[i] for i in order.split(args.batch_size)[:args.batches]]
    steps = {}
    names = ("plain", "library") + (("plain_eager",) if args.compile else ())
    for name in names:
        torch.manual_seed(args.seed)
        model = DCGAN((1, 28, 28), latent_dim=100, channels=args.channels)
        if args.channels_last:
            model = model.to(memory_format=torch.channels_last)
        if args.compile and name != "plain_eager":
            # The wrappers share the eager modules' parameters, so the optimisers are alike.
            # (Module.compile() in place traced nothing in this torch: no graph, no speed.)
            model.generator = torch.compile(model.generator)
            model.discriminator = torch.compile(model.discriminator)
        steps[name] = (AdversarialStep(model, lr=args.lr, betas=(0.5, 0.999))
                       if name == "library" else PlainStep(model, args.lr))
    context = ((lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.bf16
               else contextlib.nullcontext)
    warm_up = {}
    for name, step in steps.items():  # one at a time, so each one's compile is its own
        start = time.perf_counter()
        interleaved_epoch({name: step}, batches[:3], context)
        warm_up[name] = time.perf_counter() - start
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
        "compile": args.compile,
    }
    if args.compile:
        # The warm-up's three steps less three steady steps: what tracing and codegen cost.
        # The first compiled contender pays it; the second finds the process's graphs.
        per_step = {k: v / args.batches for k, v in median.items()}
        result["compile_seconds"] = round(max(warm_up[k] - 3 * per_step[k]
                                              for k in ("plain", "library")), 1)
        result["ratio_compiled_over_eager"] = round(median["plain"] / median["plain_eager"], 3)
    return finish(args, result, figures={
        "columns": ["threads", "channels_last", "bf16", "compile", "plain images/s",
                    "AdversarialStep / plain", "compiled / eager", "compile time (s)"],
        "rows": [[result["threads"], args.channels_last, args.bf16, args.compile,
                  result["images_per_second"]["plain"],
                  result["ratio_library_over_plain"],
                  result.get("ratio_compiled_over_eager", "-"),
                  result.get("compile_seconds", "-")]]})


def parse_args(argv=None):
    p = script_parser(__doc__, record=True, smoke=False)
    p.add_argument("--batches", type=int, default=40, help="batches per timed epoch")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--channels", type=int, default=32, help="DCGAN base width")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--bf16", action="store_true", help="both under CPU bf16 autocast")
    p.add_argument("--compile", action="store_true",
                   help="both through torch.compile, beside an eager plain loop")
    return p.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
