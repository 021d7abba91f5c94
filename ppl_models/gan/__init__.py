"""Generative adversarial networks: one file per variant, networks only.

A GAN here is an ``nn.Module`` (family ``implicit``) meeting
:class:`~ppl_models.gan.networks.Networks`:

- ``generator`` and ``discriminator``: the two players' modules;
- ``sample(n, condition=None)``: ``n`` draws without gradients (what scoring and figures use),
  ``condition`` what the kind is conditioned on (a label, a caption, an input image);
- one documented, differentiable generator call (``generate(n, condition=None)`` for the
  samplers, ``forward`` for the translators) and ``discriminate``, which the kind's game
  reads.

Nothing is stored on a module between calls and no module owns an optimiser or a training
setting: the objective is the kind's *game* (:mod:`inference.games`, named where the kind is
registered), driven by :class:`inference.training.AdversarialStep`.
"""

from ppl_models.gan.conditional import ConditionalGAN
from ppl_models.gan.dcgan import DCGAN
from ppl_models.gan.infogan import InfoGAN
from ppl_models.gan.mlp_gan import GAN
from ppl_models.gan.text_to_image import TextToImageGAN

__all__ = ["ConditionalGAN", "DCGAN", "GAN", "InfoGAN", "TextToImageGAN"]
