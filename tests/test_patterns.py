"""``coprod patterns``: statistics on hand-made records, the in-silico trials, the patterns file, the command."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from coprod.experiments import cli
from coprod.experiments import patterns as P
from coprod.experiments.scenarios import load_scenario
from coprod.model import trials as T
from coprod.model.records import CitizenRecord, CitizenWindow


def window(by_mode, volunteering=None, hours=None, volunteer_hours=None, giving=None, **end) -> CitizenWindow:
    """A hand-made 12-month window; ``by_mode`` rows are months in modes 1..3 (mode 0 = the rest);
    ``giving`` (months with volunteer hours) is ``volunteering`` unless given."""
    by_mode = np.asarray(by_mode)
    n = len(by_mode)
    full = np.column_stack([12 - by_mode.sum(axis=1), by_mode])
    zeros = np.zeros(n)
    return CitizenWindow(months=12, months_by_mode=full,
                         volunteering=zeros if volunteering is None else np.asarray(volunteering),
                         coproduction_hours=zeros if hours is None else np.asarray(hours, dtype=float),
                         volunteer_hours=zeros if volunteer_hours is None else np.asarray(volunteer_hours, dtype=float),
                         end={k: np.asarray(v) for k, v in end.items()},
                         giving=np.asarray(giving if giving is not None else
                                           volunteering if volunteering is not None else zeros))


# --- statistics on hand-made records -------------------------------------------------------------

def test_volunteering_core_is_the_fewest_citizens_giving_two_thirds_of_the_hours():
    # 100 citizens: 7 give 70 hours between them, 23 give 30, 70 give nothing: 7% give 70% >= 2/3.
    hours = np.concatenate([np.full(7, 10.0), np.full(23, 30 / 23), np.zeros(70)])
    np.random.default_rng(2).shuffle(hours)
    w = window(np.zeros((100, 3)), hours=hours / 2, volunteer_hours=hours / 2)
    assert P.volunteering_core_size(w) == pytest.approx(0.07)
    # Equal hours: two-thirds of the citizens give two-thirds of the hours; nobody giving: not defined.
    assert P.core_size(np.ones(300), 2 / 3) == pytest.approx(200 / 300)
    assert np.isnan(P.core_size(np.zeros(10), 2 / 3))


def test_annual_volunteering_counts_volunteers_and_group_or_collective_work_not_individual():
    w = window([[0, 0, 0],   # volunteer only -> counts
                [0, 1, 0],   # one month of group work -> counts
                [12, 0, 0],  # individual co-production every month -> does not count
                [0, 0, 0],   # nothing
                [0, 0, 3]],  # collective -> counts
               volunteering=[4, 0, 0, 0, 0])
    assert P.annual_volunteering_share(w) == pytest.approx(3 / 5)


def test_individual_collective_log_ratio_and_undefined_without_collective_forms():
    w = window([[6, 1, 0], [6, 0, 2], [0, 0, 0]])
    assert P.individual_collective_log_ratio(w) == pytest.approx(math.log(12 / 3))
    assert math.isnan(P.individual_collective_log_ratio(window([[6, 0, 0]])))


def test_standardised_betas_recover_known_coefficients():
    efficacy = np.array([1.0, -1.0, 1.0, -1.0] * 5)
    resources = np.array([1.0, 1.0, -1.0, -1.0] * 5)  # orthogonal to efficacy
    share = 0.5 + 0.2 * efficacy + 0.05 * resources
    betas = P.standardised_betas(share, efficacy, resources)
    norm = math.hypot(0.2, 0.05)
    assert betas == pytest.approx([0.2 / norm, 0.05 / norm])
    participation = share * 12
    w = window(np.column_stack([np.round(participation), np.zeros(20), np.zeros(20)]),
               efficacy=efficacy, resources=resources)
    # Both positive, efficacy's larger (Parrado et al. 2013): the smaller margin, resources' beta here.
    beta_e, beta_r = P.standardised_betas(w.participation, efficacy, resources)
    assert 0 < beta_r < beta_e - beta_r
    assert P.efficacy_over_resources(w) == pytest.approx(beta_r)
    w_swapped = window(w.months_by_mode[:, 1:], efficacy=resources, resources=efficacy)
    assert P.efficacy_over_resources(w_swapped) == pytest.approx(beta_r - beta_e)  # efficacy the smaller
    # Resources lowering participation fails, however strong efficacy is.
    negative = window(np.column_stack([np.round((0.5 + 0.2 * efficacy - 0.05 * resources) * 12), np.zeros(20),
                                       np.zeros(20)]), efficacy=efficacy, resources=resources)
    assert P.efficacy_over_resources(negative) < 0


def test_hours_per_volunteer_month_counts_only_months_volunteering():
    w = window([[6, 0, 0], [0, 0, 0], [0, 0, 0]])
    w = dataclasses.replace(w, volunteering=np.array([4, 0, 2]), volunteer_hours=np.array([60.0, 0.0, 30.0]))
    assert P.hours_per_volunteer_month(w) == pytest.approx(90.0 / 6)
    assert math.isnan(P.hours_per_volunteer_month(dataclasses.replace(w, volunteering=np.zeros(3, dtype=int))))


def test_cohens_d_and_trial_statistics_on_known_arrays():
    assert P.cohens_d([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == pytest.approx(-1.0)
    assert math.isnan(P.cohens_d([1.0], [2.0, 3.0]))
    labels = np.array([0, 0, 1, 1, 2, 2, -1], dtype=np.int8)
    trust_before = np.full(7, 0.5)
    trust_after = np.array([0.5, 0.5, 0.3, 0.3, 0.6, 0.6, 0.9])  # bad -0.2, good +0.1, control 0
    run = P.RunObservation(window(np.zeros((7, 3)), trust=trust_after), 0.0, labels, trust_before)
    assert P.trust_asymmetry(run) == pytest.approx(0.2 - 0.1)
    participation = window([[0, 0, 0], [6, 0, 0], [12, 0, 0], [6, 0, 0], [0, 0, 0], [0, 0, 0], [12, 0, 0]])
    run = P.RunObservation(participation, 0.0, labels)
    assert P.trial_participation_effect(run) == pytest.approx(0.75 - 0.25)
    assert P.trial_relative_effect(run) == pytest.approx(0.75 / 0.25 - 1)
    # Gap: top quintile (citizen 6, always taking part) minus control (0.25) = 0.75; effect 0.5.
    quintile = np.array([0, 0, 0, 0, 2, 2, 4])
    run = P.RunObservation(window(participation.months_by_mode[:, 1:], quintile=quintile), 0.0, labels)
    assert P.trial_gap_closed(run) == pytest.approx(0.5 / 0.75)


def test_assumption_checks_are_shown_but_not_counted():
    patterns = [P.Pattern("a", "A", "volunteering_core_size", {"low": 0.0, "high": 1.0}, "s", "n"),
                P.Pattern("b", "B", "volunteering_core_size", {"low": 0.0, "high": 1.0}, "s", "n",
                          assumption_check=True)]
    values = pd.DataFrame({"pattern": ["a", "a", "b", "b"], "replication": [0, 1, 0, 1], "value": [0.5] * 4})
    card = P.score(patterns, values)
    assert card["passed"].tolist() == [True, True] and card["counted"].tolist() == [True, False]
    bundled = {p.name: p.assumption_check for p in P.load_patterns()}
    assert bundled["trust_asymmetry"] and bundled["crowding_out_persists"] and not bundled["annual_volunteering"]


def test_scoring_rules_band_on_the_mean_direction_on_the_interval():
    mean, low, high = P.interval(np.array([1.0, 2.0, 3.0]))
    assert mean == 2.0 and high - mean == pytest.approx(4.302652729911275 / math.sqrt(3))  # t(0.975, 2)
    assert P.verdict({"low": 1.5, "high": 2.5}, mean, low, high)
    assert not P.verdict({"low": 2.5, "high": 3.5}, mean, low, high)  # interval overlaps, mean outside
    assert P.verdict({"direction": "positive"}, 1.0, 0.1, 1.9)
    assert not P.verdict({"direction": "positive"}, 1.0, -0.1, 1.9)
    assert P.verdict({"direction": "negative"}, -1.0, -1.9, -0.1)
    assert not P.verdict({"direction": "negative"}, -1.0, -1.9, 0.1)
    assert math.isnan(P.interval(np.array([1.0, np.nan]))[1])


def test_citizen_record_keeps_only_the_last_months():
    class Fake:
        month = 0

        def citizen_values(self, name):
            if name == "mode":
                return np.array([self.month % 4, 1], dtype=np.int8)
            if name == "is_volunteer":
                return np.array([self.month >= 10, False])
            if name == "activity":  # the second citizen volunteers in an association from month 12
                return np.array([0, 1 if self.month >= 12 else 0], dtype=np.int8)
            return np.full(2, float(self.month))

    fake, record = Fake(), CitizenRecord(2, window=3)
    for month in range(1, 13):  # months 10, 11, 12 stay: modes 2, 3, 0
        fake.month = month
        record.observe(fake)
    w = record.summary()
    assert w.months == 3
    assert w.months_by_mode[0].tolist() == [1, 0, 1, 1] and w.months_by_mode[1].tolist() == [0, 3, 0, 0]
    assert w.volunteering.tolist() == [3, 1]  # the NGO or an association
    assert w.coproduction_hours.tolist() == [33.0, 33.0]
    assert w.volunteer_hours.tolist() == [66.0, 66.0]  # NGO hours plus association hours
    assert w.giving.tolist() == [3, 3]  # months with volunteer hours given (the fake gives hours every month)
    assert w.taking_part.tolist() == [2, 3]


# --- trials --------------------------------------------------------------------------------------

def test_assignment_is_balanced_reproducible_and_within_the_eligible():
    eligible = np.arange(1000) % 5 == 0  # 200 eligible
    labels = T.assign(7, 60, 1, eligible, [0.5])
    assert (labels[~eligible] == T.NOT_ELIGIBLE).all()
    assert (labels == 1).sum() == 100 and (labels == T.CONTROL).sum() == 100
    assert np.array_equal(labels, T.assign(7, 60, 1, eligible, [0.5]))
    assert not np.array_equal(labels, T.assign(8, 60, 1, eligible, [0.5]))  # another seed
    assert not np.array_equal(labels, T.assign(7, 60, 2, eligible, [0.5]))  # another trial
    three = T.assign(7, 60, 3, np.ones(1000, bool), [0.1, 0.1])
    assert [(three == k).sum() for k in (0, 1, 2)] == [800, 100, 100]


def test_zero_boost_trial_leaves_the_run_bit_identical_and_its_effect_covers_zero():
    parameters = {**load_scenario("default").parameters, "n_citizens": 600}
    placebo = P._observe_job((parameters, 3, 36, "placebo"))
    # The same months without any trial: assignment used no draw the model uses.
    plain = P._observe_job((parameters, 3, 36, None))
    assert np.array_equal(placebo.window.months_by_mode, plain.window.months_by_mode)
    assert np.array_equal(placebo.window.end["trust"], plain.window.end["trust"])
    pattern = P.Pattern("placebo", "placebo", "placebo_trial_effect", {"direction": "positive"}, "a test", "-")
    card = P.score([pattern], P.measure([pattern], parameters, 8, 36, 0))
    assert card.loc[0, "ci_low"] < 0 < card.loc[0, "ci_high"]


def test_resource_trial_raises_participation_of_the_treated():
    # The effect is about +0.03 in share of months; 2,000 citizens x 20 replications resolve it (~5 s).
    parameters = {**load_scenario("default").parameters, "n_citizens": 2000}
    pattern = P.Pattern("r", "r", "resource_trial_effect", {"direction": "positive"}, "a test", "-")
    card = P.score([pattern], P.measure([pattern], parameters, 20, 72, 0))
    assert card.loc[0, "ci_low"] > 0, card


def test_trial_arms_change_only_the_treated():
    from coprod.model.model import CoProductionModel

    model = CoProductionModel(seed=1, engine="numba", n_citizens=300)
    model.step()
    before = model.population.citizen_values("resources").copy()
    labels = T.start_trial(model.population, T.TRIALS["resources"], model.seed_value, model.steps)
    after = model.population.citizen_values("resources")
    quintile = model.population.citizen_values("quintile")
    assert set(np.flatnonzero(labels >= 0)) == set(np.flatnonzero(quintile == 0))
    treated = labels == 1
    assert np.allclose(after[treated], np.minimum(before[treated] + 0.3, 1.0), atol=1e-6)
    assert np.array_equal(after[~treated], before[~treated])


# --- the patterns file ------------------------------------------------------------------------------

def test_bundled_patterns_file_loads_and_cites_every_source():
    patterns = P.load_patterns()
    assert len(patterns) >= 9
    assert all(len(p.source) > 20 for p in patterns)
    for name, statistic in P.STATISTICS.items():
        assert set(statistic.runs) <= set(P.RUNS), name


GOOD = """[[pattern]]
name = "x"
title = "X"
statistic = "volunteering_core_size"
target = { low = 0.8, high = 0.95 }
source = "Someone (2020). A paper. A journal 1(1), 1-2."
note = "how"
"""


@pytest.mark.parametrize("text, key", [
    (GOOD.replace("volunteering_core_size", "os.system"), "key 'statistic'"),
    (GOOD.replace('source = "Someone (2020). A paper. A journal 1(1), 1-2."\n', ""), "missing key 'source'"),
    (GOOD.replace('"Someone (2020). A paper. A journal 1(1), 1-2."', '""'), "key 'source'"),
    (GOOD.replace("low = 0.8, high = 0.95", "low = 0.95, high = 0.8"), "key 'target'"),
    (GOOD.replace("low = 0.8, high = 0.95", 'direction = "up"'), "key 'target.direction'"),
    (GOOD.replace("low = 0.8, high = 0.95", 'low = 0.8, high = 0.95, direction = "positive"'), "key 'target'"),
    (GOOD.replace('note = "how"', 'note = "how"\nrun = "rm -rf"'), "unknown key 'run'"),
    (GOOD + GOOD, "used twice"),
    (GOOD + "assumption_check = 1\n", "key 'assumption_check'"),
    ("", "[[pattern]]"),
    ("pattern = [1, 2]", "pattern #1"),
])
def test_bad_patterns_file_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, text, key):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["patterns", "--patterns", str(path), "--replications", "2", "--citizens", "50",
                     "--steps", "24", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and key in err, err
    if 'name = "x"' in text:
        assert "'x'" in err  # the pattern is named
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_patterns_file_not_utf8_or_with_a_bom_is_refused_like_every_input_file(tmp_path, capsys):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(GOOD.replace("Someone", "Löffler").encode("latin-1"))
    assert cli.main(["patterns", "--patterns", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not UTF-8" in err and str(bad) in err
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert cli.main(["patterns", "--patterns", str(bom), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "byte-order mark" in err and str(bom) in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("extra, key", [
    (["--replications", "1"], "--replications"),
    (["--steps", "12"], "--steps"),
    (["--workers", "0"], "--workers"),
    (["no_such_scenario"], "no such scenario"),
    (["--citizens", "5"], "--citizens"),
])
def test_bad_options_are_refused_before_any_run(tmp_path, capsys, extra, key):
    out = tmp_path / "out"
    assert cli.main(["patterns", *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and key in err
    assert not out.exists()


def test_out_directory_that_is_not_empty_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert cli.main(["patterns", "--citizens", "50", "--steps", "24", "--replications", "2", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


# --- the command end to end ---------------------------------------------------------------------------

TINY = ["--replications", "2", "--citizens", "200", "--steps", "30", "--seed", "5"]


def test_command_writes_the_scorecard_and_repeats_it_exactly(tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    assert cli.main(["patterns", *TINY, "--out", str(first)]) == 0
    printed = capsys.readouterr().out
    assert "annual_volunteering" in printed and "patterns pass" in printed
    assert sorted(p.name for p in first.iterdir()) == [
        "SHA256SUMS", "manifest.json", "replications.csv", "replications.parquet", "scorecard.csv", "scorecard.html",
        "scorecard.md", "scorecard.parquet"]
    card = pd.read_csv(first / "scorecard.csv")
    patterns = P.load_patterns()
    assert list(card["pattern"]) == [p.name for p in patterns]
    assert {"target", "value", "ci_low", "ci_high", "passed", "source"} <= set(card.columns)
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["replications"] == 2 and manifest["seed"] == 5 and manifest["citizens"] == 200
    assert manifest["trial_month"] == 18 and len(manifest["patterns_sha256"]) == 64
    html = (first / "scorecard.html").read_text()
    assert "<script" not in html and "Mohan" in html and "http" not in html.split("<body>")[1]
    assert "Mohan, J. & Bulloch" in (first / "scorecard.md").read_text()

    assert cli.main(["patterns", *TINY, "--workers", "2", "--quiet", "--out", str(second)]) == 0
    assert capsys.readouterr().out == ""
    for name in ("scorecard.csv", "replications.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    values = pd.read_parquet(second / "replications.parquet")
    assert list(values["seed"].unique()) == [5, 6]


def test_switch_lifts_contract_control_mid_run_and_only_switchable_parameters():
    from coprod.model.model import CoProductionModel

    model = CoProductionModel(seed=1, engine="numba", n_citizens=300, ngo_relation="supplier")
    for _ in range(3):
        model.step()
    before = np.array([ngo.control for ngo in model.ngos])
    model.p.update(P.RUNS["ngo_supplier_then_partner"].switch)
    after = np.array([ngo.control for ngo in model.ngos])
    assert len(before) and after.mean() < before.mean()  # the model reads the relation afresh
    with pytest.raises(ValueError, match="cannot change"):
        P.observe_run({"n_citizens": 100}, 0, 24, switch={"outreach": 0.5})


# --- across scenarios (issue 24, item 1) ----------------------------------------------------------------

def test_undefined_in_every_replication_is_not_applicable_never_a_fail():
    band = {"low": 0.0, "high": 1.0}
    assert P.judge(band, np.array([np.nan, np.nan]))[3] == P.NOT_APPLICABLE
    mean, low, high, result = P.judge(band, np.array([0.5, np.nan, 0.7]))  # the undefined one left out
    assert result == "pass" and mean == pytest.approx(0.6)
    assert P.judge(band, np.array([1.5, 1.7]))[3] == "fail"
    values = pd.DataFrame({"pattern": ["annual_volunteering"] * 2, "replication": [0, 1], "value": [np.nan, np.nan]})
    card = P.score([p for p in P.load_patterns() if p.name == "annual_volunteering"], values)
    assert card["result"].tolist() == [P.NOT_APPLICABLE] and not card["passed"].any()


def test_scenarios_all_names_every_bundled_scenario_and_names_or_option_not_both(capsys):
    from argparse import Namespace

    from coprod.experiments.scenarios import bundled_scenarios

    assert P.scenario_names(Namespace(scenario=[], scenarios="all")) == bundled_scenarios()
    assert P.scenario_names(Namespace(scenario=[], scenarios="npm, hybrid")) == ["npm", "hybrid"]
    assert P.scenario_names(Namespace(scenario=[], scenarios=None)) == ["default"]
    with pytest.raises(P.InputError, match="not both"):
        P.scenario_names(Namespace(scenario=["npm"], scenarios="all"))


@pytest.mark.parametrize("argv, says", [
    (["npm", "--scenarios", "all"], "--scenarios"),
    (["--scenarios", "npm,no_such_scenario"], "no such scenario"),
    (["--scenarios", "npm,npm"], "each scenario once"),
    (["--scenarios", " , "], "--scenarios"),
])
def test_bad_scenario_lists_are_one_line_exit_2_nothing_written(tmp_path, capsys, argv, says):
    out = tmp_path / "out"
    assert cli.main(["patterns", *argv, *TINY, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0]
    assert not out.exists()


def test_scorecard_across_scenarios_one_table_with_a_scenario_column(tmp_path, capsys):
    out = tmp_path / "across"
    assert cli.main(["patterns", "default", "traditional", *TINY, "--quiet", "--out", str(out)]) == 0
    card = pd.read_csv(out / "scorecard.csv")
    names = [p.name for p in P.load_patterns()]
    assert card.columns[0] == "scenario" and list(card["scenario"].unique()) == ["default", "traditional"]
    assert list(card.loc[card["scenario"] == "traditional", "pattern"]) == names
    assert set(card["result"]) <= {"pass", "fail", P.NOT_APPLICABLE}
    assert (card["passed"] == (card["result"] == "pass")).all()
    # traditional offers individual co-production only: the individual/collective ratio is undefined there
    gulf = card[card["pattern"] == "individual_collective_gulf"].set_index("scenario")["result"]
    assert gulf["traditional"] == P.NOT_APPLICABLE and gulf["default"] != P.NOT_APPLICABLE
    # the default scenario's rows are those a run of the default alone gives (same seeds)
    alone = tmp_path / "alone"
    assert cli.main(["patterns", "default", *TINY, "--quiet", "--out", str(alone)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(alone / "scorecard.csv"),
                                  card[card["scenario"] == "default"].reset_index(drop=True))
    text = (out / "scorecard.md").read_text()
    assert "| pattern | target | default | traditional |" in text and "**bottom line**" in text
    mine = card[(card["scenario"] == "traditional") & card["counted"]]  # assumption checks are not counted
    applicable = mine[mine["result"] != P.NOT_APPLICABLE]
    assert len(mine) - len(applicable) >= 1
    assert (f"{int(applicable['passed'].sum())} of {len(applicable)} applicable patterns pass "
            f"({len(mine) - len(applicable)} not applicable)") in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenarios"] == ["default", "traditional"] and manifest["design"] == "scorecard"


# --- over the prior (issue 24, item 2) -------------------------------------------------------------------

def test_informativeness_counts_shares_wilson_and_flags_on_a_known_table():
    from coprod.analysis.statistics import wilson

    patterns = [p for p in P.load_patterns() if p.name in ("annual_volunteering", "civic_core",
                                                            "individual_collective_gulf", "trust_asymmetry")]
    results = {"annual_volunteering": ["pass"] * 20,                        # passes everywhere
               "civic_core": ["pass"] + ["fail"] * 19,                      # at one point in 20
               "individual_collective_gulf": [P.NOT_APPLICABLE] * 20,       # never defined
               "trust_asymmetry": ["pass"] * 5 + ["fail"] * 12 + [P.NOT_APPLICABLE] * 3}
    rows = [{"scenario": "s", "point": i, "pattern": name, "value": float(i) if r != P.NOT_APPLICABLE else np.nan,
             "result": r} for name, rs in results.items() for i, r in enumerate(rs)]
    table = P.informativeness(patterns, pd.DataFrame(rows)).set_index("pattern")
    assert table.loc["annual_volunteering", "flag"] == "cannot discriminate"
    assert table.loc["civic_core", "flag"] == "fits only a corner" and table.loc["civic_core", "pass_share"] == 0.05
    rows = [{**row, "result": "fail"} if row["pattern"] == "civic_core" else row for row in rows]
    assert P.informativeness(patterns, pd.DataFrame(rows)).set_index("pattern").loc[
        "civic_core", "flag"] == "fits nowhere in these ranges"
    assert table.loc["individual_collective_gulf", "flag"] == P.NOT_APPLICABLE
    assert math.isnan(table.loc["individual_collective_gulf", "pass_share"])
    trust = table.loc["trust_asymmetry"]
    assert trust["applicable_points"] == 17 and trust["pass_share"] == pytest.approx(5 / 17) and trust["flag"] == ""
    assert (trust["pass_low"], trust["pass_high"]) == pytest.approx(wilson(5, 17))
    assert trust["value_p05"] == pytest.approx(np.quantile(np.arange(17.0), 0.05))
    assert trust["value_p95"] == pytest.approx(np.quantile(np.arange(17.0), 0.95))
    # under a posterior the share is reported without the prior's flags
    assert P.informativeness(patterns, pd.DataFrame(rows), flags=False).set_index("pattern").loc[
        "annual_volunteering", "flag"] == ""


def test_prior_runs_latin_hypercube_points_and_each_point_is_the_scorecard_there(tmp_path):
    out = tmp_path / "prior"
    assert cli.main(["patterns", "--prior", "3", *TINY, "--quiet", "--out", str(out)]) == 0
    assert {"informativeness.csv", "informativeness.md", "informativeness.html", "points.csv",
            "replications.csv", "manifest.json"} <= {p.name for p in out.iterdir()}
    table = pd.read_csv(out / "informativeness.csv")
    assert {"pass_share", "pass_low", "pass_high", "value_p05", "value_p95", "flag"} <= set(table.columns)
    assert list(table["pattern"]) == [p.name for p in P.load_patterns()] and (table["points"] == 3).all()
    points = pd.read_csv(out / "points.csv")
    uncertain = load_scenario("default").uncertain
    for name, (low, high) in uncertain.items():
        assert points[name].between(low, high).all() and points[name].nunique() == 3
    # point 1 is the scorecard at its parameter values, with the same seeds
    chosen = [p for p in P.load_patterns() if p.name in ("annual_volunteering", "civic_core")]
    at = points[points["point"] == 1].iloc[0]
    base = {**load_scenario("default").parameters, "n_citizens": 200, **{n: at[n] for n in uncertain}}
    again = P.score(chosen, P.measure(chosen, base, 2, 30, 5)).set_index("pattern")["value"]
    mine = points[points["point"] == 1].set_index("pattern")["value"]
    for pattern in chosen:
        assert mine[pattern.name] == pytest.approx(again[pattern.name], rel=1e-12)
    shares = table.set_index("pattern")["pass_share"]
    applicable = points[points["result"] != P.NOT_APPLICABLE]
    counted = applicable.groupby("pattern")["result"].apply(lambda r: (r == "pass").mean())
    pd.testing.assert_series_equal(shares.dropna().sort_index(), counted.dropna().sort_index(), check_names=False)
    assert "Pattern scorecard over the prior: default" in (out / "informativeness.md").read_text()


NO_UNCERTAIN = 'description = "no ranges"\nparadigm = "npg"\n'


@pytest.mark.parametrize("argv, says", [
    (["--prior", "0"], "--prior: got 0"),
    (["--prior", "-2"], "--prior"),
    (["{plain}", "--prior", "3"], "no [uncertain] table"),
    (["--prior", "3", "--posterior", "{tmp}"], "--prior"),
    (["--draws", "3"], "--draws"),
])
def test_bad_prior_options_are_one_line_exit_2_nothing_written(tmp_path, capsys, argv, says):
    plain = tmp_path / "plain.toml"
    plain.write_text(NO_UNCERTAIN)
    argv = [a.replace("{plain}", str(plain)).replace("{tmp}", str(tmp_path)) for a in argv]
    out = tmp_path / "out"
    assert cli.main(["patterns", *argv, *TINY, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0]
    assert not out.exists()


# --- the wider scorecard (issue 24, item 8): statistics on hand-made records -----------------------------

def test_hours_association_share_and_occasional_volunteers_on_a_known_window():
    # citizens: NGO volunteer 4 months 60 h; NGO volunteer 12 months 120 h and group work; group work
    # 2 months only; individual co-production only (not volunteering); nothing
    w = window([[0, 0, 0], [0, 3, 0], [0, 2, 0], [12, 0, 0], [0, 0, 0]], volunteering=[4, 12, 0, 0, 0],
               volunteer_hours=[60.0, 120.0, 0, 0, 0])
    assert P.hours_per_volunteer_month(w) == pytest.approx(180 / 16)
    assert P.association_share(w) == pytest.approx(2 / 3)
    assert P.occasional_share(w) == pytest.approx(1 / 3)  # only the 2-month group worker; 4 and 12 months are not
    # Months count by hours given, not by membership: the 4-month member who gave hours in 2 of them is occasional.
    by_hours = window([[0, 0, 0], [0, 3, 0], [0, 2, 0], [12, 0, 0], [0, 0, 0]], volunteering=[4, 12, 0, 0, 0],
                      volunteer_hours=[60.0, 120.0, 0, 0, 0], giving=[2, 12, 0, 0, 0])
    assert P.occasional_share(by_hours) == pytest.approx(2 / 3)
    nobody = window(np.zeros((3, 3)))
    for statistic in (P.hours_per_volunteer_month, P.association_share, P.occasional_share):
        assert math.isnan(statistic(nobody))


def test_resource_gradient_and_poorest_over_all_on_a_known_window():
    # 10 citizens, 2 per quintile: quintiles 3-4 all volunteer, 1-2 half of them, quintile 0 none
    quintile = np.repeat([0, 1, 2, 3, 4], 2)
    volunteering = np.array([0, 0, 1, 0, 1, 0, 1, 1, 1, 1])
    w = window(np.zeros((10, 3)), volunteering=volunteering, quintile=quintile)
    assert P.resource_gradient(w) == pytest.approx(1.0 / (2 / 6))
    assert P.poorest_over_all(w) == pytest.approx(0.0)
    flat = window(np.zeros((10, 3)), volunteering=np.ones(10), quintile=quintile)
    assert P.resource_gradient(flat) == pytest.approx(1.0) and P.poorest_over_all(flat) == pytest.approx(1.0)


def test_trust_volunteering_correlation_sign_follows_the_data():
    volunteering = np.array([1, 1, 0, 0])
    assert P.trust_volunteering_correlation(window(np.zeros((4, 3)), volunteering=volunteering,
                                                   trust=np.array([0.9, 0.8, 0.2, 0.1]))) > 0.9
    assert P.trust_volunteering_correlation(window(np.zeros((4, 3)), volunteering=volunteering,
                                                   trust=np.array([0.1, 0.2, 0.8, 0.9]))) < -0.9
    assert math.isnan(P.trust_volunteering_correlation(window(np.zeros((4, 3)), volunteering=np.ones(4),
                                                              trust=np.array([0.1, 0.2, 0.8, 0.9]))))


def history(*columns: str) -> P.ActivityHistory:
    """One string per citizen, one character per month (oldest first): 'v' NGO volunteer, 'g' group
    work (active, not a volunteer), '.' nothing."""
    months = np.array([list(c) for c in columns]).T
    return P.ActivityHistory(active=months != ".", volunteer=months == "v")


def test_reach_over_years_and_year_to_year_persistence_on_known_histories():
    year = 12
    h = history("." * 48 + "g" + "." * 11,   # active only in the last year
                "v" + "." * 59,              # only 5 years ago
                "." * 30 + "g" + "." * 29,   # 2.5 years ago
                "." * 60)                    # never
    assert P.reach_over_years(h, 5) == pytest.approx(3 / 1)
    assert math.isnan(P.reach_over_years(history("g" * 59), 5))  # shorter than five years
    h = history("." * 36 + "g" * year + "g" * year,      # active both years
                "." * 36 + "g" + "." * (2 * year - 1),   # only the year before last
                "." * 36 + "." * year + "v" * year,      # only the last year
                "." * 60)
    assert P.year_to_year_persistence(h) == pytest.approx(1 / 2)


def test_volunteer_retention_and_newcomers_leave_more_on_known_histories():
    long_stay, long_leave = "v" * 24, "v" * 13 + "." * 11
    new_stay, new_leave = "." * 11 + "v" * 13, "." * 11 + "v" * 2 + "." * 11
    not_then = "v" * 11 + "." + "v" * 12  # not a volunteer 12 months before the end: counts in neither
    h = history(long_stay, long_stay, long_stay, long_leave, new_leave, new_leave, new_stay, not_then)
    assert P.volunteer_retention(h) == pytest.approx(4 / 7)
    assert P.newcomers_leave_more(h) == pytest.approx(2 / 3 - 1 / 4)
    reversed_case = history(long_leave, long_leave, long_stay, new_stay, new_stay)
    assert P.newcomers_leave_more(reversed_case) == pytest.approx(0 - 2 / 3)
    assert math.isnan(P.newcomers_leave_more(history(long_stay, long_stay)))  # no newcomers
    assert math.isnan(P.volunteer_retention(history("v" * 23)))  # shorter than two years


def test_the_wider_scorecard_has_twenty_patterns_with_sources_and_figures():
    patterns = P.load_patterns()
    assert len(patterns) >= 20
    for pattern in patterns:
        assert any(ch.isdigit() for ch in pattern.source), f"{pattern.name}: its source gives no year or figure"
    unused = set(P.STATISTICS) - {p.statistic for p in patterns}
    assert unused == {"placebo_trial_effect"}, "every statistic but the placebo check is scored by a pattern"


def test_observed_runs_keep_a_month_by_month_history_that_agrees_with_the_window():
    run = P.observe_run({"n_citizens": 120}, 3, 30)
    assert run.history.active.shape == (30, 120)
    # the last 12 months of the history say who volunteered, as the window does
    np.testing.assert_array_equal(run.history.active[-12:].any(axis=0), P.volunteers(run.window))
    np.testing.assert_array_equal(run.history.volunteer[-12:].sum(axis=0), run.window.volunteering)
    assert P.observe_run({"n_citizens": 120}, 3, 30, trial="placebo").history is None
