"""The claims report's "where it holds": a synthetic claim with a known condition (no simulation),
so the PRIM box, its quasi-p-values, stability and the CART comparison can be checked in the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.experiments import cli
from coprod.experiments.claims import load_claims, sample_points, write_battery

CLAIM = next(c for c in load_claims() if c.name == "collective_broader")
SEED = 4


def known_condition_runs(samples: int) -> pd.DataFrame:
    """Runs of CLAIM whose effect is positive where critical_mass < 0.138 and collective_spillover
    > 0.62 (40% and 60% along their ranges), negative elsewhere, with 10% of points flipped."""
    points = sample_points(CLAIM, samples, SEED)
    rng = np.random.default_rng(99)
    inside = (points["critical_mass"] < 0.138) & (points["collective_spillover"] > 0.62)
    holds = inside.to_numpy() ^ (rng.random(samples) < 0.1)
    effect = np.where(holds, 1.0, -1.0) * (0.5 + rng.random(samples))
    return pd.DataFrame({"claim": CLAIM.name, "kind": "sample", "point": range(samples), "replication": 0,
                         "seed": 0, "parameters": "", "treatment": effect, "control": 0.0, "effect": effect})


def manifest(samples: int, **discovery) -> dict:
    return {"samples": samples, "replications": 1, "citizens": 150, "steps": 12, "seed": SEED, "engine": "agents",
            "method": "latin", "versions": {"coprod": "test", "mesa": "-", "numpy": np.__version__},
            **({"scenario_discovery": discovery} if discovery else {})}


@pytest.fixture(scope="session")  # not module: the slowest tests run first (conftest.py), apart from the rest
def large(tmp_path_factory):
    out = tmp_path_factory.mktemp("boxes") / "large"
    summary = write_battery(out, [CLAIM], known_condition_runs(1000), manifest(1000))
    return out, summary.iloc[0]


def test_report_quotes_the_known_box_with_its_checks(large):
    out, row = large
    assert row.box_status == "stable" and row.box_stability >= 0.7
    assert row.holds_when == row.box
    conditions = row.box.split(" and ")
    assert sorted(c.split(" ")[:2] for c in conditions) == [["collective_spillover", ">"], ["critical_mass", "<"]]
    assert row.box_quasi_p.count("(p ") == 2
    assert "critical_mass" in row.cart_box and row.methods_agree == "agree"
    report = (out / "report.md").read_text()
    assert f"*Where it holds (PRIM):* {row.box};" in report
    assert "Quasi-p-values: " in report and "of resampled halves (per parameter: " in report
    assert "Friedman & Fisher 1999" in report and "Kwakkel & Jaxa-Rozen 2016" in report
    assert "CART's best leaf: " in report and "the two methods agree" in report
    trajectory = pd.read_csv(out / "prim_trajectory.csv")
    assert trajectory["step"].iloc[0] == 0 and trajectory["coverage"].iloc[0] == 1.0
    assert int(row.box_step) in set(trajectory["step"])


def test_same_seed_gives_a_bit_identical_report(large, tmp_path):
    out, _ = large
    again = tmp_path / "again"
    write_battery(again, [CLAIM], known_condition_runs(1000), manifest(1000))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), pd.read_parquet(again / "summary.parquet"))
    assert (out / "report.md").read_bytes() == (again / "report.md").read_bytes()


def test_at_the_default_size_no_box_is_quoted(tmp_path):
    row = write_battery(tmp_path / "small", [CLAIM], known_condition_runs(48), manifest(48)).iloc[0]
    assert row.box_status != "stable"
    assert row.holds_when in ("no stable condition found", "no condition found")
    report = (tmp_path / "small" / "report.md").read_text()
    assert "| no stable condition found |" in report or "| no condition found |" in report
    if row.box_status == "unstable":  # a box of a dozen points: no number is given for the size it needs
        assert "Indicative only: " in report and row.points_needed_status == "not estimable"
        assert "How many points a stable answer needs cannot be estimated from this sample" in report


def test_an_unstable_box_is_indicative_with_the_size_it_needs(tmp_path):
    """At 300 points PRIM finds the right parameters but resampled halves do not reproduce them:
    the table says so, and the paragraph gives the box as indicative with a larger size to run."""
    row = write_battery(tmp_path / "mid", [CLAIM], known_condition_runs(300), manifest(300)).iloc[0]
    assert row.box_status == "unstable" and row.box_stability < 0.7
    assert row.holds_when == "no stable condition found" and "critical_mass <" in row.box
    assert 300 < row.points_needed <= 3200 and row.points_needed_status == "at least"
    report = (tmp_path / "mid" / "report.md").read_text()
    assert "| no stable condition found |" in report
    assert (f"**no stable condition found**. Indicative only: {row.box};" in report
            and f"a stable answer needs at least {row.points_needed} points (`--samples {row.points_needed}` or "
                "more): a floor" in report)


def test_a_hand_picked_trajectory_step_is_used(large, tmp_path):
    _, by_rule = large
    step = int(by_rule.box_step) - 3  # a bigger, less dense box than the rule's
    row = write_battery(tmp_path / "step", [CLAIM], known_condition_runs(1000),
                        manifest(1000, steps={CLAIM.name: step})).iloc[0]
    assert row.box_step == step and row.box_rule == f"trajectory step {step}"
    assert row.box_coverage > by_rule.box_coverage and row.box_density < by_rule.box_density
    assert f"collective_broader: trajectory step {step}" in (tmp_path / "step" / "report.md").read_text()


@pytest.mark.parametrize("option, fragment", [
    (["--box-density", "1.5"], "--box-density: got 1.5; allowed: a share in (0, 1]"),
    (["--box-coverage", "2"], "--box-coverage: got 2.0; allowed: a share in [0, 1]"),
    (["--box-step", "no_such_claim=3"], "--box-step: got 'no_such_claim=3'; allowed: CLAIM=STEP"),
    (["--box-step", "collective_broader=last"], "STEP an integer >= 0"),
])
def test_bad_box_options_are_one_line_and_write_nothing(tmp_path, capsys, option, fragment):
    out = tmp_path / "out"
    assert cli.main(["claims", "--claim", "collective_broader", *option, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert list(tmp_path.iterdir()) == []
