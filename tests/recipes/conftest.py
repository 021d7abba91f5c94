"""Fixtures for the command-line tests: run ``main`` in-process and capture what it prints."""

import json

import pytest
import torch

from inference.cli.main import main


@pytest.fixture(autouse=True)
def restore_threads():
    # --threads sets torch's global thread count; other tests must not inherit it.
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def cli(capsys):
    """``cli(*argv) -> (exit status, stdout, stderr)``."""

    def run(*argv):
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def last_json_line():
    def parse(text):
        return json.loads(text.strip().splitlines()[-1])

    return parse
