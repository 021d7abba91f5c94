"""``VAE.start_from``: a NADE decoder started from a fitted NADE is that NADE for every code;
anything else is refused (declared by :class:`ppl_models.abilities.StartsFrom`)."""

import pytest
import torch

from ppl_models.abilities import StartsFrom
from ppl_models.distributions import NADE
from ppl_models.vae import VAE


def test_the_started_decoder_is_the_nade_for_every_code():
    torch.manual_seed(0)
    nade = NADE(12, 5)
    with torch.no_grad():
        for p in nade.parameters():
            p.normal_()
    vae = VAE((12,), 3, hidden=(7,), likelihood="nade", nade_hidden=5)
    assert isinstance(vae, StartsFrom)
    taken = vae.start_from(nade)
    assert len(taken) == 4  # W, c, V, b: not the code's weights
    assert all(p.shape == q.shape for p, q in zip(taken, nade.parameters(), strict=True))
    x = torch.randint(0, 2, (6, 12)).float()
    z = 3 * torch.randn(6, 3)
    with torch.no_grad():
        assert torch.allclose(vae.decode(z).log_prob(x), nade().log_prob(x), atol=1e-5)


@pytest.mark.parametrize("vae, nade", [
    (VAE((12,), 3, hidden=(7,)), NADE(12, 5)),                                # Bernoulli pixels
    (VAE((12,), 3, hidden=(7,), likelihood="nade", nade_hidden=5), NADE(12, 6)),  # other size
    (VAE((12,), 3, hidden=(7,), likelihood="nade", nade_hidden=5),
     NADE(12, 5, order=torch.arange(11, -1, -1))),                           # other order
])
def test_another_model_is_refused(vae, nade):
    with pytest.raises(ValueError, match="starts only a NADE decoder"):
        vae.start_from(nade)
