"""The Puzzle-GAN benchmark runs its recipe at its smoke budget on the embedded MNIST-5k
through ``ppl-models train --recipe``'s code path, beside its baselines and oracle."""

import json


def test_the_model_beside_its_baselines_and_the_oracle(load_benchmark, capsys, tmp_path):
    record = tmp_path / "puzzle.jsonl"
    result = load_benchmark("puzzle_gan_mnist").main(
        ["--smoke", "--n-test", "200", "--out", str(tmp_path / "run"), "--record",
         str(record)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["recipe"]["name"] == "puzzle_gan_mnist_cpu" and result["n_test"] == 200
    assert result["config"]["patch_size"] == 14 and result["epochs"] == 1
    oracle, centre = result["true_place_paste_oracle"], result["centre_paste_baseline"]
    # Pasted where they were cut, the patches are the completion at their own places, hold
    # much of the ink, and the classifier reads more of them than of the centred paste.
    assert oracle["patch_l1"] == 0 and oracle["mask_iou"] > 0.6
    assert oracle["label_preservation"] > centre["label_preservation"]
    assert 0 < centre["patch_l1"] and centre["mask_iou"] < oracle["mask_iou"]
    for method in ("trained", "untrained_baseline"):
        scores = result[method]
        assert 0 <= scores["mask_iou"] <= 1 and 0 <= scores["label_preservation"] <= 1
        assert scores["patch_l1"] > 0
    assert result["real_images_label_accuracy"] > 0.8
    figures = json.loads(record.read_text())["figures"]
    assert [row[0] for row in figures["rows"]] == [
        "Puzzle-GAN, 1 epochs", "untrained", "patches at the centre",
        "oracle (patches where cut)"]
