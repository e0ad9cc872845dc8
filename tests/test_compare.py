"""coprod compare and coprod new-scenario: statistics that mean what they say, a report that renders."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from browser import render_offline

from coprod.core.parameters import PARAMETERS
from coprod.experiments.cli import main
from coprod.experiments.compare import paired_test
from coprod.experiments.runner import run_seed
from coprod.experiments.scenarios import load_scenario
from coprod.model.outcomes import DIMENSIONS

SMALL = ["--citizens", "150", "--steps", "12", "--replications", "4", "--engine", "agents", "--quiet"]


def write_scenario(path: Path, budget: float) -> Path:
    path.write_text(f'description = "budget {budget}"\nparadigm = "npg"\n[parameters]\n'
                    f'budget_per_citizen = {budget}\n[uncertain]\ntrust_loss_rate = [0.05, 0.3]\n', encoding="utf-8")
    return path


@pytest.fixture(scope="session")  # not module: the slowest tests run first (conftest.py), apart from the rest
def budget_report(tmp_path_factory) -> Path:
    """One comparison reused by several tests: a big budget against a small one, with --robust."""
    base = tmp_path_factory.mktemp("budget")
    rich = write_scenario(base / "rich.toml", 2.5)
    poor = write_scenario(base / "poor.toml", 0.6)
    out = base / "report"
    assert main(["compare", str(rich), str(poor), *SMALL, "--horizon", "output", "--robust", "--samples", "4",
                 "--out", str(out)]) == 0
    return out


def test_self_comparison_shows_no_difference(tmp_path):
    out = tmp_path / "self"
    assert main(["compare", "npm", "npm", *SMALL, "--out", str(out)]) == 0
    pairwise = pd.read_parquet(out / "pairwise.parquet")
    assert not pairwise["significant"].any()
    assert (pairwise["mean_diff"] == 0).all()
    wins = pd.read_csv(out / "wins.csv")
    assert set(wins["strategy"]) == {"npm", "npm#2"}
    assert (wins["win_share"] == 0).all() and (wins["tie_share"] == 1).all()
    tradeoffs = (out / "tradeoffs.txt").read_text()
    assert "beats" not in tradeoffs and tradeoffs.count("no meaningful difference") == len(DIMENSIONS)
    # Identical runs: the difference is exactly 0, equivalent within every SESOI by TOST.
    assert (pairwise["category"] == "negligible").all() and not pairwise["meaningful"].any()
    assert tradeoffs.count("equivalence within ±0.01 is shown") == len(DIMENSIONS)


def test_bigger_budget_meets_more_need_and_raises_wellbeing(budget_report):
    summary = pd.read_parquet(budget_report / "summary.parquet").set_index(["strategy", "metric"])["mean"]
    assert summary[("rich", "unmet_need")] < summary[("poor", "unmet_need")]
    assert summary[("rich", "wellbeing_output")] > summary[("poor", "wellbeing_output")]
    assert summary[("rich", "total_public_cost")] > summary[("poor", "total_public_cost")]
    pairwise = pd.read_parquet(budget_report / "pairwise.parquet").set_index("metric")
    wellbeing = pairwise.loc["wellbeing_output"]
    assert wellbeing["significant"] and wellbeing["mean_diff"] > 0 and wellbeing["ci_low"] > 0
    wins = pd.read_parquet(budget_report / "wins.parquet").set_index(["dimension", "strategy"])
    assert wins.loc[("wellbeing", "rich"), "win_share"] == 1.0
    text = (budget_report / "tradeoffs.txt").read_text()
    assert re.search(r"rich beats poor on wellbeing & empowerment \(output horizon\) in 100% of runs "
                     r"\(difference \+[0-9.]+, "
                     r"95% CI \[\+[0-9.]+, \+[0-9.]+\]; paired t-test p = [0-9.e-]+, sign test p = [0-9.]+\) "
                     r"but costs [0-9]+% more public money", text), text


def test_result_directory_is_complete(budget_report):
    for name in ("finals", "summary", "wins", "pairwise", "regret", "robust_runs"):
        assert (budget_report / f"{name}.csv").is_file() and (budget_report / f"{name}.parquet").is_file()
    for name in ("trajectories.png", "radar.png", "risks.png", "regret.png", "report.md", "report.html"):
        assert (budget_report / name).stat().st_size > 0
    manifest = json.loads((budget_report / "manifest.json").read_text())
    # The runner's one seed convention: replication r of every strategy uses run_seed(seed, 0, r).
    assert manifest["settings"]["seeds"] == [run_seed(0, 0, r) for r in range(4)]
    finals = pd.read_parquet(budget_report / "finals.parquet")
    assert finals.groupby("replication")["seed"].nunique().eq(1).all()  # both strategies share each seed
    assert [s["label"] for s in manifest["strategies"]] == ["rich", "poor"]
    assert manifest["strategies"][0]["resolved_parameters"]["budget_per_citizen"] == 2.5
    regret = pd.read_parquet(budget_report / "regret.parquet")
    assert (regret["worst_regret"] >= 0).all() and len(regret) == 2 * len(DIMENSIONS)
    html = (budget_report / "report.html").read_text()
    assert "http://" not in html and "https://" not in html and "@media print" in html
    assert not [p for p in budget_report.parent.iterdir() if p.name.startswith(".tmp-")]


def test_refuses_non_empty_out(tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["compare", "npm", "npg_collective", *SMALL, "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_paired_test_detects_a_consistent_difference():
    result = paired_test([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0.9, 1.8, 2.85, 3.9, 4.7, 5.9])
    assert result["significant"] and result["share_a_higher"] == 1.0 and result["sign_p"] < 0.05


def test_report_renders_in_headless_chromium(budget_report, tmp_path):
    widths, errors = render_offline(budget_report / "report.html", tmp_path / "report.png")
    assert len(widths) == 4 and all(w > 0 for w in widths), widths
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_new_scenario_lists_every_lever_and_loads(tmp_path):
    path = tmp_path / "mine.toml"
    # npg_individual sets only a lever, so every other parameter must come out commented.
    assert main(["new-scenario", str(path), "--from", "npg_individual", "--quiet"]) == 0
    scenario = load_scenario(str(path))
    levers = [name for name, p in PARAMETERS.items() if p.lever]
    assert set(levers) <= set(scenario.parameters)
    assert scenario.parameters["cp_level"] == "individual" and scenario.paradigm == "npg"
    assert scenario.uncertain == load_scenario("npg_individual").uncertain
    text = path.read_text()
    for name, p in PARAMETERS.items():
        assert f"{name} = " in text
        if not p.lever:
            assert f"# {name} = " in text
    data = tomllib.loads(text)
    assert set(data["parameters"]) == set(levers) - {"paradigm"}


def test_new_scenario_runs_the_same_as_its_source(tmp_path):
    from coprod.model.model import resolve_parameters
    path = tmp_path / "npm_copy.toml"
    assert main(["new-scenario", str(path), "--from", "npm", "--quiet"]) == 0
    assert (resolve_parameters(load_scenario(str(path)).parameters)
            == resolve_parameters(load_scenario("npm").parameters))
    blank = tmp_path / "blank.toml"
    assert main(["new-scenario", str(blank), "--quiet"]) == 0
    assert resolve_parameters(load_scenario(str(blank)).parameters) == resolve_parameters({})


def test_new_scenario_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "exists.toml"
    path.write_text("# mine\n")
    assert main(["new-scenario", str(path)]) == 2
    assert "exists" in capsys.readouterr().err
    assert path.read_text() == "# mine\n"


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    import coprod.reports.compare_report as report

    def broken(*args, **kwargs):
        raise KeyboardInterrupt  # as if Ctrl-C came while the plots were drawn

    monkeypatch.setattr(report, "plot_risks", broken)
    out = tmp_path / "never"
    assert main(["compare", "npm", "traditional", *SMALL, "--out", str(out)]) == 130
    assert list(tmp_path.iterdir()) == []


def test_a_significant_difference_smaller_than_the_sesoi_is_no_meaningful_difference(tmp_path):
    rich = write_scenario(tmp_path / "rich.toml", 2.5)
    poor = write_scenario(tmp_path / "poor.toml", 0.6)
    sesoi = tmp_path / "sesoi.toml"
    sesoi.write_text('wellbeing_output = { absolute = 0.9, reason = "only a landslide counts" }\n')
    out = tmp_path / "out"
    assert main(["compare", str(rich), str(poor), *SMALL, "--horizon", "output", "--sesoi", str(sesoi),
                 "--out", str(out)]) == 0
    wellbeing = pd.read_parquet(out / "pairwise.parquet").set_index("metric").loc["wellbeing_output"]
    assert wellbeing["significant"] and not wellbeing["meaningful"] and wellbeing["sesoi"] == 0.9
    text = (out / "tradeoffs.txt").read_text()
    assert "rich and poor: no meaningful difference on wellbeing & empowerment (output horizon)" in text
    assert "rich beats poor on wellbeing" not in text
    assert json.loads((out / "manifest.json").read_text())["settings"]["sesoi"]["wellbeing_output"]["value"] == 0.9
    assert f"SESOI ({sesoi} over analysis/effect_sizes.py)" in (out / "report.md").read_text()
