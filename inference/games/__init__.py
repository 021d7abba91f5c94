r"""Adversarial objectives as declared games: one :class:`Game` per objective, not per kind.

==================  ===================  =====================================
game                kinds                terms beside the adversarial loss
==================  ===================  =====================================
``standard``        ``gan``, ``dcgan``   none (R1, WGAN-GP optional)
``growing``         ``progressive_gan``  none; advances the growth clock
``information``     ``infogan``          :math:`-\lambda (L_I - H(c))`
``conditional``     ``conditional_gan``  none; both players see the label
``matching_aware``  ``text_to_image``    GAN-CLS wrong captions, GAN-INT
``cycle``           ``cyclegan``         cycle, identity; replay buffers
``star``            ``stargan``          domain classification, reconstruction
``parts``           ``puzzle_gan``       mask, appearance, swapped-part reals
``autoencoder``     ``aae``              reconstruction NLL
==================  ===================  =====================================

A kind names its game where it is registered; :func:`game_for` builds it.
:class:`~inference.training.AdversarialStep` drives any game.
"""

from inference.games.autoencoder import AutoencoderGame
from inference.games.conditional import ConditionalGame
from inference.games.cycle import CycleGame
from inference.games.game import BATCH_FORMS, Game, Round, Terms, images_of
from inference.games.growing import GrowingGame
from inference.games.information import InformationGame
from inference.games.matching_aware import MatchingAwareGame
from inference.games.parts import PartsGame
from inference.games.registry import game_class, game_for, games, register_game

# Importing the games registers them.
from inference.games.standard import StandardGame  # noqa: I001
from inference.games.star import StarGame

__all__ = ["BATCH_FORMS", "AutoencoderGame", "ConditionalGame", "CycleGame", "Game", "GrowingGame",
           "InformationGame", "MatchingAwareGame", "PartsGame", "Round", "StandardGame",
           "StarGame", "Terms", "game_class", "game_for", "games", "images_of",
           "register_game"]
