"""The VAE benchmark runs its recipe through ``ppl-models train`` on the embedded MNIST-5k
at its smoke budget: an IWAE-K figure, the ELBO beside it, and the weights' diagnostics."""

import json
import math

from docs.results_page import read_records


def test_the_iwae_bound_sits_below_the_elbo_and_is_recorded(load_benchmark, capsys, tmp_path):
    record = tmp_path / "vae.jsonl"
    result = load_benchmark("vae_binarized_mnist").main(
        ["--smoke", "--out", str(tmp_path / "run"), "--record", str(record)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["recipe"]["name"] == "vae_binarized_mnist" and result["epochs_run"] == 1
    assert result["model"] == "784-16-4 MLP VAE, Bernoulli"
    assert result["estimator"] == "IWAE-10" and result["objective"] == "meanfield"
    # IWAE-K is the tighter bound: its NLL sits below the -ELBO, both below uniform pixels.
    assert result["test_nll_nats"] < result["test_neg_elbo_nats"] < 784 * math.log(2)
    assert 0 <= result["fraction_pareto_k_below_0_7"] <= 1
    # The schedule and warm-up the recipe names are what train ran (smoke: no warm-up).
    assert "cosine decay" in result["fit"] and "warm-up" not in result["fit"]
    (written,) = read_records(tmp_path)
    assert written["figures"]["rows"][0][0] == "test NLL, IWAE-10 (nats)"
