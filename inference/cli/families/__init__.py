"""The command line's behaviour per model family: one module per family.

``FAMILY_CLIS`` maps a family name (:data:`ppl_models.registry.FAMILIES`) to its
:class:`~inference.cli.families.family.FamilyCLI`; a family without an entry is not offered
on the command line yet.
"""

from inference.cli.families.exact import ExactCLI
from inference.cli.families.family import FamilyCLI, RunSettings, model_data
from inference.cli.families.game_data import needs_labels
from inference.cli.families.implicit import ImplicitCLI
from inference.cli.families.latent import LatentCLI
from ppl_models import registry

FAMILY_CLIS: dict[str, FamilyCLI] = {"exact": ExactCLI(), "latent": LatentCLI(),
                                     "implicit": ImplicitCLI()}


def family_cli(family: str) -> FamilyCLI:
    """The command-line behaviour of ``family``.

    :raises ValueError: for a family the command line does not support yet.
    """
    if family not in FAMILY_CLIS:
        raise ValueError(f"the command line does not support the {family!r} family yet "
                         f"(supported: {', '.join(FAMILY_CLIS)})")
    return FAMILY_CLIS[family]


def family_of_model(model) -> FamilyCLI:
    """The command-line behaviour of ``model``'s family."""
    return family_cli(registry.family_of(registry.kind_of(model)))


__all__ = ["FAMILY_CLIS", "FamilyCLI", "RunSettings", "family_cli", "family_of_model",
           "model_data", "needs_labels"]
