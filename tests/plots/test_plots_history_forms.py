"""Every figure that reads a training history takes it in all three forms alike."""

import pytest

from inference.plots import save_elbo_curves, save_rate_distortion, save_training_curves
from inference.training import History

PNG = b"\x89PNG\r\n\x1a\n"


def history():
    """What an SVI run records: the loss and the ELBO terms, train and validation."""
    epochs = [{"epoch": e, "train_loss": 12.0 - e, "valid_loss": 12.5 - e, "seconds": 0.1,
               "train_elbo": e - 12.0, "valid_elbo": e - 12.5, "train_rate": 1.0 + e,
               "valid_rate": 1.2 + e, "train_distortion": 11.0 - 2 * e,
               "valid_distortion": 11.3 - 2 * e} for e in (1, 2, 3)]
    return History(epochs=epochs, best_epoch=3, best_valid_loss=9.5)


FORMS = {"History": history, "to_dict": lambda: history().to_dict(),
         "list": lambda: history().epochs}
FIGURES = {
    "training_curves": lambda h, path: save_training_curves({"run": h}, path),
    "elbo_curves": save_elbo_curves,
    "rate_distortion": save_rate_distortion,
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("figure", FIGURES)
def test_every_history_form_is_accepted(figure, form, tmp_path):
    given = FORMS[form]()
    path = FIGURES[figure](given, tmp_path / f"{figure}.png")
    assert path.read_bytes()[:8] == PNG
    # The figure reads its history; it never rewrites the caller's records.
    assert given == FORMS[form]()


@pytest.mark.parametrize("figure", FIGURES)
def test_every_history_reader_refuses_the_same_bad_forms(figure, tmp_path):
    for bad in ([], {"epochs": []}, History(), "epochs", [1, 2]):
        with pytest.raises(ValueError, match="histor"):
            FIGURES[figure](bad, tmp_path / "bad.png")
