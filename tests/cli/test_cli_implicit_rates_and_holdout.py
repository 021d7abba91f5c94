"""The adversarial family's rates and held-out captions on the command line: ``--gan-lr-d``
gives the discriminator its own rate, ``--gan-decay-from`` lets both fall linearly to 0, and
``--holdout-captions`` drops the images of some captions from training and selection."""

import json
import re

import pytest
import torch

from inference.cli.families.game_data import game_data, without_captions
from ppl_models.data import caption, fit_caption_thresholds, load_dataset
from ppl_models.gan.text_to_image import TextToImageGAN


def test_two_rates_and_a_linear_decay_reach_the_optimisers(tmp_path, cli):
    code, _, err = cli("train", "--model", "gan", "--dataset", "ring", "--train-size", 2000,
                       "--epochs", 2, "--gan-hidden", 8, 8, "--gan-lr", 1e-3, "--gan-lr-d",
                       2e-4, "--gan-decay-from", 0.5, "--threads", 1, "--out", tmp_path)
    assert code == 0, err
    step = torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=False)["step"]
    lr = {player: step[player]["optimizer"]["param_groups"][0]["lr"]
          for player in ("generator", "discriminator")}
    # 2 epochs of 20 updates: the full rates for 20, then falling to 1/20 of them before the
    # last update.
    assert step["updates"] == 40
    assert lr["generator"] == pytest.approx(1e-3 / 20)
    assert lr["discriminator"] == pytest.approx(2e-4 / 20)
    fit = json.loads((tmp_path / "metrics.json").read_text())["fit"]
    assert "lr 0.001 (G), 0.0002 (D) falling linearly to 0 after 0.5" in fit


def test_held_out_captions_leave_no_image_of_theirs():
    splits = load_dataset("digits", binarize=None, seed=0)
    model = TextToImageGAN(splits.image_shape, latent_dim=4, text_dim=4, channels=2, hidden=8)
    texts = caption(splits.train, splits.train_labels,
                    *fit_caption_thresholds(splits.train))
    held = [texts[0], texts[1]]
    data = without_captions(game_data(model, splits, "train"), held)
    x, codes = data.train
    assert len(x) == len(codes) == len(data.labels) == sum(t not in held for t in texts) > 0
    remaining = caption(x, data.labels, *fit_caption_thresholds(splits.train))
    assert not set(remaining) & set(held)
    with pytest.raises(ValueError, match="not a caption the captioner writes"):
        without_captions(data, ["a upright thick seven"])


@pytest.mark.parametrize("argv, match", [
    (("--model", "dcgan", "--holdout-captions", "a thick upright seven"),
     "applies only to --model text_to_image"),
    (("--model", "gan", "--dataset", "ring", "--gan-decay-from", 1), r"\[0, 1\)"),
    (("--model", "gan", "--dataset", "ring", "--gan-lr-d", 0), "--gan-lr-d"),
])
def test_bad_values_are_refused_before_training(argv, match, tmp_path, cli):
    argv = argv if "--dataset" in argv else (*argv, "--dataset", "digits")
    code, _, err = cli("train", *argv, "--epochs", 1, "--threads", 1, "--out", tmp_path / "r")
    assert code == 2 and re.search(match, err), err
    assert not (tmp_path / "r" / "checkpoints" / "last.pt").exists()
