"""InfoGAN (Chen et al. 2016) on MNIST-5k (embedded, no files needed): a 10-way categorical
code and 2 continuous codes, the categorical code read as a digit classifier after the best
one-to-one matching (Hungarian), and the code traversal: a row per categorical value, the
first continuous code swept over [-1, 1] along the columns, the noise held fixed.

    python examples/infogan_mnist.py [--smoke] [--epochs 20] [--out runs/infogan]
"""

import argparse
import json
from pathlib import Path

import torch

from inference.metrics import cluster_accuracy
from inference.plots import save_adversarial_losses, save_code_traversal
from inference.training import AdversarialStep, Trainer
from ppl_models.data import load_dataset
from ppl_models.gan.infogan import InfoGAN


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/infogan")
    p.add_argument("--smoke", action="store_true", help="1 epoch of a tiny InfoGAN on 128 "
                                                        "images (seconds)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    splits = load_dataset("mnist5k", binarize=None, seed=args.seed)
    train, test, test_labels = splits.train, splits.test, splits.test_labels
    if args.smoke:
        args.epochs, args.channels, args.hidden = 1, 4, 16
        train, test, test_labels = train[:128], test[:200], test_labels[:200]
    torch.manual_seed(args.seed)
    model = InfoGAN(splits.image_shape, latent_dim=62, categories=10, continuous=2,
                    channels=args.channels, hidden=args.hidden, q_hidden=min(128, args.hidden))
    # Chen et al. (2016), App. C: Adam, lr 2e-4 for D and 1e-3 for G; one rate here.
    step = AdversarialStep(model, lr=2e-4, betas=(0.5, 0.999))
    history = Trainer(step, train, batch_size=64, max_epochs=args.epochs, seed=args.seed,
                      progress=False, restore_best=False).fit()
    accuracy = cluster_accuracy(model.predict_code(test), test_labels)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        z = torch.randn(model.latent_dim)
    figures = [
        save_code_traversal(model.generate_at, z, out / "code_traversal.png",
                            categories=model.categories, continuous=model.continuous, dim=0,
                            title=f"InfoGAN, epoch {len(history.epochs)}: categorical code "
                                  "(rows) x continuous code 0 (columns)"),
        save_code_traversal(model.generate_at, z, out / "code_traversal_c1.png",
                            categories=model.categories, continuous=model.continuous, dim=1,
                            title="the same noise, continuous code 1 swept"),
        save_adversarial_losses(history, out / "losses.png"),
    ]
    result = {"epochs": len(history.epochs), "categorical_accuracy": accuracy,
              "n_test": len(test), "figures": [str(f) for f in figures]}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
