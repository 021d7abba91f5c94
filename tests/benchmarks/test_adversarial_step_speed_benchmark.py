"""The adversarial-step benchmark times both contenders on the same batches and prints its
ratio; its plain loop is the PyTorch DCGAN example's, so both must train the same networks."""

import json

import torch


def test_tiny_run_times_both_and_the_plain_loop_trains(load_benchmark, capsys):
    bench = load_benchmark("adversarial_step_speed")
    result = bench.main(bench.parse_args(["--batches", "2", "--repeats", "1", "--channels",
                                          "4", "--batch-size", "8", "--threads", "1"]))
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert set(result["seconds"]) == {"plain", "library"}
    assert result["ratio_library_over_plain"] > 0


def test_the_plain_step_updates_both_players(load_benchmark):
    from ppl_models.gan import DCGAN

    bench = load_benchmark("adversarial_step_speed")
    torch.manual_seed(0)
    model = DCGAN((1, 28, 28), latent_dim=8, channels=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    bench.PlainStep(model, 1e-3).train_step(torch.rand(4, 1, 28, 28))
    after = model.state_dict()
    moved = {k.split(".")[0] for k in before if not torch.equal(before[k], after[k])}
    assert moved == {"generator", "discriminator"}
