"""A newcomer's first hour: every option says what it does (and its default), `scenarios` and
`params` describe themselves, the compile says honestly how long it takes and keeps saying it is
going, and analyze warns when its intervals are too wide to rank anything."""

from __future__ import annotations

import argparse
import math

import pytest
from known_answers import ishigami

from coprod.experiments.cli import COMMANDS, build_parser, main
from coprod.experiments.sweep import run_sweep

# Options whose meaning is their name (argparse's own --help).
SELF_EXPLAINING = {"-h", "--help"}


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", [c.name for c in COMMANDS if c.name != "dashboard"])
def test_every_option_has_help_and_every_command_a_description(name):
    parser = subcommands()[name]
    assert parser.description, f"coprod {name} has no description"
    silent = [a.option_strings[0] if a.option_strings else a.dest for a in parser._actions
              if not a.help and not set(a.option_strings) & SELF_EXPLAINING]
    assert silent == [], f"coprod {name}: options without help text"


@pytest.mark.parametrize("name, option", [("sweep", "--replications"), ("claims", "--samples"),
                                          ("claims", "--replications"), ("claims", "--steps"),
                                          ("calibrate", "--population"), ("run", "--steps")])
def test_defaults_are_shown(name, option):
    parser = subcommands()[name]
    action = next(a for a in parser._actions if option in a.option_strings)
    assert "default" in action.help, (name, option, action.help)


def test_params_has_a_header(capsys):
    assert main(["params"]) == 0
    first = capsys.readouterr().out.splitlines()[0].split()
    assert first[:3] == ["name", "default", "allowed"]


def test_the_compile_message_gives_the_recorded_time_and_a_busy_machine_caveat():
    from coprod.model import parallel_compile, warmup

    record = parallel_compile.load_record()
    names = list(record["kernels"])
    text = warmup.expected_compile_text([names[: len(names) // 2], names[len(names) // 2:]], record)
    largest = max(sum(record["kernels"][n]["seconds"] for n in share)
                  for share in (names[: len(names) // 2], names[len(names) // 2:]))
    assert f"about {largest + warmup.WARMUP_ALLOWANCE:.0f} s on an idle machine" in text and "busy" in text


def test_a_long_compile_keeps_saying_it_is_going(monkeypatch):
    import time

    from coprod.model import warmup

    monkeypatch.setattr(warmup, "TICK_SECONDS", 0.05)
    said = []
    ticker = warmup._Ticker(said.append, time.perf_counter())
    time.sleep(0.3)
    ticker.stop()
    assert len(said) >= 2 and all("still compiling" in line for line in said)


def test_analyze_warns_about_wide_latin_intervals(tmp_path, capsys):
    """Latin's Spearman intervals count among the intervals the ±0.25 warning looks at."""
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    run_sweep(tmp_path / "sweep", problem=problem, method="latin", samples=24, outcomes=["y"], evaluate=ishigami,
              workers=1, progress=False, info={"evaluate": "ishigami"})
    assert main(["analyze", str(tmp_path / "sweep"), "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "intervals" in err, err


def test_a_one_generation_calibration_says_its_posterior_is_the_prior(tmp_path, capsys):
    argv = ["calibrate", "--pattern", "annual_volunteering", "--parameters", "base_participation=-7:-5",
            "--population", "4", "--generations", "1", "--replications", "2", "--citizens", "60", "--steps", "30",
            "--predictive", "1", "--workers", "1", "--out", str(tmp_path / "c")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "warning: with --generations 1 the posterior is the prior" in err
