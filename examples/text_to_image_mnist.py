"""Text-to-image on MNIST: caption the digits, train GAN-CLS + GAN-INT, print prompts and
draw them: each prompt a row's title, its samples beside it, the same noise down each column.

``python examples/text_to_image_mnist.py --smoke`` runs a few steps on 64 images;
``--out`` is where ``prompts.png`` goes (default ``runs/text_to_image``).
"""

import argparse
from pathlib import Path

import torch

from inference.plots import save_text_prompts
from inference.training import AdversarialStep
from ppl_models.data import caption, encode_captions, fit_caption_thresholds, load_mnist5k
from ppl_models.gan.text_to_image import TextToImageGAN


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few steps on 64 images")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/text_to_image")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    x, y = load_mnist5k()
    n, steps = (64, 2) if args.smoke else (len(x), args.steps)
    perm = torch.randperm(len(x))[:n]
    x, y = x[perm], y[perm]
    thresholds = fit_caption_thresholds(x)
    texts = caption(x, y, *thresholds)
    codes = encode_captions(texts)
    width = 8 if args.smoke else 64
    model = TextToImageGAN([1, 28, 28], latent_dim=16, text_dim=width, channels=width // 2,
                           hidden=width * 4)
    step = AdversarialStep(model)
    for _ in range(steps):
        idx = torch.randint(0, n, (32,))
        out_losses = step.train_step((x[idx], codes[idx]))
    print({k: round(v, 3) for k, v in out_losses.items()})
    prompts = texts[:4]
    samples = model.sample(4, encode_captions(prompts))
    print("prompt -> measured caption of the sample:")
    for p, s in zip(prompts, caption(samples, y[:4], *thresholds), strict=True):
        print(f"  {p!r} -> {s!r}")
    # Distinct prompts from the training captions, the same 8 noise vectors for each.
    shown = list(dict.fromkeys(texts))[:6]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        z = torch.randn(8, model.latent_dim)
    figure = save_text_prompts(lambda z, p: model.generate_at(z, encode_captions(p)), z,
                               shown, out / "prompts.png")
    print(f"wrote {figure}")
    return {"last_losses": out_losses, "prompts": shown, "figures": [str(figure)]}


if __name__ == "__main__":
    main()
