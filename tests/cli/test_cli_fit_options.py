"""``--lr-schedule cosine``: Adam's rate decays to zero over the whole budget, in updates, for
the families fitted by gradients; a closed-form fit refuses the option."""

import json

import pytest
import torch


@pytest.mark.parametrize("model, extra", [("nade", ("--hidden", 8)),
                                          ("vae", ("--latent-dim", 2, "--vae-hidden", 8))])
def test_cosine_reaches_zero_at_the_last_update(model, extra, tmp_path, cli):
    run = tmp_path / model
    code, _, err = cli("train", "--model", model, *extra, "--dataset", "digits", "--epochs", 2,
                       "--lr", 0.01, "--lr-schedule", "cosine", "--threads", 1, "--out", run)
    assert code == 0, err
    last = torch.load(run / "checkpoints" / "last.pt", weights_only=False)["step"]
    # 1,437 training digits in batches of 100: 15 updates an epoch, 30 in all.
    assert last["scheduler"]["T_max"] == 30 and last["scheduler"]["last_epoch"] == 30
    assert all(g["lr"] == pytest.approx(0, abs=1e-12)
               for g in last["optimizer"]["param_groups"])
    config = json.loads((run / "config.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    assert config["lr_schedule"] == "cosine" and "cosine decay" in metrics["fit"]


def test_a_closed_form_fit_refuses_a_schedule(tmp_path, cli):
    code, _, err = cli("train", "--model", "independent", "--dataset", "digits",
                       "--lr-schedule", "cosine", "--out", tmp_path / "x")
    assert code != 0 and "--lr-schedule applies only to" in err
