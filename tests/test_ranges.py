"""One range per fact: a range shared by scenarios and claims is declared once, with the parameter,
and referred to by name ("declared"); every range a scenario or claim writes out must lie inside
it, checked when the file is loaded (one line, exit 2, nothing run)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.experiments.claims import load_claims
from coprod.experiments.cli import main
from coprod.experiments.scenarios import bundled_scenarios, load_scenario

ROOT = Path(__file__).resolve().parents[1]


def scenario_file(tmp_path: Path, uncertain: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(f'paradigm = "npg"\n[uncertain]\n{uncertain}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("name, scenario, claim", [
    ("trust_build_rate", "npg_individual", "trust_precondition"),
    ("base_participation", "traditional", "planning_beats_delivery"),
    ("facilitation_skill", "hybrid", "collective_broader"),
    ("homophily", "npg_collective", None),
])
def test_declared_names_the_parameters_range_in_scenarios_and_claims(name, scenario, claim):
    declared = PARAMETERS[name].uncertain
    assert declared is not None and PARAMETERS[name].low <= declared[0] < declared[1] <= PARAMETERS[name].high
    assert load_scenario("default").uncertain[name] == declared
    assert load_scenario(scenario).uncertain[name] == declared
    if claim:
        assert next(c for c in load_claims() if c.name == claim).uncertain[name] == declared


def test_the_first_declared_range_is_where_it_was_written_four_ways():
    declared = PARAMETERS["trust_build_rate"].uncertain
    assert declared is not None and PARAMETERS["trust_build_rate"].low <= declared[0] < declared[1]
    assert load_scenario("default").uncertain["trust_build_rate"] == declared
    assert load_scenario("npg_individual").uncertain["trust_build_rate"] == declared
    trust = next(c for c in load_claims() if c.name == "trust_precondition")
    assert trust.uncertain["trust_build_rate"] == declared


def test_every_bundled_range_lies_inside_the_declared_one():
    ranges = [load_scenario(name).uncertain for name in bundled_scenarios()] + [c.uncertain for c in load_claims()]
    for table in ranges:
        for name, (low, high) in table.items():
            bound = PARAMETERS[name].uncertain or (PARAMETERS[name].low, PARAMETERS[name].high)
            assert bound[0] <= low < high <= bound[1], (name, low, high)


def test_the_shared_range_is_written_nowhere_else():
    """The numbers of a declared range appear only in core/parameters.py (the four spellings of
    trust_build_rate's range that scenarios, claims, new-scenario and a docstring once held)."""
    for name, p in PARAMETERS.items():
        if p.uncertain is None:
            continue
        spelled = f"{name} = [{p.uncertain[0]}, {p.uncertain[1]}]"
        for folder in ("scenarios", "experiments", "docs"):
            for path in (ROOT / folder).rglob("*"):
                if path.is_file() and path.suffix in (".toml", ".py", ".md"):
                    assert spelled not in path.read_text(encoding="utf-8"), path


def test_a_range_outside_the_declared_one_is_one_line_naming_file_and_key(tmp_path, capsys):
    path = scenario_file(tmp_path, "trust_build_rate = [0.005, 0.1]")
    with pytest.raises(InputError, match=r"uncertain\.trust_build_rate.*allowed: inside \[0\.005, 0\.06\]"):
        load_scenario(str(path))
    out = tmp_path / "sweep"
    assert main(["sweep", str(path), "--method", "latin", "--samples", "4", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "trust_build_rate" in err[0] and "declared" in err[0]
    assert not out.exists()


def test_declared_for_a_parameter_without_a_declared_range_is_refused(tmp_path):
    assert PARAMETERS["weight_need"].uncertain is None
    with pytest.raises(InputError, match="weight_need declares no uncertain range"):
        load_scenario(str(scenario_file(tmp_path, 'weight_need = "declared"')))


def test_new_scenario_writes_the_declared_range_by_name(tmp_path):
    path = tmp_path / "copy.toml"
    assert main(["new-scenario", str(path), "--from", "default", "--quiet"]) == 0
    assert 'trust_build_rate = "declared"' in path.read_text(encoding="utf-8")
    assert load_scenario(str(path)).uncertain == load_scenario("default").uncertain


def test_sweep_and_calibrate_ranges_lie_inside_the_declared_one_too(tmp_path, capsys):
    """A calibration's posterior intervals become a scenario's [uncertain] table (calibrated.toml), so
    its priors must lie inside the declared range as that table's must; a sweep's --uncertain too."""
    out = tmp_path / "never"
    assert main(["calibrate", "--parameters", "trust_build_rate=0.005:0.1", "--out", str(out), "--quiet"]) == 2
    assert main(["sweep", "default", "--method", "latin", "--samples", "4", "--uncertain",
                 "trust_build_rate=0.005:0.1", "--out", str(out), "--quiet"]) == 2
    for line in capsys.readouterr().err.strip().splitlines():
        assert "trust_build_rate" in line and "[0.005, 0.06]" in line
    assert not out.exists()


def written_ranges() -> list[tuple[str, str, tuple[float, float]]]:
    """Every range a bundled scenario or the claims file writes out as two numbers: (where, parameter, range)."""
    found = []
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        for name, value in tomllib.loads(path.read_text(encoding="utf-8")).get("uncertain", {}).items():
            if isinstance(value, list):
                found.append((path.name, name, tuple(value)))
    claims = tomllib.loads((ROOT / "experiments" / "claims.toml").read_text(encoding="utf-8"))
    for claim in claims["claim"]:
        for name, value in claim.get("uncertain", {}).items():
            if isinstance(value, list):
                found.append((f"claims.toml:{claim['name']}", name, tuple(value)))
    return found


def test_a_range_written_twice_or_equal_to_the_declared_one_is_named_instead():
    """Shared ranges are named once: no range is written out where "declared" means the same, and no
    parameter's range is written out the same in two places (declare it with the parameter instead)."""
    found = written_ranges()
    assert found, "the bundled files write out some ranges of their own"
    named = {name: (p.uncertain, p.typical) for name, p in PARAMETERS.items()}
    restated = [(where, name) for where, name, r in found if r in named[name]]
    assert restated == []
    seen: dict[tuple[str, tuple[float, float]], str] = {}
    repeated = []
    for where, name, r in found:
        if (name, r) in seen:
            repeated.append((name, r, seen[name, r], where))
        seen.setdefault((name, r), where)
    assert repeated == []


def test_every_typical_band_lies_inside_its_declared_range_and_is_named_where_used():
    banded = {name: p for name, p in PARAMETERS.items() if p.typical is not None}
    assert banded
    for name, p in banded.items():
        assert p.uncertain is not None and p.uncertain[0] <= p.typical[0] < p.typical[1] <= p.uncertain[1], name
    named = {name for s in bundled_scenarios() for name, r in load_scenario(s).uncertain.items()
             if name in banded and r == banded[name].typical}
    assert named == set(banded)  # each band is used by a scenario (else it is not shared)


def test_typical_without_a_band_is_one_line(tmp_path, capsys):
    path = scenario_file(tmp_path, 'homophily = "typical"')
    with pytest.raises(InputError, match="homophily declares no typical band"):
        load_scenario(str(path))
