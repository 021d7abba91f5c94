"""Text-to-image (Reed et al. 2016: GAN-CLS + GAN-INT) on MNIST-5k's digits and the captions
measured from them ("a thick right-slanted seven"): the recipe ``text_to_image_mnist5k``
trained by ``ppl-models train``, then prompts drawn, each prompt a row's title beside its
samples (the same noise down each column), and each prompt printed beside the caption the
captioner measures on its first sample.

    python examples/text_to_image_mnist.py [--smoke] [--out runs/text_to_image]
"""

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.plots import save_text_prompts
from ppl_models.data import caption, encode_captions, fit_caption_thresholds

SMOKE = {"train_size": 128, "epochs": 1, "t2i_text_dim": 8, "t2i_channels": 4,
         "t2i_hidden": 32, "eval_samples": 100}


def parse_args(argv=None):
    return script_parser(__doc__, recipe="text_to_image_mnist5k",
                         out="runs/text_to_image").parse_args(argv)


def main(args):
    # train writes samples.png, adversarial_losses.png and metrics.json in --out.
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    model, splits = run.model, run.splits
    last = run.history["epochs"][-1]
    print({k[6:]: round(v, 3) for k, v in last.items() if k.startswith("train_")})
    # Six distinct test captions, measured with the thresholds train captioned with.
    thresholds = fit_caption_thresholds(splits.train)
    shown: dict[str, int] = {}
    for text, digit in zip(caption(splits.test, splits.test_labels, *thresholds),
                           splits.test_labels.tolist(), strict=True):
        if len(shown) < 6:
            shown.setdefault(text, digit)
    prompts = list(shown)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        z = torch.randn(8, model.latent_dim)
        samples = model.sample(len(prompts), encode_captions(prompts))
    print("prompt -> measured caption of the sample:")
    measured = caption(samples, torch.tensor(list(shown.values())), *thresholds)
    for prompt, seen in zip(prompts, measured, strict=True):
        print(f"  {prompt!r} -> {seen!r}")
    figure = save_text_prompts(lambda z, p: model.generate_at(z, encode_captions(p)), z,
                               prompts, run.out / "prompts.png")
    return finish(args, {"epochs": run.metrics["epochs"],
                         "kept_epoch": run.metrics["best_epoch"],
                         "label_accuracy": run.metrics["label_accuracy"], "prompts": prompts,
                         "measured": measured, "figures": [str(figure)]})


if __name__ == "__main__":
    main(parse_args())
