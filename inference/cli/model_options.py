"""The model options of ``train`` and ``report``, read from the registry.

``--model`` offers every registered kind that can be built from a data set's shape (see
:func:`ppl_models.registry.shape_keyword`). Each kind's own options (``Option``s given to
``register``) and each family's options (:mod:`inference.cli.families`) become flags once,
however many kinds share them; they default to ``None`` on the parser, so that a flag given to
a kind that does not take it is refused rather than silently ignored. A flag shared by kinds
with different choices (``--prior``: the VAE's and the AAE's priors) offers all of them on
the parser, and :func:`kind_options` refuses a value the chosen kind does not take.
"""

from __future__ import annotations

__all__ = [
    "ORDERS",
    "add_model_arguments",
    "build_for_data",
    "cli_kinds",
    "family_settings",
    "kind_options",
    "option_dests",
    "refuse_foreign_options",
    "report_recipe",
    "variable_order",
]

import argparse
from typing import Any

from torch.distributions import constraints

from inference.cli.families import FAMILY_CLIS, family_cli
from inference.cli.families.exact import ORDERS, variable_order
from inference.recipes import Recipe, recipe_names
from inference.training import seed_everything
from ppl_models import registry
from ppl_models.data import DataSplits
from ppl_models.registry import ModelTooLarge, Option


def cli_kinds() -> tuple[str, ...]:
    """The kinds the command line can build from a data set's shape (all but those built
    from explicit structure, e.g. ``chain_rule``'s parent sets). An implicit kind's game
    says what its batches hold, and the family makes that from the data set given
    (:mod:`inference.cli.families.game_data`)."""
    return tuple(k for k in registry.kinds() if registry.shape_keyword(k) is not None
                 and registry.family_of(k) in FAMILY_CLIS)


def _flags() -> dict[str, list[tuple[str, Option]]]:
    """``{flag: [(owner, option), ...]}``; the owner is a kind or ``"family:<name>"``."""
    flags: dict[str, list[tuple[str, Option]]] = {}
    for kind in cli_kinds():
        for option in registry.entry(kind).options:
            flags.setdefault(option.cli_flag, []).append((kind, option))
    for family, cli in FAMILY_CLIS.items():
        for option in cli.options:
            flags.setdefault(option.cli_flag, []).append((f"family:{family}", option))
    return flags


def _owners(pairs: list[tuple[str, Option]]) -> list[str]:
    return [k for k, _ in _kind_pairs(pairs)]


def _kind_pairs(pairs: list[tuple[str, Option]]) -> list[tuple[str, Option]]:
    """``[(kind, option)]`` of the kinds that take a flag, in the registry's order of kinds;
    a family's option counts for the family's kinds that use it (:meth:`FamilyCLI.takes`)."""
    found: dict[str, Option] = {}
    for owner, option in pairs:
        if owner.startswith("family:"):
            family = owner.split(":", 1)[1]
            for kind in registry.kinds(family):
                if FAMILY_CLIS[family].takes(kind, option.name):
                    found.setdefault(kind, option)
        else:
            found.setdefault(owner, option)
    return [(k, found[k]) for k in cli_kinds() if k in found]


def _help(pairs: list[tuple[str, Option]]) -> str:
    """One flag's help: what it is and its default, for each kind that takes it (in the
    kinds' order) where the kinds differ in either."""
    kinds = _kind_pairs(pairs)
    helps = list(dict.fromkeys(o.help for _, o in kinds))
    defaults = list(dict.fromkeys(str(o.default) for _, o in kinds))
    names = ", ".join(k for k, _ in kinds)
    if len(helps) == 1 and len(defaults) == 1:
        return f"{helps[0]} [{names}; default {defaults[0]}]"
    if len(helps) == 1:
        per_kind = ", ".join(f"{k} {o.default}" for k, o in kinds)
        return f"{helps[0]} [default: {per_kind}]"
    return "; ".join(f"{k}: {o.help} (default {o.default})" for k, o in kinds)


def add_model_arguments(parser: argparse.ArgumentParser, *, model_required: bool = True) -> None:
    """Add ``--model`` (if ``model_required``) and every kind's and family's options.

    :param bool model_required: add ``--model`` (``train``, where it may also come from a
        recipe, so argparse does not insist on it); the report fits every kind.
    """
    if model_required:
        lines = [f"{k} ({registry.family_of(k)})" for k in cli_kinds()]
        parser.add_argument("--model", choices=cli_kinds(), default=None,
                            help="the model kind (required unless --recipe names one): "
                                 + ", ".join(lines))
    group = parser.add_argument_group("model options (each applies to the kinds named)")
    for flag, pairs in _flags().items():
        option = pairs[0][1]
        group.add_argument(flag, dest=option.dest, type=option.type, nargs=option.nargs,
                           choices=_choices(pairs), default=None, help=_help(pairs))


def _choices(pairs: list[tuple[str, Option]]) -> tuple[Any, ...] | None:
    """Every choice any owner of a flag offers, in order; ``None`` if one takes any value."""
    if any(o.choices is None for _, o in pairs):
        return None
    return tuple(dict.fromkeys(c for _, o in pairs for c in o.choices))


def refuse_foreign_options(kind: str, args: argparse.Namespace) -> None:
    """Refuse any option given on the command line that ``kind`` does not take.

    :raises ValueError: naming the flags and the kinds they apply to.
    """
    foreign = {}
    for flag, pairs in _flags().items():
        if getattr(args, pairs[0][1].dest, None) is None:
            continue
        if kind not in _owners(pairs):
            foreign[flag] = _owners(pairs)
    if foreign:
        flags = ", ".join(foreign)
        given = {k for ks in foreign.values() for k in ks}
        targets = [k for k in cli_kinds() if k in given]
        verb = "applies" if len(foreign) == 1 else "apply"
        raise ValueError(f"{flags} {verb} only to --model {', '.join(targets)}, not "
                         f"--model {kind}")


def report_recipe(kind: str) -> Recipe | None:
    """The report's recipe of ``kind`` (``inference/recipes/report_<kind>.toml``), or
    ``None`` when the report leaves the kind out."""
    name = f"report_{kind}"
    return Recipe.load(name) if name in recipe_names() else None


def _report_settings(kind: str) -> dict[str, Any]:
    recipe = report_recipe(kind)
    return {} if recipe is None else recipe.flat()


def _value(option: Option, args, report: dict[str, Any] | None) -> Any:
    given = getattr(args, option.dest, None)
    if given is not None:
        return given
    if report is not None and option.dest in report:
        return report[option.dest]
    return option.default


def kind_options(kind: str, args: argparse.Namespace, *, report: bool = False) -> dict[str, Any]:
    """``{constructor keyword: value}`` of ``kind``'s options: as given, else the kind's
    report recipe's setting (with ``report``), else the option's default."""
    defaults = _report_settings(kind) if report else None
    values = {o.name: _value(o, args, defaults) for o in registry.entry(kind).options}
    for option in registry.entry(kind).options:
        # A shared flag's parser offers every kind's choices (see add_model_arguments).
        if option.choices is not None and values[option.name] not in option.choices:
            raise ValueError(f"{option.cli_flag} for --model {kind} must be one of "
                             f"{', '.join(map(str, option.choices))}, got "
                             f"{values[option.name]!r}")
    return values


def family_settings(kind: str, args: argparse.Namespace, *,
                    report: bool = False) -> dict[str, Any]:
    """``{option name: value}`` of ``kind``'s family's options, resolved as in
    :func:`kind_options` (with ``report``: the kind's report setting, else the family's
    report defaults)."""
    family = family_cli(registry.family_of(kind))
    # A kind's report setting may also set its family's options (e.g. a learning rate that
    # suits its report data); it overrides the family's report defaults.
    defaults = {**family.report_defaults, **_report_settings(kind)} if report else None
    return {o.name: _value(o, args, defaults) for o in family.options}


def option_dests(kind: str) -> dict[str, str]:
    """``{constructor keyword: argparse dest}`` of ``kind``'s options (config.json's keys)."""
    return {o.name: o.dest for o in registry.entry(kind).options}


def _described(splits: DataSplits) -> str:
    """What the data is, in a refusal: binary variables, 2-D points or real values."""
    if splits.name in ("ring", "grid"):
        return f"{splits.dim}-D points"
    binary = splits.support is constraints.boolean
    return f"{splits.dim} {'binary variables' if binary else 'real values'}"


def build_for_data(kind: str, splits: DataSplits, args: argparse.Namespace,
                   settings: dict[str, Any], seed: int, *, report: bool = False):
    """A fresh ``kind`` for ``splits``' shape and the options in ``args``, its initial weights
    drawn from ``seed`` alone (not from whatever ran before).

    :raises ValueError: naming the kind and the data when the constructor refuses (a
        :class:`~ppl_models.registry.ModelTooLarge` stays one).
    """
    keyword = registry.shape_keyword(kind)
    shape = {"dim": splits.dim, "input_shape": tuple(splits.image_shape)}[keyword]
    family = family_cli(registry.family_of(kind))
    arguments = {keyword: shape, **kind_options(kind, args, report=report),
                 **family.constructor_arguments(kind, settings, splits, seed)}
    seed_everything(seed)
    try:
        return registry.build(kind, **arguments)
    except ValueError as e:
        message = (f"cannot build --model {kind} for {splits.name} "
                   f"({_described(splits)}): {e}")
        if isinstance(e, ModelTooLarge):
            raise ModelTooLarge(message, num_parameters=e.num_parameters,
                                formula=e.formula) from e
        raise ValueError(message) from e
