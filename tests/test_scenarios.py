"""Scenario files: every bundled one loads and runs; every kind of bad input is one clear line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coprod.core.errors import InputError
from coprod.experiments.scenarios import bundled_scenarios, load_scenario, parse_set
from coprod.model.model import CoProductionModel

REQUIRED = {"default", "traditional", "npm", "npg_individual", "npg_collective", "hybrid", "savings_cut",
            "takeover", "contracting"}


def test_required_scenarios_are_bundled():
    assert REQUIRED <= set(bundled_scenarios())


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_bundled_scenario_loads_and_runs(name):
    scenario = load_scenario(name)
    assert scenario.description
    assert scenario.parameters["paradigm"] == scenario.paradigm
    assert scenario.uncertain, "each bundled scenario names what is uncertain for sweeps"
    model = CoProductionModel(seed=1, engine="agents", **{**scenario.parameters, "n_citizens": 120})
    for _ in range(3):
        model.step()
    assert model.p["paradigm"] == scenario.paradigm


BAD_FILES = {
    "unknown_top": ('paradigm = "npm"\ncolour = "red"\n', "colour"),
    "unknown_param": ('[parameters]\nhomophilly = 0.5\n', "homophilly"),
    "wrong_type": ('[parameters]\nhomophily = "high"\n', "homophily"),
    "not_whole": ('[parameters]\nn_groups = 2.5\n', "n_groups"),
    "bool_for_number": ('[parameters]\noutreach = true\n', "outreach"),
    "out_of_range": ('[parameters]\nhomophily = 1.7\n', "homophily"),
    "bad_choice": ('paradigm = "anarchy"\n', "paradigm"),
    "malformed": ('paradigm = "npm\n[parameters\n', "malformed TOML"),
    "uncertain_shape": ('[uncertain]\nhomophily = 0.5\n', "uncertain.homophily"),
    "uncertain_order": ('[uncertain]\nhomophily = [0.8, 0.2]\n', "uncertain.homophily"),
    "uncertain_range": ('[uncertain]\nhomophily = [0.2, 1.5]\n', "uncertain.homophily"),
    "uncertain_choice": ('[uncertain]\nparadigm = [0, 1]\n', "uncertain.paradigm"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_scenario_file_is_one_line_naming_file_and_key(case, tmp_path):
    text, key = BAD_FILES[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_scenario(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert key in message


def test_missing_scenario_lists_what_exists():
    with pytest.raises(InputError, match="no such scenario 'nowhere'.*npm"):
        load_scenario("nowhere")


@pytest.mark.parametrize("item, fragment", [
    ("homophily", "key=value"),
    ("nosuch=1", "nosuch"),
    ("homophily=lots", "homophily"),
    ("cp_level=tribal", "cp_level"),
    ("phase_design=maybe", "phase_design"),
])
def test_bad_set_values(item, fragment):
    with pytest.raises(InputError, match=fragment):
        parse_set([item])


def test_set_values_are_typed():
    values = parse_set(["n_groups=12", "homophily=0.3", "phase_design=false", "cp_level=group"])
    assert values == {"n_groups": 12, "homophily": 0.3, "phase_design": False, "cp_level": "group"}


@pytest.mark.parametrize("case", ["out_of_range", "malformed", "unknown_param"])
def test_command_line_exit_code_2_no_traceback_nothing_written(case, tmp_path):
    text, key = BAD_FILES[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "coprod.experiments.cli", "run", str(path), "--out", str(out),
                           "--steps", "2"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coprod: error:")
    assert "Traceback" not in proc.stderr
    assert str(path) in lines[0] and key in lines[0]
    assert not out.exists()
    assert not (tmp_path / "results").exists()
