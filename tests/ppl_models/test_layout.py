"""The package layout's promises: no import cycle, and models never import inference."""

import ast
import pathlib
import subprocess
import sys

import pytest

import ppl_models

ROOT = pathlib.Path(ppl_models.__file__).parent


@pytest.mark.parametrize("first, second", [
    ("ppl_models.distributions", "ppl_models.nn"),
    ("ppl_models.nn", "ppl_models.distributions"),
    ("ppl_models.vae", "ppl_models.distributions"),
    ("ppl_models.registry", "ppl_models.vae"),
])
def test_packages_import_in_either_order(first, second):
    # A fresh interpreter: in this one every module is imported already.
    code = f"import {first}, {second}; from ppl_models.registry import kinds; print(kinds())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # Whatever was imported first, the kinds come in one canonical order.
    from ppl_models.registry import kinds

    assert done.stdout.strip() == str(kinds())


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_under_ppl_models_imports_inference():
    offenders = {str(p.relative_to(ROOT)): sorted(n for n in _imports(p)
                                                  if n.split(".")[0] == "inference")
                 for p in ROOT.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_nn_holds_blocks_only():
    # nn/ returns tensors: it depends on nothing else of the library.
    for path in (ROOT / "nn").rglob("*.py"):
        assert not any(n.startswith("ppl_models.") and not n.startswith("ppl_models.nn")
                       for n in _imports(path)), path
