"""Effect sizes in every verdict: the four categories against a SESOI (known answers, and the TOST
recomputed here from the t distribution by hand), the SESOI table and its override file."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from coprod.analysis.effect_sizes import DEFAULT_SESOI, outcome_names, read_overrides
from coprod.analysis.statistics import effect_category
from coprod.experiments import cli
from coprod.model.outcomes import reporter_names


def textbook_tost(values, sesoi: float) -> tuple[float, float, float]:
    """p of 'above +sesoi', p of 'below -sesoi' and the TOST p, written out from the t distribution
    (Schuirmann 1987; as statsmodels' ``ttost_ind``/``ttost_paired`` compute it), not via SciPy's tests."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    mean, se = values.mean(), values.std(ddof=1) / math.sqrt(n)
    t = stats.t(df=n - 1)
    p_above = t.sf((mean - sesoi) / se)
    p_below = t.cdf((mean + sesoi) / se)
    p_lower = t.sf((mean + sesoi) / se)  # H0: mean <= -sesoi
    p_upper = t.cdf((mean - sesoi) / se)  # H0: mean >= +sesoi
    return p_above, p_below, max(p_lower, p_upper)


def test_an_effect_of_exactly_zero_is_negligible():
    assert effect_category(np.zeros(2), 0.01)["category"] == "negligible"
    assert effect_category(np.zeros(10), 0.01)["category"] == "negligible"


def test_a_noisy_zero_is_negligible_with_enough_replications_and_unclear_with_few():
    rng = np.random.default_rng(1)
    noise = rng.normal(0.0, 0.01, size=200)
    noise -= noise.mean()  # mean exactly 0, spread 0.01: well inside +-0.01 with 200, not with 3
    assert effect_category(noise, 0.01)["category"] == "negligible"
    assert effect_category(np.array([-0.01, 0.0, 0.01]), 0.01)["category"] == "unclear"  # 90% CI +-0.029


def test_large_effects_hold_or_reverse_and_noisy_ones_are_unclear():
    rng = np.random.default_rng(2)
    large = 0.5 + rng.normal(0.0, 0.05, size=5)
    assert effect_category(large, 0.01)["category"] == "holds"
    assert effect_category(-large, 0.01)["category"] == "reversed"
    noisy = 0.05 + rng.normal(0.0, 0.5, size=5)
    assert effect_category(noisy, 0.01)["category"] == "unclear"
    # Significant yet smaller than the SESOI: not "holds" (the bug this replaced counted signs).
    tiny = 0.0002 + rng.normal(0.0, 1e-5, size=10)
    assert effect_category(tiny, 0.01)["category"] == "negligible"
    assert effect_category(np.array([0.3]), 0.01)["category"] == "unclear"  # one replication: no spread


@pytest.mark.parametrize("seed", range(8))
def test_categories_match_the_textbook_tost(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 30))
    values = rng.normal(rng.uniform(-0.05, 0.05), rng.uniform(0.001, 0.05), size=n)
    sesoi = float(rng.uniform(0.005, 0.03))
    ours = effect_category(values, sesoi)
    p_above, p_below, p_tost = textbook_tost(values, sesoi)
    assert ours["p_above"] == pytest.approx(p_above, rel=1e-9)
    assert ours["p_below"] == pytest.approx(p_below, rel=1e-9)
    assert ours["p_equivalent"] == pytest.approx(p_tost, rel=1e-9)
    expected = ("holds" if p_above < 0.05 else "reversed" if p_below < 0.05 else
                "negligible" if p_tost < 0.05 else "unclear")
    assert ours["category"] == expected
    # TOST at 5% is the 90% interval inside (-sesoi, +sesoi).
    low, high = stats.t.interval(0.90, n - 1, loc=values.mean(), scale=stats.sem(values))
    assert (ours["category"] == "negligible") == (-sesoi < low and high < sesoi)


def test_every_outcome_has_a_sesoi_with_a_reason():
    assert set(reporter_names()) <= set(DEFAULT_SESOI) and list(DEFAULT_SESOI) == outcome_names()
    for name, sesoi in DEFAULT_SESOI.items():
        assert sesoi.value > 0 and len(sesoi.reason) > 20, name
    assert DEFAULT_SESOI["wellbeing_gini_long"].reason.startswith("one Gini point")
    assert DEFAULT_SESOI["initiatives"].value == 1 and not DEFAULT_SESOI["initiatives"].relative
    assert DEFAULT_SESOI["public_cost"].relative and DEFAULT_SESOI["public_cost"].threshold(50.0) == pytest.approx(1.0)


def test_override_file_replaces_only_what_it_names():
    table = read_overrides({"wellbeing_long": 0.05, "public_cost": {"relative": 0.1, "reason": "budget noise"}}, "f")
    assert table["wellbeing_long"].value == 0.05 and not table["wellbeing_long"].relative
    assert table["public_cost"].relative and table["public_cost"].reason == "budget noise"
    assert table["unmet_need"] == DEFAULT_SESOI["unmet_need"]


@pytest.mark.parametrize("text, fragment", [
    ("wellbeing_lng = 0.02\n", "key 'wellbeing_lng': unknown outcome"),
    ("wellbeing_long = -0.02\n", "key 'wellbeing_long': got -0.02; allowed: a number > 0"),
    ("wellbeing_long = { absolute = 0.1, relative = 0.1 }\n", "exactly one of 'absolute' or 'relative'"),
    ("wellbeing_long = true\n", "allowed: a number > 0"),
    ("wellbeing_long = \n", "malformed TOML"),
])
@pytest.mark.parametrize("command", [["claims", "--claim", "trust_precondition"], ["compare", "npm", "npg"]])
def test_bad_sesoi_file_is_one_line_exit_2_nothing_written(tmp_path, capsys, text, fragment, command):
    path = tmp_path / "sesoi.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert cli.main([*command, "--sesoi", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and fragment in err[0], err
    assert not out.exists() and not out.with_name("out.partial").exists()
