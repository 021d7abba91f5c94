"""Recipes: every reported run's settings as a TOML file, shipped as package data.

``ppl-models train --recipe NAME|PATH`` runs one; options on the command line override it
and the override is recorded; the run directory keeps the resolved recipe beside
``model.pt``. See :mod:`inference.recipes.recipe` for the format and the files beside it for
the recipes.
"""

from inference.recipes.recipe import SECTIONS, Recipe, recipe_names, recipe_path

__all__ = ["SECTIONS", "Recipe", "recipe_names", "recipe_path"]
