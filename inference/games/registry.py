"""Games by name, and the game a model's kind declares.

A game class registers itself where it is defined (``@register_game("cycle")``); a kind
names its game where it is registered (``register("cyclegan", "implicit", game="cycle")``).
:func:`game_for` joins the two, so nothing else asks which kind a model is.
"""

from __future__ import annotations

__all__ = ["game_class", "game_for", "games", "register_game"]

from collections.abc import Callable
from typing import Any

from torch import nn

from inference.games.game import BATCH_FORMS, Game
from ppl_models import registry

_GAMES: dict[str, type[Game]] = {}


def register_game(name: str) -> Callable[[type[Game]], type[Game]]:
    """Class decorator: make ``cls`` the game called ``name``.

    :raises ValueError: for a class that is not a :class:`Game`, an unknown batch form, or a
        name taken.
    """
    def decorate(cls: type[Game]) -> type[Game]:
        if not (isinstance(cls, type) and issubclass(cls, Game)):
            raise ValueError(f"{cls!r} must be a subclass of Game")
        if cls.batch_form not in BATCH_FORMS:
            raise ValueError(f"{cls.__qualname__}.batch_form must be one of {BATCH_FORMS}, "
                             f"got {cls.batch_form!r}")
        if name in _GAMES and _GAMES[name] is not cls:
            raise ValueError(f"game {name!r} is registered already, by "
                             f"{_GAMES[name].__qualname__}")
        cls.name = name
        _GAMES[name] = cls
        return cls

    return decorate


def games() -> tuple[str, ...]:
    """The registered games' names."""
    return tuple(_GAMES)


def game_class(name: str) -> type[Game]:
    """The game called ``name``.

    :raises ValueError: naming the known games, if there is none.
    """
    if name not in _GAMES:
        raise ValueError(f"game must be one of {tuple(_GAMES)}, got {name!r}")
    return _GAMES[name]


def game_for(model: nn.Module, **options: Any) -> Game:
    """The game ``model``'s kind declares, built over ``model`` with ``options`` (the
    adversarial loss, penalties and the game's own weights).

    :raises ValueError: for a model whose class is not a registered implicit kind, or
        options the game does not take.
    """
    kind = registry.kind_of(model)
    entry = registry.entry(kind)
    if entry.game is None:
        raise ValueError(f"kind {kind!r} ({entry.family}) plays no adversarial game")
    cls = game_class(entry.game)
    try:
        return cls(model, **options)
    except TypeError as e:
        raise ValueError(f"the {cls.name!r} game of kind {kind!r} cannot take "
                         f"{sorted(options)}: {e}") from e
