"""compare --robust says where each strategy is best, with the same checks as the claims report:
PRIM's box with quasi-p-values and stability, CART beside it, nothing quoted that does not hold up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.experiments.cli import main
from coprod.experiments.compare import where_best
from coprod.model.outcomes import DIMENSIONS

SETTINGS = {"seed": 3, "box_rule": {"density": 0.8, "coverage": 0.3}}


def robust_runs(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Strategy 'open' beats 'closed' on every dimension where trust_loss_rate < 0.15 and
    budget_per_citizen > 1.2 (40% and 60% along their ranges), with 10% of points flipped."""
    rng = np.random.default_rng(seed)
    points = pd.DataFrame({"trust_loss_rate": 0.05 + 0.25 * rng.random(n),
                           "budget_per_citizen": 0.6 + 1.0 * rng.random(n),
                           "outreach": rng.random(n)})
    wins = (((points["trust_loss_rate"] < 0.15) & (points["budget_per_citizen"] > 1.2)).to_numpy()
            ^ (rng.random(n) < 0.1))
    rows = []
    for label, value in (("open", np.where(wins, 1.0, 0.0)), ("closed", np.full(n, 0.5))):
        for i in range(n):
            rows.append({"strategy": label, "point": i, **{f"{d}_long": value[i] for d in DIMENSIONS}})
    return pd.DataFrame(rows), points


def test_where_a_strategy_is_best_is_found_and_checked():
    runs, points = robust_runs(800)
    table = where_best(runs, points, ["open", "closed"], "long", SETTINGS)
    row = table.set_index(["dimension", "strategy"]).loc[(DIMENSIONS[0], "open")]
    assert row.box_status == "stable" and row.box_stability >= 0.7
    assert sorted(c.split(" ")[:2] for c in row.holds_when.split(" and ")) == [["budget_per_citizen", ">"],
                                                                               ["trust_loss_rate", "<"]]
    assert row.box_quasi_p.count("(p ") == 2 and row.methods_agree == "agree"
    assert row.best_points == int(runs[(runs.strategy == "open")][f"{DIMENSIONS[0]}_long"].eq(1.0).sum())
    again = where_best(runs, points, ["open", "closed"], "long", SETTINGS)
    pd.testing.assert_frame_equal(table, again)  # seeded resampling: same numbers


def test_twenty_points_quote_no_box():
    runs, points = robust_runs(20)
    boxes = where_best(runs, points, ["open", "closed"], "long", SETTINGS)
    assert (not (boxes["box_status"] == "stable").any()
            or (boxes.loc[boxes.box_status == "stable", "box"] == "anywhere in the sampled ranges").all())


def test_robust_report_shows_the_boxes(tmp_path):
    base = tmp_path
    for name, budget in (("rich", 2.5), ("poor", 0.6)):
        (base / f"{name}.toml").write_text(f'description = "budget {budget}"\nparadigm = "npg"\n[parameters]\n'
                                           f'budget_per_citizen = {budget}\n[uncertain]\n'
                                           'trust_loss_rate = [0.05, 0.3]\n'
                                           'outreach = [0.0, 1.0]\n', encoding="utf-8")
    out = base / "report"
    assert main(["compare", str(base / "rich.toml"), str(base / "poor.toml"), "--citizens", "100", "--steps", "6",
                 "--replications", "2", "--engine", "agents", "--quiet", "--robust", "--samples", "8",
                 "--box-density", "0.7", "--out", str(out)]) == 0
    boxes = pd.read_csv(out / "robust_boxes.csv")
    assert len(boxes) == 2 * len(DIMENSIONS) and (
        {"box_status", "box_quasi_p", "box_stability", "cart_box"} <= set(boxes))
    report = (out / "report.md").read_text()
    assert "### Where each strategy is best" in report and "density is >= 70%" in report
    assert "Kwakkel & Jaxa-Rozen 2016" in report and "| PRIM vs CART |" in report
    assert "Where each strategy is best" in (out / "report.html").read_text()
    assert "--box-density 0.7" in (out / "manifest.json").read_text()


@pytest.mark.parametrize("option, fragment",
                         [(["--box-density", "1.5"], "--box-density: got 1.5; allowed: a share in (0, 1]"),
                                              (["--box-coverage", "-1"], "--box-coverage: got -1.0")])
def test_bad_box_option_is_one_line_and_writes_nothing(tmp_path, capsys, option, fragment):
    out = tmp_path / "out"
    assert main(["compare", "npm", "npg_collective", "--robust", *option, "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert list(tmp_path.iterdir()) == []
