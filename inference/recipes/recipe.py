"""A recipe: the settings of one reported run, as a TOML file read into validated data.

A recipe is ``ppl-models train``'s options written down, grouped for reading::

    description = "NADE on the 8x8 digits"
    reproduces = "README, Command line: the NADE quick start"

    [model]
    model = "nade"
    hidden = 100

    [data]
    dataset = "digits"

    [training]
    epochs = 20
    seed = 0

    [objective]   # the family's options: --objective, --gan-loss, --gp, ...

    [report]      # only in the report's recipes (report_<kind>.toml)
    share = 0.25  # the fraction of the report's budget; without it, what the others leave
    data = "ring" # the data set, when not the report's own

Every key of the four tables is the name of a ``train`` option (its flag without the
dashes, ``-`` as ``_``), checked against that option's type and choices when the recipe is
applied (:func:`inference.cli.recipe_options.apply_recipe`), so the file and the command line
cannot mean different things. Recipes shipped with the package live beside this module and
are found by name (:func:`recipe_path`); any other file is found by its path. A run writes
the resolved recipe (every setting it used, overrides included) as ``recipe.toml`` beside
``model.pt`` (:meth:`Recipe.to_toml`), so ``train --recipe RUN/recipe.toml`` reruns it.
"""

from __future__ import annotations

__all__ = ["SECTIONS", "Recipe", "recipe_names", "recipe_path"]

import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

#: The tables a recipe's settings are grouped in; only for reading, every key is flat.
SECTIONS = ("model", "data", "training", "objective")
_TOP = ("description", "reproduces", *SECTIONS, "report")
_REPORT_KEYS = ("share", "data")
_PACKAGE = "inference.recipes"


def recipe_names() -> tuple[str, ...]:
    """The recipes shipped with the package, by name (their file names without ``.toml``)."""
    files = resources.files(_PACKAGE)
    return tuple(sorted(f.name[:-5] for f in files.iterdir() if f.name.endswith(".toml")))


def recipe_path(name_or_path: str | Path) -> Path:
    """The file of a shipped recipe's ``name``, or ``name_or_path`` itself when it is a path
    (it ends in ``.toml`` or names an existing file).

    :raises ValueError: naming the shipped recipes when there is no such recipe.
    """
    text = str(name_or_path)
    if text.endswith(".toml") or Path(text).is_file():
        path = Path(text)
        if not path.is_file():
            raise ValueError(f"--recipe: no recipe file {text!r}")
        return path
    candidate = resources.files(_PACKAGE) / f"{text}.toml"
    if not candidate.is_file():
        raise ValueError(f"--recipe: no recipe named {text!r}; the shipped recipes are "
                         f"{', '.join(recipe_names())} (or give a .toml file's path)")
    return Path(str(candidate))


@dataclass(frozen=True)
class Recipe:
    """One run's settings.

    :ivar name: the recipe's name (its file name without ``.toml``).
    :ivar description: one line: what the run is.
    :ivar reproduces: which reported figure it gives, if any.
    :ivar settings: ``{section: {train option name: value}}``.
    :ivar report: how the report runs it: ``{"share": fraction of its budget, "data": data
        set name}``, each optional; empty outside the report's recipes.
    """

    name: str
    description: str
    reproduces: str | None = None
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, name_or_path: str | Path) -> Recipe:
        """Read and check the structure of a recipe (its keys are checked against the
        ``train`` options when it is applied).

        :raises ValueError: naming the file and the key at fault: a file that is not TOML,
            an unknown table, a key given twice, a value that is not a scalar or a list of
            scalars, a non-finite number.
        """
        path = recipe_path(name_or_path)
        try:
            data = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"recipe {path}: not a TOML file: {e}") from None
        where = f"recipe {path.name}"
        unknown = sorted(set(data) - set(_TOP))
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown} at the top level; a recipe "
                             f"holds {list(_TOP)}")
        for key in ("description", "reproduces"):
            if key in data and not isinstance(data[key], str):
                raise ValueError(f"{where}: {key} must be a string")
        if not isinstance(data.get("description"), str) or not data["description"].strip():
            raise ValueError(f"{where}: description (one line saying what the run is) is "
                             "required")
        settings: dict[str, dict[str, Any]] = {}
        seen: dict[str, str] = {}
        for section in SECTIONS:
            table = data.get(section, {})
            if not isinstance(table, dict):
                raise ValueError(f"{where}: [{section}] must be a table of settings")
            for key, value in table.items():
                if key in seen:
                    raise ValueError(f"{where}: {key!r} is given in [{seen[key]}] and "
                                     f"[{section}]")
                seen[key] = section
                _check_value(value, f"{where}: [{section}] {key}")
            settings[section] = dict(table)
        name = path.name[:-5] if path.name.endswith(".toml") else path.name
        return cls(name, data["description"].strip(), data.get("reproduces"), settings,
                   _report(data.get("report", {}), where))

    def flat(self) -> dict[str, Any]:
        """Every setting, ``{train option name: value}``."""
        return {k: v for table in self.settings.values() for k, v in table.items()}

    def to_toml(self, comment: str = "") -> str:
        """The recipe as TOML text that :meth:`load` reads back to an equal recipe;
        ``comment`` lines go first, each as a ``#`` comment."""
        lines = [f"# {line}" for line in comment.splitlines()]
        lines.append(f"description = {_toml(self.description)}")
        if self.reproduces is not None:
            lines.append(f"reproduces = {_toml(self.reproduces)}")
        for section in SECTIONS:
            table = self.settings.get(section, {})
            if table:
                lines += ["", f"[{section}]"]
                lines += [f"{k} = {_toml(v)}" for k, v in table.items() if v is not None]
        if self.report:
            lines += ["", "[report]"] + [f"{k} = {_toml(v)}" for k, v in self.report.items()]
        return "\n".join(lines) + "\n"


def _report(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict) or set(table) - set(_REPORT_KEYS):
        raise ValueError(f"{where}: [report] may hold only {list(_REPORT_KEYS)}")
    share = table.get("share")
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float))
                              or not 0 <= share <= 1):
        raise ValueError(f"{where}: [report] share must be a fraction in [0, 1], got {share!r}")
    if "data" in table and not isinstance(table["data"], str):
        raise ValueError(f"{where}: [report] data must be a data set's name")
    return dict(table)


def _check_value(value: Any, where: str) -> None:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, (str, int, float, bool)):
            raise ValueError(f"{where}: must be a string, number, true/false or a list of "
                             f"them, got {type(item).__name__}")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{where}: must be finite, got {item}")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} to a recipe")
