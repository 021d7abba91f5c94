"""The progressive GAN benchmark runs its two recipes at their smoke budget on the embedded
MNIST-5k through ``ppl-models train --recipe``'s code path: the DCGAN baseline on the same
data, for the progressive run's fit time."""

import json


def test_progressive_and_dcgan_at_equal_time_beside_the_floor(load_benchmark, capsys,
                                                              tmp_path):
    runs, record = tmp_path / "runs", tmp_path / "progressive.jsonl"
    argv = ["--smoke", "--n-eval", "200", "--out", str(runs), "--record", str(record)]
    result = load_benchmark("progressive_gan_mnist").main(argv)
    assert result["recipe"]["name"] == "progressive_gan_mnist_cpu"
    assert json.loads(capsys.readouterr().out.strip()) == result
    baseline = result["baseline_recipe"]
    assert baseline["name"] == "progressive_gan_mnist_dcgan_baseline"
    # The baseline shares the data and seed, and is given the progressive run's time.
    assert baseline["overrides"]["dataset"] == "mnist5k"
    assert baseline["overrides"]["train_size"] == result["n_train"] == 128
    assert baseline["overrides"]["max_seconds"] == result["pgan_train_seconds"]
    for run in ("progressive", "dcgan"):
        assert (runs / run / "model.pt").is_file()
    # Phases of one round: the first epoch's two rounds reach stage 1, faded in.
    assert result["pgan_per_epoch"] == [{"epoch": 1, "stage": 1, "alpha": 1.0,
                                         "resolution": 14,
                                         "valid_fid": result["pgan_per_epoch"][0]["valid_fid"]}]
    assert result["pgan_kept_stage"] == [1, 1.0]
    # One epoch of 4-wide networks is far from the real-vs-real floor.
    assert 0 < result["fid_train_vs_test"] < min(result["pgan_fid"], result["dcgan_fid"])
    row = json.loads(record.read_text())["figures"]["rows"][0]
    assert row[0] == "0" and len(row) == 5
