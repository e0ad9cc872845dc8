"""ruff, configured in pyproject.toml ([tool.ruff]: 120 characters, the rule set and why), passes over
the package folders and the scripts beside them, so the README's one test command enforces it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("core", "scenarios", "agents", "model", "analysis", "reports", "experiments", "classroom",
           "tests", "benchmarks", "docs")


def ruff() -> list[str]:
    """ruff from this environment (the test extras install it), else one on the PATH."""
    beside = Path(sys.executable).with_name("ruff")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed; pip install -e '.[test]' installs it")
    return [found]


def test_ruff_finds_nothing():
    done = subprocess.run(ruff() + ["check", "--no-cache", "--output-format", "concise", *CHECKED], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr


def test_the_new_rooms_are_clean_already():
    """What this issue added is written to the rules now: the session, the designs, the tests beside them."""
    files = ["experiments/session.py", "analysis/designs", "analysis/sensitivity.py", "reports/sensitivity_plots.py",
             "tests/test_designs.py", "tests/test_ranges.py", "tests/test_lint.py", "tests/test_session.py"]
    done = subprocess.run(ruff() + ["check", "--no-cache", "--output-format", "concise", *files], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
