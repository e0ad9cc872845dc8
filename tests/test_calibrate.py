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
from processes import sigkill_when

from coprod.experiments.cli import main
from coprod.experiments.patterns import load_patterns, measure
from coprod.experiments.scenarios import load_scenario

SMALL = ["--pattern", "annual_volunteering", "--pattern", "civic_core", "--pattern", "individual_collective_gulf",
         "--parameters", "base_participation=-7:-5", "trust_build_rate=0.005:0.06",
         "--population", "8", "--replications", "2", "--citizens", "150", "--steps", "24", "--predictive", "3",
         "--seed", "3", "--quiet"]
TABLES = ("posterior", "generations", "parameters", "scorecard", "predictive")


def calibrate(*argv: str) -> int:
    return main(["calibrate", *argv])


@pytest.fixture(scope="session")  # not module: the slowest tests run first (conftest.py), apart from the rest
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("calibration") / "one-worker"
    assert calibrate(*SMALL, "--generations", "3", "--workers", "1", "--out", str(out)) == 0
    return out


def same_tables(a: Path, b: Path) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(a / f"{table}.parquet"), pd.read_parquet(b / f"{table}.parquet"))
    assert ((a / "calibrated.toml").read_text().split("\n", 1)[1]
            == (b / "calibrated.toml").read_text().split("\n", 1)[1])


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
            assert scenario.uncertain[name] == pytest.approx((parameters.loc[name, "low_90"],
                                                              parameters.loc[name, "high_90"]))
    html = (reference / "report.html").read_text()
    assert "data:image/png;base64," in html and "<img" in html


def test_same_posterior_with_two_workers(tmp_path, reference):
    out = tmp_path / "two-workers"
    assert calibrate(*SMALL, "--generations", "3", "--workers", "2", "--out", str(out)) == 0
    same_tables(reference, out)


def test_same_posterior_on_a_dask_cluster(tmp_path, reference, dask_cluster):
    out = tmp_path / "cluster"  # the sweep tests' scheduler and two workers (tests/conftest.py)
    assert calibrate(*SMALL, "--generations", "3", "--scheduler", dask_cluster["address"], "--out", str(out)) == 0
    same_tables(reference, out)


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
    (["--holdout", "no_such_pattern"], "--holdout: unknown pattern 'no_such_pattern'"),
    (["--pattern", "civic_core", "--holdout", "civic_core"], "at least one pattern left to fit"),
    (["--holdout", "civic_core", "civic_core"], "each pattern once"),
    (["npm", "--scenarios", "default,npm"], "not both"),
    (["--scenarios", "default,default"], "each scenario once"),
    (["--scenarios", "default,no_such_scenario"], "no such scenario"),
    (["--scenarios", "contracting,hybrid"], "share no [uncertain] parameter"),
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
PRIORS = {"base_participation": (-7.0, -5.0), "critical_mass": (0.03, 0.3)}
# How much narrower than its prior each 90% interval must be at this tiny size (150 citizens, 20
# particles): base_participation is steep in every pattern; critical_mass only moves the gulf, and its
# prior is now its declared uncertain range (0.03-0.3), so a fixed absolute width is a larger share.
NARROWER = {"base_participation": 0.75, "critical_mass": 0.85}
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
                  f"target = {{ low = {centre - HALF_WIDTHS[pattern.name]!r}, high = "
                  f"{centre + HALF_WIDTHS[pattern.name]!r} }}",
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
        assert (high - low) < NARROWER[name] * (prior_high - prior_low), (
            f"{name}: [{low}, {high}] is hardly narrower than the prior")


def test_claims_under_the_posterior_side_by_side(tmp_path, reference):
    from coprod.experiments.claims import load_claims, sample_points

    out = tmp_path / "claims"
    assert main(["claims", "--claim", "trust_precondition", "--samples", "6", "--replications", "1",
                 "--citizens", "100", "--steps", "12", "--engine", "agents", "--workers", "1", "--quiet",
                 "--posterior", str(reference), "--out", str(out)]) == 0
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


# --- held-out patterns, joint calibration, the scorecard under a posterior (issue 24, item 3) --------------

def test_shared_priors_are_the_uncertain_parameters_every_scenario_declares_over_their_overlap():
    from coprod.experiments.calibrate import shared_priors

    default, individual = load_scenario("default"), load_scenario("npg_individual")
    priors = shared_priors([default, individual])
    assert set(priors) == set(default.uncertain) & set(individual.uncertain)
    for name, (low, high) in priors.items():
        assert low == max(default.uncertain[name][0], individual.uncertain[name][0])
        assert high == min(default.uncertain[name][1], individual.uncertain[name][1])


def synthetic_patterns(path: Path, chosen: list, centres: dict[str, float], widths: dict[str, float]) -> None:
    """A patterns file whose targets are bands of +- width around the given centres."""
    lines = []
    for name, pattern in chosen:
        lines += ["[[pattern]]", f'name = "{name}"', f'title = "synthetic {name}"',
                  f'statistic = "{pattern.statistic}"',
                  f"target = {{ low = {float(centres[name] - widths[name])!r}, "
                  f"high = {float(centres[name] + widths[name])!r} }}",
                  'source = "the model itself at known parameter values (tests/test_calibrate.py)"',
                  'note = "synthetic observation"', ""]
    path.write_text("\n".join(lines))


def test_held_out_pattern_passes_out_of_sample_when_the_fit_is_right_and_a_false_one_fails(tmp_path):
    """Known answer: synthetic targets from a known point (base_participation = -6). The fit sees
    the share volunteering through associations only (steep in base_participation: a tight
    posterior); held out are annual volunteering at the truth's value (must pass out of sample) and
    at a value the truth does not give (base_participation = -5: must fail), so the check can fail.
    (Before Model 3's civil society the civic core was held out; it hardly moves with
    base_participation now, 0.97 against 0.88.)"""
    bundled = {p.name: p for p in load_patterns()}
    base = {**load_scenario("default").parameters, "n_citizens": 150}
    chosen = [bundled["volunteering_through_associations"], bundled["annual_volunteering"]]
    at_truth = measure(chosen, {**base, "base_participation": -6.0}, 8, 24, 10_000).groupby("pattern")["value"].mean()
    elsewhere = measure(chosen, {**base, "base_participation": -5.0}, 8, 24, 10_000).groupby("pattern")["value"].mean()
    fitted, held = "volunteering_through_associations", "annual_volunteering"
    centres = {"fitted": at_truth[fitted], "held_true": at_truth[held], "held_false": elsewhere[held]}
    widths = {"fitted": 0.05, "held_true": 0.06, "held_false": 0.06}
    assert abs(centres["held_true"] - centres["held_false"]) > 0.15  # the two targets do not overlap
    patterns = tmp_path / "synthetic.toml"
    synthetic_patterns(patterns, [("fitted", chosen[0]), ("held_true", chosen[1]),
                                  ("held_false", chosen[1])], centres, widths)
    out = tmp_path / "held-out"
    assert calibrate("--patterns", str(patterns), "--holdout", "held_true", "held_false",
                     "--parameters", "base_participation=-7:-5", "--population", "16",
                     "--generations", "4", "--replications", "3", "--citizens", "150", "--steps", "24",
                     "--predictive", "8", "--workers", "1", "--quiet", "--out", str(out)) == 0
    card = pd.read_parquet(out / "scorecard.parquet").set_index("pattern")
    assert card.loc["held_true", "role"] == "held out" and card.loc["fitted", "role"] == "fitted"
    assert card.loc["fitted", "posterior_result"] == "pass"  # in sample
    assert card.loc["held_true", "posterior_result"] == "pass"  # out of sample, right target
    assert card.loc["held_false", "posterior_result"] == "fail"  # out of sample, wrong target
    manifest = __import__("json").loads((out / "manifest.json").read_text())
    assert manifest["holdout"] == ["held_true", "held_false"]
    assert manifest["patterns"] == ["fitted"]  # all the fit saw
    report = (out / "report.md").read_text()
    assert "## Out-of-sample check: held-out patterns" in report and "Out of sample: 1 of 2 applicable" in report


def test_joint_calibration_runs_every_scenario_per_particle_and_scores_each(tmp_path):
    import pyabc

    out = tmp_path / "joint"
    assert calibrate("--scenarios", "default,npg_individual", "--pattern", "annual_volunteering", "--pattern",
                     "civic_core", "--parameters", "base_participation=-7:-5", "--population", "4",
                     "--generations", "2", "--replications", "2", "--citizens", "100", "--steps", "24",
                     "--predictive", "2", "--seed", "1", "--workers", "1", "--quiet", "--out", str(out)) == 0
    card = pd.read_parquet(out / "scorecard.parquet")
    assert list(card["scenario"].unique()) == ["default", "npg_individual"] and len(card) == 4
    predictive = pd.read_parquet(out / "predictive.parquet")
    per = predictive.groupby("scenario")["base_participation"].apply(list)
    assert per["default"] == per["npg_individual"]  # the same draws in each scenario
    history = pyabc.History(f"sqlite:///{out / 'abc.db'}", _id=1)
    _, stats = history.get_weighted_sum_stats(t=1)
    assert set(stats[0]) == {"default/annual_volunteering", "default/civic_core", "npg_individual/annual_volunteering",
                             "npg_individual/civic_core"}
    assert (out / "calibrated-default.toml").is_file() and (out / "calibrated-npg_individual.toml").is_file()
    calibrated = load_scenario(str(out / "calibrated-npg_individual.toml"))
    assert calibrated.paradigm == load_scenario("npg_individual").paradigm
    # the scorecard under this posterior for either scenario; not for one it was not calibrated on
    scored = tmp_path / "scored"
    assert main(["patterns", "npg_individual", "--posterior", str(out), "--draws", "2", "--replications", "2",
                 "--citizens", "100", "--steps", "24", "--quiet", "--out", str(scored)]) == 0
    assert main(["patterns", "npm", "--posterior", str(out), "--out", str(tmp_path / "npm")]) == 2
    assert not (tmp_path / "npm").exists()


def test_patterns_under_the_posterior_draw_particles_and_refuse_another_scenario(tmp_path, reference, capsys):
    out = tmp_path / "under"
    assert main(["patterns", "--posterior", str(reference), "--draws", "3", "--replications", "2", "--citizens", "150",
                 "--steps", "24", "--quiet", "--out", str(out)]) == 0
    table = pd.read_csv(out / "informativeness.csv")
    assert list(table["scenario"].unique()) == ["default"] and (table["points"] == 3).all()
    assert not table["flag"].isin(["cannot discriminate", "fits only a corner"]).any()  # flags are for the prior
    points = pd.read_csv(out / "points.csv")
    posterior = pd.read_parquet(reference / "posterior.parquet")
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    for name in ("base_participation", "trust_build_rate"):
        assert set(points[name].round(12)) <= set(last[name].round(12))
    assert "under the posterior" in (out / "informativeness.md").read_text()
    capsys.readouterr()
    refused = tmp_path / "refused"
    assert main(["patterns", "npm", "--posterior", str(reference), "--out", str(refused)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "calibrated on default, not on scenario 'npm'" in err[0]
    assert not refused.exists()
    assert main(["patterns", "--posterior", str(tmp_path / "nowhere"), "--out", str(refused)]) == 2
    assert not refused.exists()


# --- identifiability and sample quality (issue 24, item 4) ---------------------------------------------------

def test_effective_sample_size_and_identification_on_known_weights():
    from coprod.experiments.calibrate import effective_sample_size, parameter_table

    assert effective_sample_size(np.full(20, 0.05)) == pytest.approx(20.0)
    assert effective_sample_size(np.array([1.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert effective_sample_size(np.array([0.5, 0.25, 0.25])) == pytest.approx(1 / (0.25 + 0.0625 + 0.0625))
    # a: spread over the whole prior (not identified); b: concentrated in a tenth of it
    grid = np.linspace(0.0, 1.0, 101)
    posterior = pd.DataFrame({"generation": 1, "weight": 1 / 101, "a": grid, "b": 0.45 + grid / 10})
    table = parameter_table(posterior, {"a": (0.0, 1.0), "b": (0.0, 1.0)}, {"a": 0.5, "b": 0.5}).set_index("parameter")
    assert table.loc["a", "interval_share_of_prior"] == pytest.approx(0.9) and not table.loc["a", "identified"]
    assert table.loc["b", "interval_share_of_prior"] == pytest.approx(0.09) and table.loc["b", "identified"]


def test_sample_quality_warns_on_a_small_ess_and_names_unidentified_parameters():
    from coprod.reports.calibration_report import _tolerance, sample_quality

    parameters = pd.DataFrame({"parameter": ["a", "b"], "identified": [False, True]})
    small = sample_quality({"effective_sample_size": 5.8, "population": 20}, parameters)
    assert "5.8 of 20" in small and "Warning" in small and "`a`" in small and "`b`" not in small
    large = sample_quality({"effective_sample_size": 80.0, "population": 100}, parameters.assign(identified=True))
    assert "Warning" not in large and "Not identified" not in large
    assert "warning:" in sample_quality({"effective_sample_size": 5.8, "population": 20}, parameters, plain=True)
    assert _tolerance(float("inf")) == "∞ (prior)" and _tolerance(0.5) == "0.5"


def test_report_gives_ess_identification_and_an_infinite_first_tolerance(reference):
    generations = pd.read_parquet(reference / "generations.parquet")
    posterior = pd.read_parquet(reference / "posterior.parquet")
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    ess = last["weight"].sum() ** 2 / (last["weight"] ** 2).sum()
    assert generations["effective_sample_size"].iloc[-1] == pytest.approx(ess)
    manifest = __import__("json").loads((reference / "manifest.json").read_text())
    assert manifest["effective_sample_size"] == pytest.approx(ess, abs=0.01)
    parameters = pd.read_parquet(reference / "parameters.parquet")
    assert (parameters["identified"] == (parameters["interval_share_of_prior"] < 0.8)).all()
    assert manifest["not_identified"] == parameters.loc[~parameters["identified"], "parameter"].tolist()
    report = (reference / "report.md").read_text()
    assert "| 0 | ∞ (prior) |" in report and "undefined" not in report.split("## Generations")[1].split("##")[0]
    assert f"Effective sample size of the final population: {ess:.1f} of 8 particles." in report
    assert "Warning" in report  # 8 particles are fewer than 10
