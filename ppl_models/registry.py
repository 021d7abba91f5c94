"""Model kinds by name: which family each belongs to, how to build it, what it offers.

Every model kind is one class, registered once where it is defined::

    @register("nade", "exact", options=(Option("hidden", 500, "hidden units"),))
    class NADE(LazyDistribution): ...

and nothing else in the library names it: the command line, the report and
:mod:`inference.persistence` read kinds, families and options from here. The **family**
decides how a kind is fitted, scored and reported (see ``../shared/DESIGN.md``):

============  ================================================  ==========================
family        the model gives                                   scored by
============  ================================================  ==========================
``exact``     ``m(context=None)``: a normalised distribution    exact log p(x)
``latent``    ``m.model(x)`` / ``m.guide(x)``: a Pyro pair      ELBO, IWAE-K (bounds)
``implicit``  ``m.sample(n)``: a sampler; its game trains it    sample metrics
============  ================================================  ==========================

**Configuration.** A model's ``config`` property is its constructor's arguments as plain
JSON data, so ``build(kind, **model.config)`` makes an untrained twin whose ``state_dict``
loads the model's tensors.

**The data's shape.** A tool that builds a kind for a data set passes the shape as a keyword
the constructor declares: ``input_shape=(C, H, W)`` when it takes ``input_shape`` (images),
else ``dim=D`` when it takes ``dim`` (vectors of ``D`` values). A kind whose constructor takes
neither (e.g. ``"chain_rule"``, built from explicit parent sets) is built by code only and is
not offered on the command line; see :func:`shape_keyword`.

**Options.** ``options`` are the constructor arguments a kind offers to a user beyond the
data's shape, each with its command-line flag. How the report (or any run) sets and budgets
a kind is not the kind's business: it is in a recipe (:mod:`inference.recipes`).
"""

from __future__ import annotations

__all__ = [
    "FAMILIES",
    "Entry",
    "ModelTooLarge",
    "Option",
    "build",
    "entry",
    "family_of",
    "kind_of",
    "kinds",
    "num_parameters",
    "register",
    "shape_keyword",
    "unregister",
]

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

FAMILIES = ("exact", "latent", "implicit")

# Registration happens on import; these packages hold every built-in kind.
_BUILTIN_PACKAGES = ("ppl_models",)
_SKIP = ("ppl_models.data", "ppl_models.nn", "ppl_models.registry")


class ModelTooLarge(ValueError):
    """A model refused before anything is allocated, with the size that would be needed.

    :param str message: what was refused and why.
    :param int num_parameters: the exact count that was too large.
    :param str formula: how it is counted, e.g. ``"2^64 - 1"``.
    """

    def __init__(self, message: str, *, num_parameters: int, formula: str) -> None:
        super().__init__(message)
        self.num_parameters = num_parameters
        self.formula = formula


@dataclass(frozen=True)
class Option:
    """A constructor argument a kind offers on the command line.

    :param str name: the constructor's keyword.
    :param default: its value when the user gives none.
    :param str help: one line for ``--help``.
    :param flag: the command-line flag; default ``--`` + ``name`` with dashes.
    :param type: converts one command-line word.
    :param nargs: argparse's ``nargs`` (``"+"`` for a list).
    :param choices: the allowed values, if few.
    """

    name: str
    default: Any
    help: str
    flag: str | None = None
    type: Callable[[str], Any] = int
    nargs: str | None = None
    choices: tuple[Any, ...] | None = None

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        """The attribute argparse stores the flag's value under."""
        return self.cli_flag[2:].replace("-", "_")


@dataclass(frozen=True)
class Entry:
    """One registered kind: see :func:`register`."""

    kind: str
    family: str
    cls: type
    options: tuple[Option, ...] = ()
    summary: str = field(default="")
    game: str | None = None


_REGISTRY: dict[str, Entry] = {}
_discovered = False


def register(kind: str, family: str, *, options: tuple[Option, ...] = (),
             game: str | None = None) -> Callable[[type], type]:
    """Class decorator: make ``cls`` the model of ``kind`` in ``family``.

    :param str kind: the name users type (``--model KIND``); lower case, unique.
    :param str family: one of :data:`FAMILIES`.
    :param options: constructor arguments offered on the command line.
    :param game: for an ``implicit`` kind, the name of the game of :mod:`inference.games`
        that trains it (required there, refused elsewhere).
    :raises ValueError: for a bad family, a kind registered twice, a class without
        ``config``, or a game given to (or missing from) the wrong family.
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    if not isinstance(kind, str) or not kind or kind != kind.lower():
        raise ValueError(f"kind must be a non-empty lower-case str, got {kind!r}")
    if (family == "implicit") != isinstance(game, str):
        raise ValueError(f"game must name the game of an implicit kind (and only of one), "
                         f"got game={game!r} for family {family!r}")

    def decorate(cls: type) -> type:
        if kind in _REGISTRY and _REGISTRY[kind].cls is not cls:
            raise ValueError(f"kind {kind!r} is registered already, by "
                             f"{_REGISTRY[kind].cls.__qualname__}")
        if not isinstance(getattr(cls, "config", None), property):
            raise ValueError(f"{cls.__qualname__} must define a config property (its "
                             "constructor's arguments as plain data)")
        doc = (cls.__doc__ or "").strip().splitlines()
        _REGISTRY[kind] = Entry(kind, family, cls, tuple(options), doc[0] if doc else "", game)
        return cls

    return decorate


def unregister(kind: str) -> None:
    """Forget ``kind`` (for tests and plug-ins that register temporarily)."""
    _REGISTRY.pop(kind, None)


def _discover() -> None:
    """Import every module of the built-in packages once, so their kinds are registered."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for package in _BUILTIN_PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            if not info.name.startswith(_SKIP):
                importlib.import_module(info.name)


def kinds(family: str | None = None) -> tuple[str, ...]:
    """Registered kinds, all or those of ``family``, in a canonical order: by family (as in
    :data:`FAMILIES`), then by the defining module's name, then in definition order within
    it, so the order (the report's rows, its training order) does not depend on which module
    a program happened to import first."""
    _discover()
    if family is not None and family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    position = {k: i for i, k in enumerate(_REGISTRY)}  # registration order within a module
    chosen = [k for k, e in _REGISTRY.items() if family in (None, e.family)]
    return tuple(sorted(chosen, key=lambda k: (FAMILIES.index(_REGISTRY[k].family),
                                               _REGISTRY[k].cls.__module__, position[k])))


def entry(kind: str) -> Entry:
    """The registration of ``kind``.

    :raises ValueError: naming the known kinds, if ``kind`` is not one.
    """
    _discover()
    if kind not in _REGISTRY:
        raise ValueError(f"kind must be one of {tuple(_REGISTRY)}, got {kind!r}")
    return _REGISTRY[kind]


def family_of(kind: str) -> str:
    """The family of ``kind``: one of :data:`FAMILIES`."""
    return entry(kind).family


def kind_of(model: Any) -> str:
    """The kind ``model``'s class is registered as.

    :raises ValueError: if its class is not registered.
    """
    _discover()
    for kind, e in _REGISTRY.items():
        if type(model) is e.cls:
            return kind
    raise ValueError(f"{type(model).__name__} is not a registered model kind")


def build(kind: str, **config: Any) -> nn.Module:
    """A fresh model of ``kind``: ``cls(**config)`` (its weights from torch's global RNG).

    :raises ValueError: for an unknown kind, or arguments the constructor does not take.
    """
    cls = entry(kind).cls
    try:
        inspect.signature(cls).bind(**config)
    except TypeError as e:
        raise ValueError(f"cannot build kind {kind!r} from {sorted(config)}: {e}") from e
    return cls(**config)


def shape_keyword(kind: str) -> str | None:
    """``"input_shape"``, ``"dim"`` or ``None``: how ``kind`` is told its data's shape."""
    params = inspect.signature(entry(kind).cls).parameters
    return next((k for k in ("input_shape", "dim") if k in params), None)


def num_parameters(model: nn.Module) -> int:
    """Free parameters: ``model.num_parameters`` where the model counts them itself (a
    table's entries, FVSBN's triangle), else every trainable number it holds."""
    count = getattr(model, "num_parameters", None)
    if count is not None:
        return int(count)
    if isinstance(model, nn.Module):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
    raise ValueError(f"model must be an nn.Module, got {type(model).__name__}")
