"""Recipes: every shipped recipe parses and validates against ``train``'s options, and every
one on embedded data runs an epoch (those on MNIST files would take minutes an epoch); a
bad recipe is refused naming its key; a run's resolved recipe reruns it to the same
``model.pt``; the command line overrides a recipe and the override is recorded."""

import argparse
import json

import pytest
import torch

from inference.cli.main import build_parser
from inference.cli.recipe_options import apply_recipe
from inference.recipes import Recipe, recipe_names, recipe_path

FILE_DATASETS = ("mnist", "binarized_mnist")


def _train_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["train"]


def _applied(recipe: str, *argv: str) -> argparse.Namespace:
    parser = _train_parser()
    words = ["--recipe", recipe, "--out", "x", *argv]
    args = parser.parse_args(words)
    apply_recipe(parser, args, words)
    return args


def test_the_shipped_recipes_are_found_by_name():
    names = recipe_names()
    assert {"nade_digits", "stargan_mnist_paper", "stargan_digits_cpu"} <= set(names)
    assert recipe_path("nade_digits").name == "nade_digits.toml"
    with pytest.raises(ValueError, match="no recipe named 'nade_digit'"):
        recipe_path("nade_digit")


@pytest.mark.parametrize("name", recipe_names())
def test_every_shipped_recipe_validates_and_round_trips(name):
    recipe = Recipe.load(name)
    assert recipe.description and recipe.settings["model"]["model"]
    args = _applied(name)
    for key, value in recipe.flat().items():
        assert getattr(args, key) == value, key
    path_free = recipe.to_toml()
    assert "/work" not in path_free and "data_path" not in recipe.flat()


def _smoke(recipe: Recipe, folder) -> dict:
    """One short epoch of ``recipe``: the first 128 training images, at most a second; a
    recipe on file data runs on the embedded MNIST-5k (same image shape) so that the suite
    needs no files, and an IWAE-K test score takes K = 10 (the recipe's K is for its
    figure, not for checking that it runs), and a validation subset 64 images. A recipe
    that starts from another run's model (``init_from``) starts from an untrained one of
    the same kind and width in ``folder``."""
    flat = recipe.flat()
    smoke = {"epochs": 1, "max_seconds": 1.0, "train_size": 128}
    if flat.get("dataset", "mnist") in FILE_DATASETS:
        smoke["dataset"] = "mnist5k"
    if "iw_samples" in flat:
        smoke["iw_samples"] = 10
    if "valid_size" in flat:  # the smoke data's validation split is smaller
        smoke["valid_size"] = 64
    if "init_from" in flat:
        from inference.persistence import save_model
        from ppl_models import registry

        start = registry.build("nade", dim=784, hidden=flat["hidden"])
        smoke["init_from"] = str(save_model(folder / "start.pt", start))
    return smoke


@pytest.mark.parametrize("name", [n for n in recipe_names()
                                  if not n.startswith("report_")])
def test_every_training_recipe_runs_a_smoke_epoch(name, tmp_path, cli):
    # The report's recipes take the report's data and budget: test_cli_report_recipes.
    recipe = Recipe.load(name)
    smoke = _smoke(recipe, tmp_path)
    words = [w for k, v in smoke.items() for w in (f"--{k.replace('_', '-')}", v)]
    code, out, err = cli("train", "--recipe", name, *words, "--threads", 1,
                         "--out", tmp_path / name)
    assert code == 0, err
    metrics = json.loads((tmp_path / name / "metrics.json").read_text())
    assert metrics["recipe"] == {"name": name, "overrides": smoke}
    # A table counted in closed form trains no epoch.
    assert metrics["epochs"] == (0 if metrics["fit"].startswith("closed form") else 1)


def test_the_reports_recipes_name_its_kinds_and_budget_at_most_all_of_it():
    from inference.cli.report import report_kinds

    kinds = report_kinds()
    assert {"nade", "vae", "dcgan", "gan"} <= set(kinds)
    recipes = [Recipe.load(f"report_{k}") for k in kinds]
    assert all(r.settings["model"]["model"] == k for r, k in zip(recipes, kinds, strict=True))
    assert sum(r.report.get("share", 0) for r in recipes) <= 1
    # None of them fixes the data set: the report's own, unless [report] data says otherwise.
    assert all("dataset" not in r.flat() for r in recipes)
    assert Recipe.load("report_gan").report["data"] == "ring"


def test_a_resolved_recipe_reruns_to_the_same_model(tmp_path, cli):
    first, second = tmp_path / "first", tmp_path / "second"
    code, _, err = cli("train", "--recipe", "nade_digits", "--epochs", 2, "--hidden", 8,
                       "--threads", 1, "--out", first)
    assert code == 0, err
    text = (first / "recipe.toml").read_text()
    assert "overridden on the command line" in text and "hidden = 8" in text
    code, _, err = cli("train", "--recipe", first / "recipe.toml", "--threads", 1,
                       "--out", second)
    assert code == 0, err
    a = torch.load(first / "model.pt", weights_only=True)["state"]
    b = torch.load(second / "model.pt", weights_only=True)["state"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    metrics = json.loads((second / "metrics.json").read_text())
    assert metrics["recipe"] == {"name": "recipe", "overrides": {}}


def test_the_command_line_overrides_the_recipe():
    args = _applied("nade_digits", "--hidden", "7", "--epochs", "3")
    assert args.hidden == 7 and args.epochs == 3 and args.dataset == "digits"
    assert args.recipe_overrides == {"epochs": 3, "hidden": 7}


def _write(tmp_path, body: str):
    path = tmp_path / "bad.toml"
    path.write_text('description = "a bad recipe"\n' + body)
    return str(path)


@pytest.mark.parametrize("body, match", [
    ('[model]\nmodel = "nade"\nhiden = 5\n', "unknown setting 'hiden'.*'hidden'"),
    ('[model]\nmodel = "nade"\nhidden = "many"\n', r"hidden \(--hidden\) must be an integer"),
    ('[model]\nmodel = "nade"\nhidden = 2.5\n', "must be an integer, got 2.5"),
    ('[model]\nmodel = "nadee"\n', r"model \(--model\) must be one of"),
    ('[training]\nepochs = true\n', "must not be true/false"),
    ('[model]\nmodel = "gan"\nhidden = [8, 8]\n', r"hidden \(--hidden\) must be one value"),
    ('[learning]\nepochs = 2\n', r"unknown key\(s\) \['learning'\]"),
    ('[model]\nepochs = 2\n[training]\nepochs = 3\n', "given in \\[model\\] and \\[training\\]"),
    ('[training]\nlr = nan\n', "must be finite"),
    ('[report]\nshare = 2\n', r"share must be a fraction"),
    ('[report]\nbudget = 2\n', r"\[report\] may hold only"),
    ("[training\n", "not a TOML file"),
])
def test_a_bad_recipe_is_refused_naming_the_key(body, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        _applied(_write(tmp_path, body))


def test_an_impossible_value_is_refused_by_the_run_naming_the_flag(tmp_path, cli):
    code, _, err = cli("train", "--recipe", _write(tmp_path, "[training]\nepochs = -2\n"),
                       "--model", "nade", "--dataset", "digits", "--out", tmp_path / "r")
    assert code == 2 and "--epochs" in err


def test_a_recipe_without_a_description_is_refused(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('[model]\nmodel = "nade"\n')
    with pytest.raises(ValueError, match="description"):
        Recipe.load(path)


@pytest.mark.parametrize("name", ["vampprior_binarized_mnist", "iwae_binarized_mnist"])
def test_the_latent_mnist_recipes_run_an_epoch_on_the_digits(name, tmp_path, cli):
    # Their data is read from files that may be absent; their other settings (VampPrior
    # with 500 pseudo-inputs and warm-up; the IWAE bound with 50 particles) run on the
    # embedded digits, batches of 100 so that one epoch is 15 updates.
    code, _, err = cli("train", "--recipe", name, "--dataset", "digits", "--epochs", 1,
                       "--batch-size", 100, "--iw-samples", 10, "--threads", 1,
                       "--out", tmp_path / name)
    assert code == 0, err
    config = json.loads((tmp_path / name / "config.json").read_text())
    recipe = Recipe.load(name).flat()
    for key in ("objective", "particles", "particle_draws", "latent_dim", "vae_hidden", "prior",
                "num_pseudo_inputs", "kl_warmup"):
        if key in recipe:
            assert config[key] == recipe[key], key
