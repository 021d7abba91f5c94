"""The fitting options of the exact and latent families: ``--lr-schedule cosine`` (Adam's
rate decays to zero over the whole budget, in updates; a closed-form fit refuses it) and
``--init-from`` / ``--init-lr`` (a VAE's NADE decoder started from a NADE run)."""

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


def test_init_from_starts_the_decoder_at_its_own_rate(tmp_path, cli):
    nade = tmp_path / "nade"
    common = ("--dataset", "digits", "--epochs", 1, "--threads", 1)
    code, _, err = cli("train", "--model", "nade", "--hidden", 6, *common, "--out", nade)
    assert code == 0, err
    vae = ("train", "--model", "vae", "--likelihood", "nade", "--latent-dim", 2,
           "--vae-hidden", 8, *common)
    code, _, err = cli(*vae, "--hidden", 6, "--init-from", nade / "model.pt", "--init-lr",
                       1e-4, "--out", tmp_path / "vae")
    assert code == 0, err
    groups = torch.load(tmp_path / "vae" / "checkpoints" / "last.pt",
                        weights_only=False)["step"]["optimizer"]["param_groups"]
    assert [len(g["params"]) for g in groups][1] == 4 and groups[1]["lr"] == 1e-4
    # A NADE of another size is refused, naming what the VAE takes.
    code, _, err = cli(*vae, "--hidden", 7, "--init-from", nade / "model.pt",
                       "--out", tmp_path / "other")
    assert code != 0 and "starts only a NADE decoder" in err
    code, _, err = cli(*vae, "--init-lr", 1e-4, "--out", tmp_path / "alone")
    assert code != 0 and "--init-lr must be > 0 and goes with --init-from" in err


def test_order_seed_draws_another_order_on_the_same_split(tmp_path, cli):
    common = ("train", "--model", "nade", "--hidden", 4, "--dataset", "digits", "--epochs", 1,
              "--threads", 1, "--order", "random")
    orders = []
    for name, extra in (("a", ()), ("b", ("--order-seed", 7))):
        code, _, err = cli(*common, *extra, "--out", tmp_path / name)
        assert code == 0, err
        orders.append(torch.load(tmp_path / name / "model.pt", weights_only=True)
                      ["config"]["order"])
    assert sorted(orders[1]) == list(range(64)) and orders[0] != orders[1]
    expected = torch.randperm(64, generator=torch.Generator().manual_seed(7)).tolist()
    assert orders[1] == expected
    code, _, err = cli("train", "--model", "nade", "--dataset", "digits", "--order-seed", 7,
                       "--out", tmp_path / "raster")
    assert code != 0 and "--order-seed draws the permutation of --order random" in err
