"""Generative adversarial networks: one file per variant, generators and discriminators only.

A GAN here is an ``nn.Module`` (family ``implicit``) with

- ``generator``: a module mapping noise ``z`` to a sample;
- ``discriminator``: a module mapping samples to logits;
- ``sample(n)``: ``n`` draws, without gradients (what scoring and figures use);
- ``adversarial_inputs(batch)``: the ``(real, fake)`` pair a training step feeds to
  ``discriminate``, the fake one differentiable in the generator's parameters;
- ``discriminate(x)``: logits ``(M,)`` of a real or fake batch.

Training lives in :class:`inference.training.AdversarialStep`; the models own no optimiser.
"""

from ppl_models.gan.conditional import ConditionalGAN
from ppl_models.gan.dcgan import DCGAN
from ppl_models.gan.infogan import InfoGAN
from ppl_models.gan.mlp_gan import GAN
from ppl_models.gan.text_to_image import TextToImageGAN

__all__ = ["ConditionalGAN", "DCGAN", "GAN", "InfoGAN", "TextToImageGAN"]
