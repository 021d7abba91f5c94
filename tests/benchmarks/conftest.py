"""Load a benchmark script as a module (benchmarks/ is a folder of scripts, not a package)."""

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def load_benchmark():
    """``load_benchmark(name)`` -> the module ``benchmarks/<name>.py``."""

    def load(name):
        spec = importlib.util.spec_from_file_location(f"benchmark_{name}",
                                                      BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
