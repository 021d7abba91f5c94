"""The figures of a controlled generator: InfoGAN's code traversal, a conditional grid and
text prompts with their samples. The image tensors are checked cell by cell (which code,
label or prompt and which noise each cell was drawn at), and on the real models rows must
differ for a fixed noise."""

import pytest
import torch

from inference.plots import (
    code_traversal_images,
    conditional_grid_images,
    image_rows_figure,
    prompt_images,
    save_code_traversal,
    save_conditional_grid,
    save_image_rows,
    save_text_prompts,
)
from ppl_models.data.captions import encode_captions
from ppl_models.gan.conditional import ConditionalGAN
from ppl_models.gan.infogan import InfoGAN
from ppl_models.gan.text_to_image import TextToImageGAN

PNG = b"\x89PNG\r\n\x1a\n"


def _row_gaps(rows):
    """Mean absolute difference between every pair of distinct rows ``(R, K, ...)``."""
    gaps = (rows[:, None] - rows[None]).abs().flatten(2).mean(-1)
    return gaps[~torch.eye(len(rows), dtype=torch.bool)]


def _noise_gaps(images):
    """Mean absolute difference between every pair of images ``(N, ...)`` of one condition
    drawn at different noise: the scale a condition's effect is measured against (at
    N(0, 0.02) initial weights every change is small)."""
    return _row_gaps(images[:, None])


def _infogan():
    torch.manual_seed(0)
    return InfoGAN((1, 8, 8), latent_dim=4, channels=4, hidden=16, q_hidden=8)


def _conditional():
    torch.manual_seed(0)
    return ConditionalGAN((1, 8, 8), latent_dim=4, channels=4, hidden=16)


# -- the drawer --------------------------------------------------------------------------


def test_one_axes_per_row_each_holding_the_rows_images():
    rows = torch.rand(3, 5, 1, 4, 6)
    fig = image_rows_figure(rows, ["a", "bb", "ccc"], column_titles=list("vwxyz"))
    assert len(fig.axes) == 3
    for ax, title in zip(fig.axes, ["a", "bb", "ccc"], strict=True):
        (image,) = ax.get_images()
        # One strip of 5 images 6 pixels wide with a 1-pixel border: 5 * 7 + 1 columns.
        assert image.get_array().shape == (4 + 2, 5 * (6 + 1) + 1)
        assert ax.get_ylabel() == title
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list("vwxyz")
    # The strip of row 1 is row 1's images, in order.
    strip = torch.as_tensor(fig.axes[1].get_images()[0].get_array())
    assert torch.allclose(strip[1:5, 1 + 7 * 2:1 + 7 * 2 + 6].float(), rows[1, 2, 0])


@pytest.mark.parametrize("rows, titles, kw, match", [
    (torch.rand(2, 3, 1, 4, 4), ["a"], {}, "row_titles"),
    (torch.rand(2, 3, 1, 4, 4), ["a", "b"], {"column_titles": ["x"]}, "column_titles"),
    (torch.rand(3, 1, 4, 4), ["a", "b", "c"], {}, "rows"),
    (torch.full((1, 2, 1, 4, 4), 2.0), ["a"], {}, r"\[0, 1\]"),
])
def test_bad_rows_are_refused(rows, titles, kw, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        save_image_rows(rows, tmp_path / "r.png", titles, **kw)


# -- (a) InfoGAN's code traversal --------------------------------------------------------


def _recording_generate(z, categorical, continuous):
    """Images that spell out what they were drawn at: pixel (0, 0) the categorical code /
    10, (0, 1) the continuous code 0 mapped to [0, 1], (0, 2) code 1, (0, 3) z[0] / 10."""
    out = torch.zeros(len(z), 1, 2, 4)
    out[:, 0, 0, 0] = categorical.float() / 10
    out[:, 0, 0, 1] = (continuous[:, 0] + 1) / 2
    out[:, 0, 0, 2] = (continuous[:, 1] + 1) / 2
    out[:, 0, 0, 3] = z[:, 0] / 10
    return out


def test_traversal_cells_hold_their_code_and_the_one_noise():
    z = torch.tensor([3.0, 1.0])
    rows = code_traversal_images(_recording_generate, z, categories=4, continuous=2, dim=1,
                                 steps=5)
    assert rows.shape == (4, 5, 1, 2, 4)
    cells = rows[:, :, 0, 0]
    assert torch.allclose(cells[..., 0], torch.arange(4.0)[:, None].expand(4, 5) / 10)
    # The swept code runs over [-1, 1] along each row; the other code stays at 0.
    assert torch.allclose(cells[..., 2], ((torch.linspace(-1, 1, 5) + 1) / 2).expand(4, 5))
    assert torch.allclose(cells[..., 1], torch.full((4, 5), 0.5))
    assert torch.allclose(cells[..., 3], torch.full((4, 5), 0.3))  # fixed noise everywhere


def test_traversal_rows_differ_by_code_and_columns_along_the_sweep():
    m = _infogan()
    z = torch.randn(m.latent_dim)
    rows = code_traversal_images(m.generate_at, z, categories=m.categories,
                                 continuous=m.continuous, steps=6)
    assert rows.shape == (10, 6, 1, 8, 8)
    # A generator that ignored its categorical code would give ten equal rows (gap 0); at
    # initialisation the code's effect is small, so it is measured against the noise's.
    scale = _noise_gaps(m.generate_at(torch.randn(10, m.latent_dim),
                                      torch.zeros(10, dtype=torch.long),
                                      torch.zeros(10, 2))).median()
    assert _row_gaps(rows).min() > 0.05 * scale
    sweep = (rows[:, 0] - rows[:, -1]).abs().flatten(1).mean(-1)
    assert sweep.min() > 0.05 * scale
    # Each cell is G at its code: cell (3, 5) is code 3 with continuous 0 at +1.
    again = m.generate_at(z[None], torch.tensor([3]), torch.tensor([[1.0, 0.0]]))
    assert torch.allclose(rows[3, 5], again[0])


def test_a_generator_that_ignores_the_code_gives_equal_rows():
    # The check above can fail: the same measurement on a code-blind generator is 0.
    m = _infogan()
    blind = lambda z, c, u: m.generate_at(z, torch.zeros_like(c), u)  # noqa: E731
    rows = code_traversal_images(blind, torch.randn(m.latent_dim), categories=10,
                                 continuous=2, steps=3)
    assert _row_gaps(rows).max() == 0


def test_traversal_figure_has_a_row_per_categorical_value(tmp_path):
    m = _infogan()
    path = save_code_traversal(m.generate_at, torch.randn(4), tmp_path / "t.png",
                               categories=10, continuous=2, steps=7)
    assert path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="continuous"):
        code_traversal_images(m.generate_at, torch.randn(4), categories=10, continuous=0)
    with pytest.raises(ValueError, match="dim"):
        code_traversal_images(m.generate_at, torch.randn(4), categories=10, continuous=2,
                              dim=2)
    with pytest.raises(ValueError, match="one noise vector"):
        code_traversal_images(m.generate_at, torch.randn(2, 4), categories=10, continuous=2)


# -- (b) the conditional grid ------------------------------------------------------------


def test_conditional_grid_cells_hold_their_label_and_their_columns_noise():
    def generate(z, labels):
        out = torch.zeros(len(z), 1, 1, 2)
        out[:, 0, 0, 0], out[:, 0, 0, 1] = labels.float() / 10, z[:, 0] / 10
        return out

    z = torch.tensor([[1.0], [2.0], [5.0]])
    rows = conditional_grid_images(generate, z, [7, 0, 2, 9])
    assert rows.shape == (4, 3, 1, 1, 2)
    assert torch.allclose(rows[..., 0, 0, 0], torch.tensor([7.0, 0, 2, 9])[:, None]
                          .expand(4, 3) / 10)
    assert torch.allclose(rows[..., 0, 0, 1], torch.tensor([0.1, 0.2, 0.5]).expand(4, 3))


def test_conditional_grid_rows_differ_by_label_for_fixed_noise(tmp_path):
    m = _conditional()
    z = torch.randn(5, m.latent_dim)
    rows = conditional_grid_images(m.generate_at, z, range(10))
    assert rows.shape == (10, 5, 1, 8, 8)
    scale = _noise_gaps(m.generate_at(torch.randn(10, m.latent_dim),
                                      torch.zeros(10, dtype=torch.long))).median()
    assert _row_gaps(rows).min() > 0.05 * scale  # a label-blind generator gives 0
    assert torch.allclose(rows[4, 2], m.generate_at(z[2:3], torch.tensor([4]))[0])
    blind = conditional_grid_images(lambda z, y: m.generate_at(z, torch.zeros_like(y)), z,
                                    range(10))
    assert _row_gaps(blind).max() == 0
    path = save_conditional_grid(m.generate_at, z, range(10), tmp_path / "c.png")
    assert path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="out of range"):
        conditional_grid_images(m.generate_at, z, [10])
    with pytest.raises(ValueError, match="labels"):
        conditional_grid_images(m.generate_at, z, [])


# -- (c) text prompts with their samples -------------------------------------------------


PROMPTS = ["a thick upright seven", "a thin left-slanted one", "a thick right-slanted two"]


def test_prompt_rows_differ_by_prompt_for_fixed_noise(tmp_path):
    torch.manual_seed(0)
    m = TextToImageGAN([1, 8, 8], latent_dim=3, text_dim=4, channels=2, hidden=8)
    z = torch.randn(4, 3)

    def generate(z, prompts):
        return m.generate_at(z, encode_captions(prompts))

    rows = prompt_images(generate, z, PROMPTS)
    assert rows.shape == (3, 4, 1, 8, 8)
    scale = _noise_gaps(generate(torch.randn(10, 3), PROMPTS[:1] * 10)).median()
    assert _row_gaps(rows).min() > 0.05 * scale
    assert torch.allclose(rows[1, 3], generate(z[3:], PROMPTS[1:2])[0])
    path = save_text_prompts(generate, z, PROMPTS, tmp_path / "p.png")
    assert path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="sequence of strings"):
        prompt_images(generate, z, "a thick upright seven")
    with pytest.raises(ValueError, match="unknown word|not in the vocabulary|vocabulary"):
        prompt_images(generate, z, ["a purple seven"])


def test_the_generate_callable_must_return_a_row(tmp_path):
    with pytest.raises(ValueError, match="3 images"):
        conditional_grid_images(lambda z, y: torch.rand(2, 1, 4, 4), torch.randn(3, 2), [0])
