"""`coprod calibrate`: ABC-SMC recovers known parameters from synthetic patterns; the posterior is
the same with 1 and 2 workers and after a kill and --resume; bad input is one line, exit 2, nothing
written."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.experiments.cli import main
from coprod.experiments.patterns import load_patterns, measure
from coprod.experiments.scenarios import load_scenario
from processes import sigkill_when

SMALL = ["--pattern", "annual_volunteering", "--pattern", "civic_core", "--pattern", "individual_collective_gulf",
         "--parameters", "base_participation=-7:-5", "trust_build_rate=0.005:0.06",
         "--population", "8", "--replications", "2", "--citizens", "150", "--steps", "24", "--predictive", "3",
         "--seed", "3", "--quiet"]
TABLES = ("posterior", "generations", "parameters", "scorecard", "predictive")


def calibrate(*argv: str) -> int:
    return main(["calibrate", *argv])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("calibration") / "one-worker"
    assert calibrate(*SMALL, "--generations", "3", "--workers", "1", "--out", str(out)) == 0
    return out


def same_tables(a: Path, b: Path) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(a / f"{table}.parquet"), pd.read_parquet(b / f"{table}.parquet"))
    assert (a / "calibrated.toml").read_text().split("\n", 1)[1] == (b / "calibrated.toml").read_text().split("\n", 1)[1]


def test_folder_is_complete_and_calibrated_scenario_loads(reference):
    names = {p.name for p in reference.iterdir()}
    assert {"posterior.parquet", "generations.parquet", "scorecard.parquet", "marginals.png", "pairs.png",
            "calibrated.toml", "manifest.json", "report.md", "report.html", "abc.db"} <= names
    assert not reference.with_name("one-worker.partial").exists()
    posterior = pd.read_parquet(reference / "posterior.parquet")
    assert sorted(posterior["generation"].unique()) == [0, 1, 2]
    last = posterior[posterior["generation"] == 2]
    assert len(last) == 8 and np.isclose(last["weight"].sum(), 1.0)
    generations = pd.read_parquet(reference / "generations.parquet")
    assert np.isinf(generations["tolerance"].iloc[0]) and (np.diff(generations["tolerance"].to_numpy()[1:]) <= 0).all()
    scenario = load_scenario(str(reference / "calibrated.toml"))
    parameters = pd.read_parquet(reference / "parameters.parquet").set_index("parameter")
    for name in ("base_participation", "trust_build_rate"):
        assert scenario.parameters[name] == pytest.approx(parameters.loc[name, "median"])
        if name in scenario.uncertain:
            assert scenario.uncertain[name] == pytest.approx((parameters.loc[name, "low_90"], parameters.loc[name, "high_90"]))
    html = (reference / "report.html").read_text()
    assert "data:image/png;base64," in html and "<img" in html


def test_same_posterior_with_two_workers(tmp_path, reference):
    out = tmp_path / "two-workers"
    assert calibrate(*SMALL, "--generations", "3", "--workers", "2", "--out", str(out)) == 0
    same_tables(reference, out)


def test_same_posterior_on_a_dask_cluster(tmp_path, reference):
    pytest.importorskip("distributed", reason="dask.distributed is not importable; the --scheduler path needs it")
    from test_sweep_dask import cluster as start_cluster

    clusters = start_cluster.__wrapped__(_Folders(tmp_path))  # the sweep tests' scheduler and two workers
    address = next(clusters)["address"]
    try:
        out = tmp_path / "cluster"
        assert calibrate(*SMALL, "--generations", "3", "--scheduler", address, "--out", str(out)) == 0
    finally:
        clusters.close()
    same_tables(reference, out)


class _Folders:
    """What ``tmp_path_factory.mktemp`` gives the cluster fixture: a fresh folder."""

    def __init__(self, root: Path):
        self.root = root

    def mktemp(self, name: str) -> Path:
        folder = self.root / name
        folder.mkdir()
        return folder


def finished_generations(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as connection:
            return connection.execute("select count(*) from populations where t >= 0").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_calibration_resumes_to_the_same_posterior(tmp_path, reference):
    out = tmp_path / "killed"
    db = tmp_path / "killed.partial" / "abc.db"
    command = [sys.executable, "-m", "coprod.experiments.cli", "calibrate", *SMALL, "--generations", "3",
               "--workers", "1", "--out", str(out)]
    sigkill_when(command, lambda: finished_generations(db) >= 1, 300, "calibration")
    assert not out.exists() and 1 <= finished_generations(db) < 3
    assert calibrate(*SMALL, "--generations", "3", "--workers", "1", "--out", str(out)) == 2  # would lose them
    assert calibrate(*SMALL, "--generations", "3", "--workers", "1", "--out", str(out), "--resume") == 0
    same_tables(reference, out)
    assert not (tmp_path / "killed.partial").exists()


def test_resume_with_other_settings_is_refused(tmp_path, capsys):
    partial = tmp_path / "run.partial"
    partial.mkdir()
    from coprod.core.storage import write_json

    write_json(partial / "manifest.json", {"population": 99})  # with its checksum: its plan is what differs
    assert calibrate(*SMALL, "--out", str(tmp_path / "run"), "--resume") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "was started with" in err[0]


PATTERN_FILE_WITHOUT_SOURCE = """
[[pattern]]
name = "annual_volunteering"
title = "volunteering"
statistic = "annual_volunteering_share"
target = { low = 0.3, high = 0.45 }
note = "no source given"
"""


@pytest.mark.parametrize("argv, says", [
    (["--parameters", "no_such_parameter=0:1"], "no_such_parameter"),
    (["--parameters", "base_participation=-5:-5"], "lo < hi"),
    (["--parameters", "base_participation=-11:-5"], "inside"),
    (["--parameters", "paradigm=0:1"], "float or int"),
    (["--pattern", "no_such_pattern"], "no_such_pattern"),
    (["--patterns", "{missing_source}"], "'source'"),
    (["--population", "1"], "--population"),
    (["--replications", "1"], "--replications"),
    (["--steps", "5"], "--steps"),
    (["--scheduler", "not an address"], "--scheduler"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, argv, says):
    patterns = tmp_path / "patterns.toml"
    patterns.write_text(PATTERN_FILE_WITHOUT_SOURCE)
    argv = [a.replace("{missing_source}", str(patterns)) for a in argv]
    out = tmp_path / "out"
    small = ["--citizens", "150", "--steps", "24", "--population", "4", "--generations", "1", "--predictive", "1",
             "--replications", "2"]
    assert calibrate(*small, *argv, "--out", str(out)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("coprod: error:") and says in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["patterns.toml"]


TRUTH = {"base_participation": -6.0, "critical_mass": 0.2}
PRIORS = {"base_participation": (-7.0, -5.0), "critical_mass": (0.02, 0.4)}
# Synthetic observations: each statistic's mean over seeds the calibration never uses, at the truth,
# with a band of +- these around it.
HALF_WIDTHS = {"annual_volunteering": 0.05, "civic_core": 0.03, "individual_collective_gulf": 0.25}


def test_recovery_of_known_parameters(tmp_path):
    bundled = {p.name: p for p in load_patterns()}
    chosen = [bundled[name] for name in HALF_WIDTHS]
    base = {**load_scenario("default").parameters, "n_citizens": 150, **TRUTH}
    observed = measure(chosen, base, 8, 24, 10_000).groupby("pattern")["value"].mean()
    lines = []
    for pattern in chosen:
        centre = float(observed[pattern.name])
        lines += ["[[pattern]]", f'name = "{pattern.name}"', f'title = "synthetic {pattern.name}"',
                  f'statistic = "{pattern.statistic}"',
                  f"target = {{ low = {centre - HALF_WIDTHS[pattern.name]!r}, high = {centre + HALF_WIDTHS[pattern.name]!r} }}",
                  'source = "the model itself at known parameter values (tests/test_calibrate.py)"',
                  'note = "synthetic observation"', ""]
    patterns = tmp_path / "synthetic.toml"
    patterns.write_text("\n".join(lines))
    out = tmp_path / "recovered"
    assert calibrate("--patterns", str(patterns), "--parameters",
                     *(f"{n}={lo}:{hi}" for n, (lo, hi) in PRIORS.items()), "--population", "20",
                     "--generations", "3", "--replications", "3", "--citizens", "150", "--steps", "24",
                     "--predictive", "4", "--workers", "1", "--quiet", "--out", str(out)) == 0
    table = pd.read_parquet(out / "parameters.parquet").set_index("parameter")
    for name, truth in TRUTH.items():
        low, high = table.loc[name, "low_90"], table.loc[name, "high_90"]
        prior_low, prior_high = PRIORS[name]
        assert low <= truth <= high, f"{name}: 90% interval [{low}, {high}] misses the truth {truth}"
        assert (high - low) < 0.75 * (prior_high - prior_low), f"{name}: [{low}, {high}] is hardly narrower than the prior"


def test_claims_under_the_posterior_side_by_side(tmp_path, reference):
    from coprod.experiments.claims import load_claims, sample_points

    out = tmp_path / "claims"
    assert main(["claims", "--claim", "trust_precondition", "--samples", "6", "--replications", "1", "--citizens", "100",
                 "--steps", "12", "--engine", "agents", "--workers", "1", "--quiet", "--posterior", str(reference),
                 "--out", str(out)]) == 0
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(summary["claim"]) == ["trust_precondition", "trust_precondition@posterior"]
    points = pd.read_parquet(out / "points.parquet")
    prior_points = points[points["claim"] == "trust_precondition"]
    twin = points[points["claim"] == "trust_precondition@posterior"]
    # over the prior ranges: the battery's own Latin hypercube, as without --posterior
    claim = next(c for c in load_claims() if c.name == "trust_precondition")
    expected = sample_points(claim, 6, 0)
    np.testing.assert_array_equal(prior_points[list(expected.columns)].to_numpy(), expected.to_numpy())
    # under the posterior: every calibrated value is a particle of the last generation; the claim's
    # own ranges still hold for its other parameters
    posterior = pd.read_parquet(reference / "posterior.parquet")
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    for name in ("base_participation", "trust_build_rate"):
        assert set(twin[name]) <= set(last[name])
    low, high = claim.uncertain["weight_trust"]
    assert twin["weight_trust"].between(low, high).all()
    report = (out / "report.md").read_text()
    assert "| claim | over the prior ranges | under the calibrated posterior | changed |" in report
    assert main(["claims", "--claim", "trust_precondition", "--method", "sobol", "--samples", "4",
                 "--posterior", str(reference), "--out", str(tmp_path / "sobol")]) == 2
    assert main(["claims", "--claim", "trust_precondition", "--posterior", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "nowhere-out")]) == 2
    assert not (tmp_path / "sobol").exists() and not (tmp_path / "nowhere-out").exists()
