r"""Puzzle-GAN (Lee et al. 2018): a whole image generated from a few of its key local patches.

``K`` (2-3) patches of side ``P`` are cropped from each real image at random positions; the
positions are *discarded* (the part encoder :math:`E` sees only the patch pixels, Sec. 3.1).
The shared encoder's embeddings are summed, :math:`e = \sum_k E(p_k)`, and with noise
:math:`z` a mask generator predicts the object's mask :math:`\hat M = G_M(e, z)` and an image
generator completes the whole :math:`\hat y = G_I(e, z, \hat M)` (their Fig. 2). The
generator minimises (their eqs. 1-4)

.. math::
    \mathcal{L}_G = \mathcal{L}_\text{adv}
        + \lambda_M \|\hat M - M\|_1 + \lambda_A \|\hat y \odot \hat M - y \odot M\|_1,

with :math:`M` the real image's mask. The appearance term compares each image *under its own
mask*, as the reference code does: the completion is asked for the real ink where it says
the object is and for nothing where it says it is not (a version with :math:`M` on both
sides leaves every pixel outside the true ink free, and a white canvas meets it).

**Which mask**: the paper's ground-truth mask is the object's segmentation (not the union
of the patch boxes: the mask generator is to say where the *whole* object is); for MNIST
there is no segmentation, so :math:`M` is the digit's ink, ``y > mask_threshold`` (0.5),
which is also what the issue's benchmark scores IoU against.

The discriminator also rejects real images composed of swapped parts (Sec. 3.2): a real
image with its patch regions replaced by the same regions of another image of the batch
(:func:`swap_parts`, :meth:`PuzzleGAN.swapped_reals`), so that locally real but globally
inconsistent compositions are penalised.

The kind plays the parts game (:mod:`inference.games.parts`, which holds the losses above
and their weights :math:`\lambda_M`, :math:`\lambda_A`) through
:class:`inference.training.AdversarialStep` (non-saturating loss). Batches are images
``(N, C, H, W)`` or ``(images, labels)`` pairs (labels ignored: patches are cut from the
batch itself). The networks are convolutional, as in the reference code
``hellbell/KeyPatchGan``: E is two stride-2 convolutions and a linear map (so it knows
*where in the patch* a stroke is), G_M and G_I are DCGAN decoders from :math:`(e, z)` with
G_I also given G_M's features and :math:`\hat M` at full resolution, D is a small conv net.
(A first version with MLPs reached mask IoU 0.14 on MNIST; an MLP fit to the mask alone
reached 0.20.)

References

1. Lee, Kim, Cho, Hwang & Yang, "Unsupervised Holistic Image Generation from Key Local
   Patches", ECCV 2018; code ``hellbell/KeyPatchGan``.
"""

from __future__ import annotations

__all__ = ["PuzzleGAN", "centre_boxes", "crop_patches", "object_mask", "paste_patches",
           "random_boxes", "swap_parts"]

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ppl_models.gan.networks import check_count, check_unit_images
from ppl_models.registry import Option, register


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def random_boxes(n: int, k: int, size: int, height: int, width: int,
                 generator: torch.Generator | None = None) -> Tensor:
    """Top-left corners ``(n, k, 2)`` (row, col) of ``k`` boxes of side ``size`` per image,
    uniform over the positions that keep the box inside ``height x width``."""
    if size > min(height, width):
        raise ValueError(f"patch size {size} must be <= image side {min(height, width)}")
    rows = torch.randint(0, height - size + 1, (n, k), generator=generator)
    cols = torch.randint(0, width - size + 1, (n, k), generator=generator)
    return torch.stack([rows, cols], -1)


def _box_index(boxes: Tensor, size: int, width: int) -> Tensor:
    """Flat pixel indices ``(n, k, size*size)`` of each box."""
    off = torch.arange(size, device=boxes.device)
    rows = boxes[..., 0, None, None] + off[:, None]
    cols = boxes[..., 1, None, None] + off[None, :]
    return (rows * width + cols).flatten(-2)


def crop_patches(x: Tensor, boxes: Tensor, size: int) -> Tensor:
    """Patches ``(N, K, C, P, P)`` of ``x`` ``(N, C, H, W)`` at ``boxes`` ``(N, K, 2)``."""
    n, c, h, w = x.shape
    idx = _box_index(boxes, size, w)  # (n, k, P*P)
    flat = x.flatten(2)[:, None].expand(-1, idx.shape[1], -1, -1)  # (n, k, c, HW)
    out = flat.gather(3, idx[:, :, None].expand(-1, -1, c, -1))
    return out.reshape(n, idx.shape[1], c, size, size)


def swap_parts(x: Tensor, boxes: Tensor, size: int, perm: Tensor) -> Tensor:
    """Real images with their patch regions taken from other images: image ``i`` keeps its
    own pixels outside its boxes and has ``x[perm[i]]``'s pixels inside them (Sec. 3.2)."""
    n, c, h, w = x.shape
    idx = _box_index(boxes, size, w).flatten(1)  # (n, k*P*P)
    inside = torch.zeros(n, h * w, dtype=torch.bool, device=x.device)
    inside.scatter_(1, idx, True)
    inside = inside.view(n, 1, h, w)
    return torch.where(inside, x[perm], x)


def paste_patches(patches: Tensor, boxes: Tensor, height: int, width: int) -> Tensor:
    """Patches ``(N, K, C, P, P)`` written on a blank ``(N, C, H, W)`` canvas at ``boxes``
    (later patches over earlier ones): the figures' "parts" row and, at the centre, the
    benchmark's no-learning baseline."""
    n, k, c, p, _ = patches.shape
    idx = _box_index(boxes, p, width)  # (n, k, P*P)
    canvas = patches.new_zeros(n, c, height * width)
    for j in range(k):
        canvas.scatter_(2, idx[:, j, None].expand(-1, c, -1), patches[:, j].flatten(2))
    return canvas.view(n, c, height, width)


def centre_boxes(n: int, k: int, size: int, height: int, width: int) -> Tensor:
    """Every box at the image centre, ``(n, k, 2)``."""
    return torch.tensor([(height - size) // 2, (width - size) // 2]).expand(n, k, 2).clone()


def object_mask(x: Tensor, threshold: float = 0.5) -> Tensor:
    """The ground-truth mask ``(N, 1, H, W)``: pixels of any channel above ``threshold``."""
    return (x > threshold).any(1, keepdim=True).to(x.dtype)


def _decoder(in_dim: int, channels: int, base: tuple[int, int]) -> nn.Sequential:
    """``(N, in_dim)`` to features ``(N, channels, 4 bh, 4 bw)``: a linear map onto a
    ``base``-sized grid, then two stride-2 transposed convolutions (DCGAN's generator)."""
    bh, bw = base
    return nn.Sequential(
        nn.Linear(in_dim, 2 * channels * bh * bw), nn.Unflatten(1, (2 * channels, bh, bw)),
        nn.BatchNorm2d(2 * channels), nn.ReLU(),
        nn.ConvTranspose2d(2 * channels, channels, 4, 2, 1), nn.BatchNorm2d(channels), nn.ReLU(),
        nn.ConvTranspose2d(channels, channels, 4, 2, 1), nn.BatchNorm2d(channels), nn.ReLU())


def _conv_encoder(c: int, channels: int, side: tuple[int, int], out_dim: int) -> nn.Sequential:
    """``(N, c, H, W)`` to ``(N, out_dim)``: two 3x3 stride-2 convolutions (LeakyReLU 0.2) and a
    linear map of the flattened features, which keeps where in the input each feature is."""
    h, w = (math.ceil(math.ceil(s / 2) / 2) for s in side)  # each convolution: ceil(s / 2)
    return nn.Sequential(
        nn.Conv2d(c, channels, 3, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(channels, 2 * channels, 3, 2, 1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(2 * channels * h * w, out_dim))


class _Generator(nn.Module):
    """Part encoder E (shared), mask generator G_M and image generator G_I, convolutional as
    in the reference code: G_I sees the mask and G_M's features at full resolution."""

    def __init__(self, image_shape, patch_size, embed_dim, latent_dim, channels) -> None:
        super().__init__()
        c, h, w = image_shape
        base = (math.ceil(h / 4), math.ceil(w / 4))  # decoders reach 4 * base >= (h, w); crop
        self.encoder = _conv_encoder(c, channels, (patch_size, patch_size), embed_dim)
        self.mask_features = _decoder(embed_dim + latent_dim, channels, base)
        self.mask = nn.Conv2d(channels, 1, 3, 1, 1)
        self.image_features = _decoder(embed_dim + latent_dim, channels, base)
        self.image = nn.Sequential(nn.Conv2d(2 * channels + 1, channels, 3, 1, 1), nn.ReLU(),
                                   nn.Conv2d(channels, c, 3, 1, 1))
        self.image_shape = tuple(image_shape)

    def forward(self, patches: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
        n, k = patches.shape[:2]
        _, h, w = self.image_shape
        # Summed embeddings: order- and position-free (only patch pixels reach E).
        e = self.encoder(patches.flatten(0, 1)).view(n, k, -1).sum(1)
        code = torch.cat([e, z], 1)
        mf = self.mask_features(code)[..., :h, :w]
        mask = torch.sigmoid(self.mask(mf))
        # G_I reads the mask but does not train G_M: with the adversarial gradient reaching
        # G_M through G_I, the mask collapsed to empty (IoU 0.0 after 940 updates on MNIST,
        # 0.35 without the game), and a saturated sigmoid does not come back under L1.
        f = torch.cat([self.image_features(code)[..., :h, :w], mf.detach(), mask.detach()], 1)
        return torch.sigmoid(self.image(f)), mask


_OPTIONS = (
    Option("channels", 32, "width of the convolutions", flag="--puzzle-channels"),
    Option("patch_size", 8, "side P of a key patch", flag="--patch-size"),
)


@register("puzzle_gan", "implicit", game="parts", options=_OPTIONS)
class PuzzleGAN(nn.Module):
    """Parts-to-whole generator with a part-swap-aware discriminator.

    :param input_shape: ``(C, H, W)``.
    :param int num_patches: ``K`` key patches per image (2-3 in the paper).
    :param int patch_size: side ``P`` of a patch, ``<= min(H, W)``.
    :param int embed_dim: part embedding width.
    :param int latent_dim: noise width.
    :param int channels: width of the convolutions (the decoders' last layer; ``2 x`` before).
    :param float mask_threshold: ink level defining the true mask.
    """

    def __init__(self, input_shape: Sequence[int], num_patches: int = 3, patch_size: int = 8,
                 embed_dim: int = 64, latent_dim: int = 16, channels: int = 32,
                 mask_threshold: float = 0.5) -> None:
        super().__init__()
        image_shape = input_shape
        if (not isinstance(image_shape, (list, tuple)) or len(image_shape) != 3
                or not all(isinstance(s, int) and s >= 1 for s in image_shape)):
            raise ValueError(f"input_shape must be (C, H, W) of positive ints, got {image_shape!r}")
        self.image_shape = tuple(image_shape)
        self.num_patches = _positive_int(num_patches, "num_patches")
        self.patch_size = _positive_int(patch_size, "patch_size")
        if patch_size > min(image_shape[1:]):
            raise ValueError(f"patch_size must be <= min(H, W) = {min(image_shape[1:])}, "
                             f"got {patch_size}")
        self.embed_dim = _positive_int(embed_dim, "embed_dim")
        self.latent_dim = _positive_int(latent_dim, "latent_dim")
        self.channels = _positive_int(channels, "channels")
        if not 0 <= mask_threshold < 1:
            raise ValueError(f"mask_threshold must be in [0, 1), got {mask_threshold!r}")
        self.mask_threshold = float(mask_threshold)
        self.generator = _Generator(self.image_shape, patch_size, embed_dim, latent_dim, channels)
        c, h, w = self.image_shape
        self.discriminator = _conv_encoder(c, channels, (h, w), 1)

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.image_shape), "num_patches": self.num_patches,
                "patch_size": self.patch_size, "embed_dim": self.embed_dim,
                "latent_dim": self.latent_dim, "channels": self.channels,
                "mask_threshold": self.mask_threshold}

    def _images(self, batch) -> Tensor:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"images must have shape (N, {', '.join(map(str, self.image_shape))}"
                             f"), got {got}")
        return x

    def crop(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Random key patches ``(N, K, C, P, P)`` of ``x`` and their boxes ``(N, K, 2)``."""
        x = self._images(x)
        _, _, h, w = x.shape
        boxes = random_boxes(len(x), self.num_patches, self.patch_size, h, w).to(x.device)
        return crop_patches(x, boxes, self.patch_size), boxes

    def forward(self, patches: Tensor, z: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Completed images ``(N, C, H, W)`` and masks ``(N, 1, H, W)`` from patches
        ``(N, K, C, P, P)`` (any ``K >= 1``); ``z`` ``(N, latent_dim)`` drawn if omitted."""
        c, p = self.image_shape[0], self.patch_size
        if (not isinstance(patches, Tensor) or patches.dim() != 5
                or tuple(patches.shape[2:]) != (c, p, p)):
            got = tuple(patches.shape) if isinstance(patches, Tensor) else type(patches).__name__
            raise ValueError(f"patches must have shape (N, K, {c}, {p}, {p}), got {got}")
        if z is None:
            z = torch.randn(len(patches), self.latent_dim, device=patches.device)
        return self.generator(patches, z)

    @torch.no_grad()
    def complete(self, patches: Tensor) -> tuple[Tensor, Tensor]:
        """:meth:`forward` without gradients."""
        return self(patches)

    @torch.no_grad()
    def sample(self, n: int, condition: Tensor | None = None) -> Tensor:
        """Completions of ``n`` images' random patches, ``condition`` the images
        ``(n, C, H, W)``; uniform noise images if omitted."""
        n = check_count(n)
        device = next(self.parameters()).device
        x = (torch.rand(n, *self.image_shape, device=device) if condition is None
             else check_unit_images(self._images(condition), "condition"))
        if len(x) != n:
            raise ValueError(f"condition must hold n = {n} images, got {len(x)}")
        return self(self.crop(x)[0])[0]

    # -- the discriminator (see the module docstring) ------------------------------------

    def discriminate(self, x: Tensor) -> Tensor:
        """Real/fake logits ``(N,)``."""
        return self.discriminator(self._images(x)).flatten()

    def swapped_reals(self, x: Tensor, boxes: Tensor) -> Tensor:
        """Real images whose patch regions come from the next image of the batch."""
        perm = torch.roll(torch.arange(len(x), device=x.device), 1)
        return swap_parts(x, boxes, self.patch_size, perm)
