"""The objectives sit below training: importing them must not import inference.training."""

import subprocess
import sys


def test_objectives_do_not_import_training():
    code = ("import sys, inference.objectives, inference.objectives.pyro_compat; "
            "print(sorted(m for m in sys.modules if m.startswith('inference.training')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
