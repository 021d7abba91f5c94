"""``train --recipe``: a recipe's settings as the command line's, the command line winning.

A recipe (:class:`inference.recipes.Recipe`) holds ``train`` options by name; each value is
checked with the option's own type and choices, so a recipe cannot mean what the same flag
would not. An option given on the command line overrides the recipe and is recorded as an
override. :func:`resolved_recipe` writes what a run actually used as a recipe, so the run
directory's ``recipe.toml`` reruns it.
"""

from __future__ import annotations

__all__ = ["add_recipe_argument", "apply_recipe", "resolved_recipe"]

import argparse
import difflib
from collections.abc import Sequence
from typing import Any

from inference.recipes import Recipe

# Settings of a run that a recipe does not hold: where it goes, how it is run.
_NOT_SETTINGS = ("help", "recipe", "out", "resume", "threads", "device", "precision", "run",
                 "command")
# Which table of a resolved recipe a setting goes in (the rest are the model's or its
# family's options).
_DATA = ("dataset", "data_path", "binarize", "train_size", "valid_size", "holdout_class")
_TRAINING = ("seed", "epochs", "batch_size", "lr", "patience", "max_seconds")


def add_recipe_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recipe", default=None,
                        help="run a recipe: the name of a shipped one (inference/recipes/"
                             "NAME.toml) or a .toml file's path, e.g. a run's recipe.toml; "
                             "options given here override it")


def _given(parser: argparse.ArgumentParser, argv: Sequence[str]) -> set[str]:
    """The option names given on the command line ``argv`` (the subcommand's words)."""
    saved = [(a, a.default, a.required) for a in parser._actions]
    try:
        for action in parser._actions:
            action.default, action.required = argparse.SUPPRESS, False
        namespace, _ = parser.parse_known_args(list(argv))
    finally:
        for action, default, required in saved:
            action.default, action.required = default, required
    return set(vars(namespace))


_EXPECTED = {int: "an integer", float: "a number", str: "a string"}


def _settings(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in parser._actions
            if a.dest not in _NOT_SETTINGS and a.option_strings}


def _convert(action: argparse.Action, value: Any, key: str, where: str) -> Any:
    """``value`` as the option would parse it, or a ValueError naming ``key``."""
    flag = action.option_strings[0]
    if action.nargs == 0:  # a switch (store_true)
        if not isinstance(value, bool):
            raise ValueError(f"{where}: {key} ({flag}) must be true or false, got {value!r}")
        return value
    many = action.nargs in ("+", "*")
    if many != isinstance(value, list):
        raise ValueError(f"{where}: {key} ({flag}) must be "
                         f"{'a list' if many else 'one value'}, got {value!r}")
    items = value if many else [value]
    out = []
    for item in items:
        if isinstance(item, bool):
            raise ValueError(f"{where}: {key} ({flag}) must not be true/false, got {item!r}")
        try:
            converted = item if action.type is None else action.type(str(item))
        except (TypeError, ValueError):
            expected = _EXPECTED.get(action.type, "a value its flag accepts")
            raise ValueError(f"{where}: {key} ({flag}) must be {expected}, got {item!r}") \
                from None
        if action.choices is not None and converted not in action.choices:
            raise ValueError(f"{where}: {key} ({flag}) must be one of "
                             f"{list(action.choices)}, got {item!r}")
        out.append(converted)
    return out if many else out[0]


def apply_recipe(parser: argparse.ArgumentParser, args: argparse.Namespace,
                 argv: Sequence[str]) -> Recipe | None:
    """Fill ``args`` from ``args.recipe`` where the command line ``argv`` gave no value;
    set ``args.recipe_overrides`` to the settings the command line gave.

    :return: the recipe, or ``None`` without ``--recipe``.
    :raises ValueError: naming the recipe key at fault (unknown, wrong type or choice).
    """
    given = _given(parser, argv)
    actions = _settings(parser)
    args.recipe_overrides = {k: getattr(args, k) for k in sorted(given) if k in actions}
    if args.recipe is None:
        return None
    recipe = Recipe.load(args.recipe)
    where = f"recipe {recipe.name}"
    for key, value in recipe.flat().items():
        if key not in actions:
            near = difflib.get_close_matches(key, actions, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"{where}: unknown setting {key!r}{hint}; a recipe's keys are "
                             f"train options, e.g. epochs, batch_size, hidden")
        value = _convert(actions[key], value, key, where)
        if key not in given:
            setattr(args, key, value)
    return recipe


def resolved_recipe(name: str, description: str, reproduces: str | None,
                    config: dict[str, Any], parser: argparse.ArgumentParser) -> Recipe:
    """What a run used, as a recipe: every ``train`` option in its ``config`` (values that
    are not set left out)."""
    actions = _settings(parser)
    tables: dict[str, dict[str, Any]] = {"model": {}, "data": {}, "training": {},
                                         "objective": {}}
    model_options = {"model"} | _kind_dests(config["model"])
    for key, value in config.items():
        if key not in actions or value is None:
            continue
        table = ("data" if key in _DATA else "training" if key in _TRAINING
                 else "model" if key in model_options else "objective")
        tables[table][key] = list(value) if isinstance(value, tuple) else value
    return Recipe(name, description, reproduces, tables)


def _kind_dests(kind: str) -> set[str]:
    from ppl_models import registry

    return {o.dest for o in registry.entry(kind).options}
