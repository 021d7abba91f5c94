"""Bad inputs to the translation models and their data: a ValueError naming the argument."""

import pytest
import torch
from catalogue import Case, assert_clear

from inference.games import CycleGame, StarGame
from inference.games.replay_buffer import ReplayBuffer
from inference.metrics import attribute_accuracy, cycle_l1, target_sensitivity
from inference.training import linear_decay
from ppl_models.data import attribute_domains, downsample_to_digits, upsample_digits
from ppl_models.gan.cyclegan import CycleGAN
from ppl_models.gan.stargan import StarGAN

SHAPE = (1, 8, 8)


def cyclegan():
    torch.manual_seed(0)
    return CycleGAN(SHAPE, channels=2, residual_blocks=1)


def stargan():
    torch.manual_seed(0)
    return StarGAN(SHAPE, num_domains=2, channels=2, residual_blocks=1)


CASES = [
    Case("digits without a channel axis", lambda: upsample_digits(torch.rand(3, 8, 8)),
         ("images", "(N, 1, H, W)")),
    Case("an off-centre box", lambda: upsample_digits(torch.rand(3, 1, 8, 8), box=21),
         ("size - box",)),
    Case("a box larger than the image", lambda: downsample_to_digits(torch.rand(2, 1, 8, 8)),
         ("box",)),
    Case("integer invert mask", lambda: attribute_domains(torch.rand(2, 1, 8, 8),
                                                         invert=torch.ones(2)), ("invert",)),
    Case("CycleGAN image side not a multiple of 4", lambda: CycleGAN((1, 10, 10)),
         ("input_shape", "multiples of 4")),
    Case("CycleGAN negative identity ratio", lambda: CycleGame(cyclegan(), identity_ratio=-0.5),
         ("identity_ratio",)),
    Case("CycleGAN unknown direction", lambda: cyclegan().translate(torch.rand(1, *SHAPE),
                                                                    "forward"), ("direction",)),
    Case("CycleGAN batch that is one domain", lambda: CycleGame(cyclegan()).draw(
        torch.rand(2, *SHAPE)), ("batch", "pair")),
    Case("CycleGAN sample without inputs", lambda: cyclegan().sample(4), ("condition",)),
    Case("a negative replay buffer", lambda: ReplayBuffer(-3), ("size",)),
    Case("StarGAN target of the wrong width", lambda: stargan().translate(
        torch.rand(2, *SHAPE), torch.ones(2, 3)), ("target", "(2, 2)")),
    Case("StarGAN soft target", lambda: stargan().translate(
        torch.rand(2, *SHAPE), torch.full((2, 2), 0.3)), ("target", "0s and 1s")),
    Case("StarGAN batch without labels", lambda: StarGame(stargan()).draw(
        torch.rand(2, *SHAPE)), ("batch", "pair")),
    Case("StarGAN zero domains", lambda: StarGAN(SHAPE, num_domains=0), ("num_domains",)),
    Case("decay that starts at the end", lambda: linear_decay(10, 10), ("decay_start",)),
    Case("cycle L1 of different shapes", lambda: cycle_l1(torch.rand(2, 3), torch.rand(3, 2)),
         ("same shape",)),
    Case("attribute accuracy of vectors", lambda: attribute_accuracy(torch.ones(3),
                                                                     torch.ones(3)),
         ("(N, K)",)),
    Case("one target is no comparison", lambda: target_sensitivity(
        lambda x, t: x, torch.rand(2, 3), torch.ones(1, 2)), ("targets", "T >= 2")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_translation_input(case):
    assert_clear(case)
