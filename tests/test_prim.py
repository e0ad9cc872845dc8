"""Scenario discovery holds up: PRIM finds a known box as EMA Workbench does, finds nothing in noise,
does not quote a box that resampling cannot reproduce, and says how many points a stable box needs."""

from __future__ import annotations

import numpy as np
import pytest

from coprod.analysis.prim import (
    LOWER,
    MIN_BOX_POINTS,
    UPPER,
    Box,
    BoxRule,
    Discovery,
    cart_box,
    check_rule,
    discover,
    peeling_trajectory,
    prim_box,
    quasi_p_values,
)
from coprod.core.errors import InputError

NAMES = ["a", "b", "c", "d"]
TRUTH = {("a", LOWER), ("b", UPPER)}  # the condition holds where a > 0.6 and b < 0.4

# EMA Workbench 2.5.3 (the newest release for Python 3.11; 3.0 needs 3.12), Prim(x, y, threshold=0.8)
# with its defaults, on synthetic(1000, seed): the trajectory box with the highest coverage whose
# density is >= 0.8. Columns: seed, a's lower limit, b's upper limit, density, coverage, quasi-p of
# a's lower and of b's upper limit; recorded by running EMA Workbench on these samples, so the
# comparison holds without it. test_matches_ema_workbench_live compares whole trajectories when
# ema-workbench is installed (pip install ema-workbench; not a project dependency: it pulls in
# platypus-opt, seaborn and statsmodels).
EMA_1000 = [
    (0, 0.6011, 0.4426, 0.8071, 0.6437, 2.07e-29, 2.39e-25),
    (1, 0.5892, 0.4092, 0.8155, 0.6493, 8.65e-33, 1.23e-27),
    (2, 0.6002, 0.4440, 0.8071, 0.7035, 3.93e-32, 2.19e-26),
    (3, 0.6004, 0.4610, 0.8235, 0.6696, 9.93e-37, 6.66e-30),
    (4, 0.5920, 0.4476, 0.8192, 0.6092, 1.10e-27, 2.65e-29),
]


def synthetic(n: int, seed: int, inputs: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Four (or ``inputs``) uniform inputs; the condition holds where a > 0.6 and b < 0.4; 10% of
    labels flipped."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, inputs))
    truth = (X[:, 0] > 0.6) & (X[:, 1] < 0.4)
    return X, truth ^ (rng.random(n) < 0.1)


def noise(n: int, seed: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 4)), rng.random(n) < rate


@pytest.mark.parametrize("seed, a_low, b_high, density, coverage, qp_a, qp_b", EMA_1000)
def test_known_box_at_1000_points_matches_ema_workbench(seed, a_low, b_high, density, coverage, qp_a, qp_b):
    found = discover(*synthetic(1000, seed), NAMES, seed=seed)
    box = found.box
    assert box.sides() == TRUTH, box.describe()
    assert box.limits["a"][0] == pytest.approx(a_low, abs=0.01)
    assert box.limits["b"][1] == pytest.approx(b_high, abs=0.01)
    assert box.density == pytest.approx(density, abs=0.02)
    assert box.coverage == pytest.approx(coverage, abs=0.03)
    # Quasi-p-values agree with EMA's to within a factor of ten (both are ~1e-25 and smaller).
    assert abs(np.log10(box.quasi_p["a"][0]) - np.log10(qp_a)) < 1
    assert abs(np.log10(box.quasi_p["b"][1]) - np.log10(qp_b)) < 1
    assert np.isnan(box.quasi_p["a"][1]) and np.isnan(box.quasi_p["b"][0])  # open sides get none
    # Stable under resampling: both true parameters reappear, the idle ones never.
    assert found.status == "stable" and found.stability >= 0.9
    assert found.reappearance["a"] >= 0.9 and found.reappearance["b"] >= 0.9
    assert found.reappearance["c"] == 0 and found.reappearance["d"] == 0
    assert found.holds_when() == box.describe() and box.describe().count(" and ") == 1


@pytest.mark.parametrize("n, seed", [(200, 0), (200, 4), (1000, 7)])
def test_matches_ema_workbench_live(n, seed):
    """The whole peeling and pasting trajectory equals an installed EMA Workbench's, and so does the
    box the rule picks (test-only; skipped without ema-workbench)."""
    prim = pytest.importorskip("ema_workbench.analysis.prim")
    import pandas as pd

    X, holds = synthetic(n, seed)
    ema = prim.Prim(pd.DataFrame(X, columns=NAMES), holds.astype(int), threshold=0.8).find_box()
    t = ema.peeling_trajectory
    ours, _, _ = peeling_trajectory(X, holds)
    np.testing.assert_allclose(ours["coverage"], t["coverage"].astype(float), atol=1e-12)
    np.testing.assert_allclose(ours["density"], t["density"].astype(float), atol=1e-12)
    np.testing.assert_array_equal(ours["restricted"], t["res_dim"].astype(int))
    step = int(t[t.density >= 0.8].coverage.idxmax())
    # The rule's first choice is EMA's; where that box loses the rule once its insignificant limits
    # are dropped (EMA quotes it anyway), ours steps on along the trajectory.
    box = prim_box(X, holds, NAMES)[1]
    assert (box.passed_over or [box.step])[0] == step


def test_densest_box_overfits_but_the_rule_does_not():
    """The old choice (densest box on the trajectory) restricts idle parameters; the rule does not."""
    X, holds = synthetic(1000, 0)
    trajectory, lows, highs = peeling_trajectory(X, holds)
    densest = int(trajectory["density"].idxmax())
    assert trajectory.loc[densest, "restricted"] > 2
    assert prim_box(X, holds, NAMES)[1].sides() == TRUTH


@pytest.mark.parametrize("n", [48, 200])
@pytest.mark.parametrize("rate", [0.3, 0.5, 0.7])
def test_no_box_in_pure_noise(n, rate):
    for seed in range(10):
        found = discover(*noise(n, seed, rate), NAMES, seed=seed)
        assert found.box is None or not found.box.limits, (seed, found.box.describe())
        assert found.holds_when() in ("no condition found", "anywhere in the sampled ranges")


def test_at_the_battery_size_a_box_is_never_quoted_and_the_needed_size_is_stated():
    """48 points (twice the battery's default 24 per claim) are too few for the known box: no seed quotes it;
    where PRIM finds a box it is marked indicative with a larger size that would make it stable."""
    statuses = []
    for seed in range(10):
        found = discover(*synthetic(48, seed), NAMES, seed=seed)
        statuses.append(found.status)
        assert found.status != "stable"
        if found.status == "unstable":
            assert found.holds_when() == "no stable condition found"
            assert found.points_needed is None or found.points_needed > 48
            assert found.summary()["box"] == found.box.describe() != ""
    assert "unstable" in statuses  # the indicative path is exercised, not only "no box"


def test_points_needed_is_a_size_where_the_box_turns_stable():
    """At 400 points the known box is found but not yet stable; the size the search asks for is
    enough for fresh samples of that size to give the true box stably."""
    found = next(f for seed in range(10)
                 if (f := discover(*synthetic(400, seed), NAMES, seed=seed)).status == "unstable")
    assert found.box.sides() == TRUTH and found.points_needed is not None and 400 < found.points_needed <= 3200
    stable = [discover(*synthetic(found.points_needed, 100 + s), NAMES, seed=s).status == "stable" for s in range(3)]
    assert sum(stable) >= 2, (found.points_needed, stable)


def test_quasi_p_marks_a_spurious_restriction():
    """Adding d < 0.72 to the true box changes its density by chance only: its quasi-p-value is
    large, while the true restrictions' are tiny; dropping insignificant limits removes it."""
    X, holds = synthetic(1000, 0)
    low, high = X.min(axis=0), X.max(axis=0)
    box_low, box_high = low.copy(), high.copy()
    box_low[0], box_high[1], box_high[3] = 0.6, 0.4, 0.72
    qp = quasi_p_values(X, holds, box_low, box_high, low, high)
    assert set(qp) == {(0, LOWER), (1, UPPER), (3, UPPER)}
    assert qp[(3, UPPER)] > 0.05 and qp[(0, LOWER)] < 1e-10 and qp[(1, UPPER)] < 1e-10


def test_same_seed_same_numbers():
    X, holds = synthetic(200, 3)
    first, again = discover(X, holds, NAMES, seed=11), discover(X, holds, NAMES, seed=11)
    assert first.summary() == again.summary()
    assert first.trajectory.equals(again.trajectory)


def test_cart_finds_the_known_box_and_nothing_in_noise():
    box = cart_box(*synthetic(1000, 0), NAMES, seed=0)
    assert box.sides() == TRUTH
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.03) and box.limits["b"][1] == pytest.approx(0.4, abs=0.03)
    assert box.density > 0.8 and box.coverage > 0.5
    assert sum(cart_box(*noise(200, seed, 0.5), NAMES, seed=seed) is not None for seed in range(5)) <= 1


def test_disagreement_is_named():
    prim = Box(limits={"a": (0.6, np.inf), "b": (-np.inf, 0.4)}, density=0.8, coverage=0.6, support=0.2, points=200)
    cart = Box(limits={"a": (0.6, np.inf), "d": (-np.inf, 0.7)}, density=0.8, coverage=0.6, support=0.2, points=200)
    found = Discovery(rule=BoxRule(), names=NAMES, n=1000, holding=300, trajectory=None, box=prim, cart=cart)
    assert found.agreement() == "disagree: only PRIM restricts b; only CART restricts d"
    found.cart = Box(limits={"b": (-np.inf, 0.4), "a": (0.6, np.inf)}, density=0.9, coverage=0.6, support=0.2,
                     points=200)
    assert found.agreement() == "agree"


def test_rule_can_be_changed():
    X, holds = synthetic(1000, 0)
    strict = discover(X, holds, NAMES, BoxRule(density=0.9), seed=0)
    assert strict.box is None or strict.box.density >= 0.85
    by_step = prim_box(X, holds, NAMES, BoxRule(step=5))[1]
    assert by_step.step == 5 and by_step.coverage > 0.9
    with pytest.raises(InputError, match="--box-step: got 500; allowed: 0 to"):
        prim_box(X, holds, NAMES, BoxRule(step=500))


@pytest.mark.parametrize("kwargs, message", [
    ({"density": 1.5}, "--box-density: got 1.5; allowed: a share in (0, 1]"),
    ({"density": 0.0}, "--box-density: got 0.0"),
    ({"coverage": -0.1}, "--box-coverage: got -0.1; allowed: a share in [0, 1]"),
    ({"step": -1}, "--box-step: got -1; allowed: an integer >= 0"),
])
def test_bad_rule_is_one_line_naming_the_option(kwargs, message):
    with pytest.raises(InputError) as err:
        check_rule(**kwargs)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert check_rule(density=0.7, coverage=0.2) == BoxRule(density=0.7, coverage=0.2)


def test_the_size_the_report_names_for_a_known_box_is_measured():
    """The report says a known condition needs about KNOWN_BOX_STABLE_POINTS for a stable box:
    nearly every sample that size is stable, and at half that size most are not."""
    from coprod.analysis.prim import KNOWN_BOX_STABLE_POINTS as size

    at_size = [discover(*synthetic(size, 200 + s), NAMES, seed=s).status == "stable" for s in range(5)]
    at_half = [discover(*synthetic(size // 2, 300 + s), NAMES, seed=s).status == "stable" for s in range(5)]
    assert sum(at_size) >= 4 and sum(at_half) <= 2, (at_size, at_half)


@pytest.mark.parametrize("n, inputs", [(200, 4), (200, 6), (500, 6)])
def test_a_box_meets_the_rule_after_its_insignificant_limits_are_dropped(n, inputs):
    """Dropping a limit widens the box; before the recheck, boxes of density 0.47-0.78 were quoted at
    these sizes (issue 24). Every box now meets the rule, and the steps that lost it were passed over."""
    names = [f"x{i}" for i in range(inputs)]
    rule = BoxRule()
    passed = 0
    for seed in range(10):
        X, holds = synthetic(n, seed, inputs)
        trajectory, box = prim_box(X, holds, names, rule)
        if box is None:
            continue
        assert box.density >= rule.density and box.coverage >= rule.coverage, (seed, box.density, box.coverage)
        inside = np.ones(n, dtype=bool)  # the box's numbers are its own, recomputed from its limits
        for j, name in enumerate(names):
            low, high = box.limits.get(name, (-np.inf, np.inf))
            inside &= (X[:, j] >= low) & (X[:, j] <= high)
        assert box.density == pytest.approx(holds[inside].mean()) and box.points == inside.sum()
        for step in box.passed_over:  # each passed-over step met the rule on the trajectory, before dropping
            row = trajectory.iloc[step]
            assert row["density"] >= rule.density - 1e-12 and row["coverage"] >= rule.coverage
            assert row["coverage"] >= trajectory.iloc[box.step]["coverage"]
        passed += bool(box.passed_over)
    if (n, inputs) == (200, 6):
        assert passed >= 1  # the step-back path is exercised on this known structure (measured: 2 of 10 seeds)


@pytest.mark.parametrize("inputs", [4, 6])
def test_points_needed_is_not_estimated_from_a_box_of_few_points(inputs):
    """At 48 points (the battery's default until 2026-12-02) a box holds about a dozen points, its
    density chosen for being high: simulating from it asked for 96-192 points where about 800 are
    needed. Now no such number is given."""
    names = [f"x{i}" for i in range(inputs)]
    unstable = 0
    for seed in range(20):
        found = discover(*synthetic(48, seed, inputs), names, seed=seed)
        if found.status != "unstable":
            continue
        unstable += 1
        if found.box.points < MIN_BOX_POINTS:
            assert found.points_needed is None and found.points_needed_status == "not estimable"
            assert found.summary()["points_needed_status"] == "not estimable"
        else:  # a big box at 48 points: a floor, never below twice the sample
            assert found.points_needed_status in ("at least", "beyond")
    assert unstable >= 1 or inputs == 6


def test_points_needed_is_a_floor_below_the_measured_need():
    """From 200 points of the known box (4 inputs), the floor the search gives is at most about the
    measured need (KNOWN_BOX_STABLE_POINTS, 800; the search doubles, so one step above is allowed)."""
    from coprod.analysis.prim import KNOWN_BOX_STABLE_POINTS as need

    floors = [f.points_needed for seed in range(8)
              if (f := discover(*synthetic(200, seed), NAMES, seed=seed)).points_needed_status == "at least"]
    assert floors and all(400 <= floor <= 2 * need for floor in floors), floors
