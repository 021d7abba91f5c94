"""The toy-mixture benchmark runs end to end at a tiny budget, with its options."""

import json

import pytest

TINY = ["--seeds", "0", "--epochs", "2", "--n-train", "400", "--hidden", "16", "16",
        "--mixtures", "ring", "--configs", "non_saturating", "--threads", "1"]


def test_one_json_line_with_the_floor_and_each_configuration(load_benchmark, capsys):
    result = load_benchmark("gan_toy_mixtures").main(
        TINY + ["--ema-decay", "0.9", "--decay-from", "0.5"])
    printed = capsys.readouterr()
    assert json.loads(printed.out.strip()) == result
    ring = result["results"]["ring"]
    assert ring["true_mixture"]["modes"] == 8
    run = ring["non_saturating"]
    assert 0 <= run["modes"] <= 8 and 0.0 <= run["high_quality"] <= 1.0
    assert result["ema_decay"] == 0.9 and result["decay_from"] == 0.5
    # The per-epoch trajectory of the selection draws is on stderr, one entry an epoch.
    progress = json.loads(printed.err.strip().splitlines()[-1])
    assert len(progress["epoch_modes"]) == len(progress["epoch_high_quality"]) == 2


def test_d_steps_reaches_the_adversarial_step(load_benchmark):
    bench = load_benchmark("gan_toy_mixtures")
    made = []

    def recording_step(*args, **kwargs):
        made.append(bench.AdversarialStep.__wrapped__(*args, **kwargs))
        return made[-1]

    recording_step.__wrapped__ = bench.AdversarialStep
    bench.AdversarialStep = recording_step
    result = bench.main(TINY + ["--d-steps", "2", "--no-select"])  # no best-epoch restore
    assert result["d_steps"] == 2 and made[0].d_steps == 2
    # 2 epochs of 4 batches: 8 discriminator updates, 4 of them followed by G's.
    assert made[0].updates == 8


@pytest.mark.parametrize("flag, value", [("--decay-from", "1.0"), ("--ema-decay", "1.5"),
                                         ("--d-steps", "0")])
def test_bad_options_are_refused(load_benchmark, flag, value):
    with pytest.raises(SystemExit):
        load_benchmark("gan_toy_mixtures").main(TINY + [flag, value])
