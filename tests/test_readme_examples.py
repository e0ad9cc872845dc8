"""Every `coprod ...` example in the README runs, at a small size, in the README's order: the
examples are read from the README itself, so the text and the program cannot drift apart. Only the
sizes change (steps, citizens, samples, replications, one worker); an example needing a cluster
(`--scheduler`) or a server (`dashboard`) is skipped, and the README's sample error message must be
the one the program prints."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from coprod.experiments.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
PATTERNS_MIN_STEPS = "40"  # patterns and calibrate need a burn-in and a window (patterns.MIN_BURN_IN + WINDOW)

# Per command: options set (or replaced) to make the example small.
SMALL = {
    "run": {"--steps": "2", "--citizens": "60"},
    "sweep": {"--steps": "2", "--citizens": "60", "--workers": "1", "--quiet": None},
    "claims": {"--samples": "2", "--replications": "1", "--citizens": "60", "--steps": "2", "--workers": "1",
               "--quiet": None},
    "compare": {"--replications": "2", "--steps": "2", "--citizens": "60", "--workers": "1", "--quiet": None},
    "patterns": {"--replications": "2", "--citizens": "60", "--steps": PATTERNS_MIN_STEPS, "--workers": "1"},
    "calibrate": {"--population": "4", "--generations": "1", "--replications": "2", "--citizens": "60",
                  "--steps": PATTERNS_MIN_STEPS, "--predictive": "1", "--workers": "1", "--quiet": None},
}
SWEEP_SAMPLES = {"sobol": "2", "morris": "2", "fast": "65", "latin": "4"}
ALIASES = {"-N": "--samples"}


def examples() -> list[list[str]]:
    """The README's example commands in order, as argument lists (comments dropped)."""
    found, fenced = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        # in a fenced block, or in an indented one (four spaces), never in prose
        match = re.match(r"^coprod (.*)$", line) if fenced else re.match(r"^    coprod (.*)$", line)
        if match:
            found.append(shlex.split(match.group(1).split(" #")[0]))
    return found


def set_option(argv: list[str], option: str, value: str | None) -> list[str]:
    argv = [ALIASES.get(word, word) for word in argv]
    if option in argv:
        if value is not None:
            argv[argv.index(option) + 1] = value
        return argv
    return argv + [option] + ([value] if value is not None else [])


def small(argv: list[str]) -> list[str]:
    command = argv[0]
    if command == "run" and "--from" in argv:
        return argv  # repeats the recorded (already small) run exactly
    for option, value in SMALL.get(command, {}).items():
        argv = set_option(argv, option, value)
    if command == "sweep":
        argv = set_option(argv, "--samples", SWEEP_SAMPLES[argv[argv.index("--method") + 1]])
    if command == "compare" and ("--robust" in argv or "--posterior" in argv):
        argv = set_option(argv, "--samples", "2")
    if command == "patterns" and "--prior" in argv:
        argv = set_option(argv, "--prior", "4")
    if command == "patterns" and "--posterior" in argv:
        argv = set_option(argv, "--draws", "2")
    return argv


def test_the_readme_has_examples_of_every_long_command():
    commands = {argv[0] for argv in examples()}
    assert {"run", "sweep", "analyze", "claims", "compare", "patterns", "calibrate", "new-scenario"} <= commands


def test_the_readme_error_example_is_what_coprod_prints(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    lines = README.read_text(encoding="utf-8").splitlines()
    at = next(k for k, line in enumerate(lines) if line.startswith("$ coprod "))
    assert main(shlex.split(lines[at][len("$ coprod "):])) == 2
    assert capsys.readouterr().err.strip() == lines[at + 1].strip()
    assert list(tmp_path.iterdir()) == []


RUNNABLE = [argv for argv in examples() if argv[0] != "dashboard" and "--scheduler" not in argv]


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> Path:
    """The reader's working folder, shared by the examples in the README's order (a later one reads
    what an earlier one wrote), with the files the README asks the reader to make."""
    import coprod.experiments.patterns as patterns

    folder = tmp_path_factory.mktemp("reader")
    assert main(["new-scenario", str(folder / "my_scenario.toml"), "--from", "npm", "--quiet"]) == 0
    shutil.copy(patterns.PATTERNS_FILE, folder / "my_patterns.toml")
    return folder


def test_most_readme_examples_run_here():
    assert len(RUNNABLE) >= 20


@pytest.mark.timeout(1800)  # every example in one test: 2.5 min on a quiet machine, far more on a busy one
def test_every_readme_example_runs_at_a_small_size(reader, monkeypatch, capsys):
    """Every example, in the README's order, in one test: a later one reads what an earlier one
    wrote, which a split over xdist workers would break."""
    monkeypatch.chdir(reader)
    for argv in RUNNABLE:
        argv = small(argv)
        if "--out" not in argv:
            wait_for_a_fresh_stamp(reader / "results")
        code = main(argv)
        assert code == 0, (argv, capsys.readouterr().err[-2000:])
        capsys.readouterr()


def wait_for_a_fresh_stamp(results: Path) -> None:
    """Default folders are stamped to the second they start in: an example may not start in a second
    a folder is already stamped with (the one before, if it began and ended in that second), or it
    would find the folder taken. Otherwise it need not wait (most follow a different command)."""
    import time

    while results.is_dir() and any(time.strftime("%Y%m%dT%H%M%S", time.gmtime()) in p.name
                                   for p in results.iterdir()):
        time.sleep(1.0 - time.time() % 1.0 + 0.01)
