"""`coprod compare --posterior DIR`: strategies under draws from a calibration's posterior, with the
probability each is best and the expected regret, recomputed here from the runs; a posterior of
another scenario is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.statistics import best_and_regret
from coprod.core.storage import write_json, write_parquet
from coprod.experiments.cli import main
from coprod.experiments.compare import POSTERIOR_UNIT
from coprod.experiments.runner import run_seed
from coprod.model.outcomes import DIMENSIONS

SMALL = ["--citizens", "150", "--steps", "12", "--replications", "2", "--engine", "agents", "--quiet"]
PARTICLES = [0.06, 0.12, 0.25]


def write_scenario(path: Path, budget: float) -> Path:
    path.write_text(f'description = "budget {budget}"\nparadigm = "npg"\n[parameters]\n'
                    f'budget_per_citizen = {budget}\n[uncertain]\ntrust_loss_rate = [0.05, 0.3]\n', encoding="utf-8")
    return path


def write_posterior(folder: Path, scenario: str, joint: list[str] | None = None) -> Path:
    """A calibration folder as `coprod calibrate` leaves it: an older generation, then the posterior
    (``joint``: the scenarios of `calibrate --scenarios`)."""
    folder.mkdir()
    manifest = {"scenario": scenario, "priors": {"trust_loss_rate": [0.05, 0.3]},
                **({"scenarios": joint} if joint else {})}
    write_json(folder / "manifest.json", manifest)  # with its checksum, as coprod writes every result
    write_parquet(folder / "posterior.parquet",
                  pd.DataFrame({"generation": [0, 0, 1, 1, 1], "particle": [0, 1, 0, 1, 2],
                                "weight": [0.5, 0.5, 0.2, 0.3, 0.5], "distance": 0.1,
                                "trust_loss_rate": [0.29, 0.28, *PARTICLES]}))
    return folder


@pytest.fixture(scope="session")  # not module: the slowest tests run first (conftest.py), apart from the rest
def under_posterior(tmp_path_factory):
    base = tmp_path_factory.mktemp("posterior")
    rich, poor = write_scenario(base / "rich.toml", 2.5), write_scenario(base / "poor.toml", 0.6)
    posterior = write_posterior(base / "calibration", "rich")
    out = base / "report"
    assert main(["compare", str(rich), str(poor), *SMALL, "--horizon", "output", "--posterior", str(posterior),
                 "--samples", "5", "--out", str(out)]) == 0
    return out


def test_draws_are_posterior_particles_with_one_seed_per_draw(under_posterior):
    runs = pd.read_parquet(under_posterior / "posterior_runs.parquet")
    assert sorted(runs["strategy"].unique()) == ["poor", "rich"] and len(runs) == 10
    assert set(runs["trust_loss_rate"]) <= set(PARTICLES)  # the last generation only
    by_draw = runs.groupby("draw")
    assert by_draw["seed"].nunique().eq(1).all() and by_draw["trust_loss_rate"].nunique().eq(1).all()
    assert list(by_draw["seed"].first()) == [run_seed(0, POSTERIOR_UNIT, k) for k in range(5)]
    manifest = json.loads((under_posterior / "manifest.json").read_text())
    assert manifest["settings"]["posterior"]["scenario"] == "rich"
    assert manifest["settings"]["posterior"]["applied"] == {"rich": ["trust_loss_rate"], "poor": ["trust_loss_rate"]}


def test_probability_best_and_expected_regret_recomputed_from_the_runs(under_posterior):
    runs = pd.read_parquet(under_posterior / "posterior_runs.parquet")
    table = pd.read_csv(under_posterior / "posterior_best.csv")
    for dim in DIMENSIONS:
        values = runs.pivot(index="draw", columns="strategy", values=f"{dim}_output")[["rich", "poor"]].to_numpy()
        best = values.max(axis=1, keepdims=True)
        at_top = values == best
        expected_p = (at_top / at_top.sum(axis=1, keepdims=True)).mean(axis=0)
        sub = table[table.dimension == dim].set_index("strategy").loc[["rich", "poor"]]
        np.testing.assert_allclose(sub["p_best"], expected_p, atol=1e-12)
        np.testing.assert_allclose(sub["expected_regret"], (best - values).mean(axis=0), atol=1e-12)
        assert sub["p_best"].sum() == pytest.approx(1.0)
    wellbeing = table[table.dimension == "wellbeing"].set_index("strategy")
    # Known answer: four times the budget meets more need under every draw.
    assert wellbeing.loc["rich", "p_best"] == 1.0 and wellbeing.loc["rich", "expected_regret"] == 0.0
    assert wellbeing.loc["poor", "expected_regret"] > 0.0
    report = (under_posterior / "report.md").read_text()
    assert "## Under the calibrated posterior (output horizon)" in report and "P(best)" in report
    assert "Under the calibrated posterior**: most likely best" in report


def test_best_and_regret_splits_ties():
    p_best, se, regret = best_and_regret(np.array([[1.0, 1.0, 0.0], [2.0, 0.0, 1.0]]))
    np.testing.assert_allclose(p_best, [0.75, 0.25, 0.0])
    np.testing.assert_allclose(regret, [0.0, 1.0, 1.0])
    assert se[2] == 0.0 and se[0] > 0


def test_a_posterior_of_another_scenario_is_refused(tmp_path, capsys):
    posterior = write_posterior(tmp_path / "calibration", "default")
    out = tmp_path / "out"
    assert main(["compare", "npm", "npg_collective", "--posterior", str(posterior), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a calibration of scenario 'default'" in err[0] and "npg_collective, npm" in err[0], err
    assert not out.exists()
    assert main(["compare", "npm", "npg_collective", "--posterior", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "no such folder" in capsys.readouterr().err and not out.exists()


def test_a_joint_calibration_without_a_compared_scenario_is_refused(tmp_path, capsys):
    posterior = write_posterior(tmp_path / "joint", "default", joint=["default", "hybrid"])
    out = tmp_path / "out"
    assert main(["compare", "npm", "npg_collective", "--posterior", str(posterior), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a calibration of scenario 'default', 'hybrid'" in err[0], err
    assert not out.exists()
