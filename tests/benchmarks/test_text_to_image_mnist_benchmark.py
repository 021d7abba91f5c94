"""The text-to-image benchmark runs its recipe end to end on MNIST-5k (embedded, no files) at
its smoke budget, through ``ppl-models train --recipe``: the recipe's held-out descriptions
are judged beside seen ones, and every figure and its baselines are reported in range."""

import json

import torch

from inference.recipes import Recipe

TINY = ["--smoke", "--n-per-description", "10", "--min-count", "3"]

FIGURES = ("digit_accuracy", "attribute_accuracy", "thickness_accuracy", "slant_accuracy")


def test_json_keys_ranges_and_baselines(load_benchmark, capsys, tmp_path):
    result = load_benchmark("text_to_image_mnist").main(TINY + ["--out", str(tmp_path)])
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and json.loads(printed[0]) == result
    held, seen = result["heldout_descriptions"], result["seen_descriptions"]
    # The recipe's held-out descriptions, which train dropped.
    assert held == Recipe.load("text_to_image_mnist").flat()["holdout_captions"]
    assert json.loads((tmp_path / "config.json").read_text())["holdout_captions"] == held
    assert len(held) == len(seen) == 10 and not set(held) & set(seen)
    # One description per digit.
    assert sorted(h.split()[-1] for h in held) == sorted(s.split()[-1] for s in seen)
    assert len({h.split()[-1] for h in held}) == 10
    assert result["n_train"] + result["n_train_dropped_heldout"] == 1000
    assert result["n_train_dropped_heldout"] > 0
    for prefix in ("", "seen_", "real_", "shuffled_"):
        for figure in FIGURES:
            assert 0.0 <= result[prefix + figure] <= 1.0
        # Joint agreement never exceeds either attribute's.
        assert result[prefix + "attribute_accuracy"] <= min(
            result[prefix + "thickness_accuracy"], result[prefix + "slant_accuracy"])
    assert set(result["per_description"]) == set(held)
    assert set(result["seen_per_description"]) == set(seen)
    assert all(v["n"] == 10 for v in result["per_description"].values())
    # Real images carrying a description are captioned with it by construction.
    assert result["real_attribute_accuracy"] == 1.0 and result["n_real_heldout"] > 0
    assert result["real_digit_accuracy"] > 0.7
    assert len(result["valid_fid_by_epoch"]) == 1


def test_descriptions_their_ids_and_the_seen_draw(load_benchmark):
    bench = load_benchmark("text_to_image_mnist")
    ids = torch.arange(60).repeat(5)
    held = [d * 6 + d % 6 for d in range(10)]
    seen = bench.draw_seen(ids, ids, held, 3, torch.Generator().manual_seed(0))
    assert [s // 6 for s in seen] == list(range(10)) and not set(seen) & set(held)
    # The same holdout seed draws the same descriptions.
    assert bench.draw_seen(ids, ids, held, 3, torch.Generator().manual_seed(0)) == seen
    for i in range(60):
        d, t, s = bench.triple(i)
        assert bench.description_ids(torch.tensor(d), torch.tensor(t), torch.tensor(s)) == i
        assert bench.description_id(bench.text(d, t, s)) == i
    assert bench.text(7, 1, 2) == "a thick right-slanted seven"
