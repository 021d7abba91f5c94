"""README.md's table of kinds is the registry's (docs/kinds_table.py)."""

import pytest
from torch import nn

from docs import kinds_table
from ppl_models import registry


def test_readme_table_is_the_registrys():
    assert kinds_table.main(["--check"]) == 0, "run python -m docs.kinds_table"


@pytest.fixture
def new_kind():
    registry.kinds()  # register the built-in kinds first

    @registry.register("zz_test_kind", "exact")
    class ZZ(nn.Module):
        """A kind added without regenerating the README."""

        @property
        def config(self):
            return {}

    yield "zz_test_kind"
    registry.unregister("zz_test_kind")


def test_a_new_kind_without_a_row_is_refused(new_kind):
    with pytest.raises(SystemExit, match="zz_test_kind"):
        kinds_table.table()


def test_a_new_kind_not_regenerated_fails_the_check(new_kind, monkeypatch, capsys):
    monkeypatch.setitem(kinds_table.NOTES, new_kind, ("nothing", "0", "—"))
    assert kinds_table.main(["--check"]) == 1
    assert "differs from the registry" in capsys.readouterr().err


def test_regenerating_puts_the_kind_in(new_kind, monkeypatch, tmp_path):
    monkeypatch.setitem(kinds_table.NOTES, new_kind, ("nothing", "0", "—"))
    readme = tmp_path / "README.md"
    readme.write_text(kinds_table.README.read_text(encoding="utf-8"), encoding="utf-8")
    assert kinds_table.main(["--readme", str(readme)]) == 0
    assert f"| `{new_kind}` | exact |" in readme.read_text(encoding="utf-8")
    assert kinds_table.main(["--check", "--readme", str(readme)]) == 0
