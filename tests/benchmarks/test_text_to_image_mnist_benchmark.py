"""The text-to-image benchmark runs end to end on MNIST-5k (embedded, no files) at tiny
widths: held-out descriptions are really absent from training, and every figure and its
baselines are reported in range."""

import json

import torch

TINY = ["--dataset", "mnist5k", "--limit", "1000", "--epochs", "1", "--channels", "4",
        "--hidden", "16", "--latent-dim", "8", "--text-dim", "8",
        "--n-per-description", "10", "--n-monitor", "2", "--min-count", "3",
        "--threshold-images", "500", "--threads", "1"]

FIGURES = ("digit_accuracy", "attribute_accuracy", "thickness_accuracy", "slant_accuracy")


def test_json_keys_ranges_and_baselines(load_benchmark, capsys):
    result = load_benchmark("text_to_image_mnist").main(TINY)
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and json.loads(printed[0]) == result
    held, seen = result["heldout_descriptions"], result["seen_descriptions"]
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
    assert len(result["heldout_by_epoch"]) == 1


def test_heldout_descriptions_are_removed_from_training(load_benchmark):
    bench = load_benchmark("text_to_image_mnist")
    g = torch.Generator().manual_seed(0)
    ids = torch.arange(60).repeat(5)
    held, seen = bench.draw_descriptions(ids, ids, 3, g)
    assert [h // 6 for h in held] == list(range(10)) == [s // 6 for s in seen]
    assert all(h != s for h, s in zip(held, seen, strict=True))
    # The same holdout seed draws the same descriptions.
    again = bench.draw_descriptions(ids, ids, 3, torch.Generator().manual_seed(0))
    assert again == (held, seen)
    for i in range(60):
        d, t, s = bench.triple(i)
        assert bench.description_ids(torch.tensor(d), torch.tensor(t), torch.tensor(s)) == i
    assert bench.text(7, 1, 2) == "a thick right-slanted seven"


def test_select_keeps_the_best_seen_epoch(load_benchmark):
    args = list(TINY)
    args[args.index("--epochs") + 1] = "3"
    result = load_benchmark("text_to_image_mnist").main(args + ["--select"])
    seen = [e["digit_accuracy"] + e["attribute_accuracy"] for e in result["seen_by_epoch"]]
    assert len(seen) == len(result["heldout_by_epoch"]) == 3
    # The kept epoch is the first best by the seen descriptions' score (the Trainer keeps
    # the first of ties); the held-out figures play no part.
    assert result["selected_epoch"] == seen.index(max(seen)) + 1
