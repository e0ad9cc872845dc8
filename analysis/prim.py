"""Scenario discovery: where in parameter space does a condition hold, and does that answer hold up?

PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999), peels the sample: starting from
all points it repeatedly removes the ``alpha`` share of points at the low or high end of one
parameter, the peel that most raises the share of points where the condition holds per point
removed (the "lenient" objective of Kwakkel & Jaxa-Rozen 2016, the EMA Workbench default), then
pastes the last box out again while that raises the density. Every box on the way is kept: the
trajectory trades coverage (share of all holding points inside the box) against density (share of
the box's points where the condition holds).

A box is chosen from the trajectory by a stated rule (Bryant & Lempert 2010; Lempert, Bryant &
Bankes 2008): the highest coverage whose density reaches a threshold, and not below a coverage
floor; or a trajectory step the user picks. Each restriction of the box then gets a quasi-p-value,
the one-sided binomial test of the box's density against the density without that restriction
(Bryant & Lempert 2010, as computed by EMA Workbench, Kwakkel & Jaxa-Rozen 2016); restrictions that
are not significant are dropped, least significant first, and the box is checked against the rule
again (dropping a limit widens it); one that no longer meets it gives way to the rule's next step
on the trajectory, and so on until one does or none is left. The search is repeated on random halves
of the sample (seeded): how often each restricted parameter reappears, and the share of halves that
find the same restrictions (the box's stability), decide whether the box is quoted at all. For a
box that is not stable, samples of growing size are simulated from the box itself to say how many
points a stable answer would need at the least (a floor: the box chosen by the sample looks
cleaner than the truth), or that it cannot be estimated from a box of too few points.

A second method stands beside PRIM: a CART classification tree (Breiman et al. 1984; scikit-learn),
pruned by cross-validated cost complexity with the one-standard-error rule; its leaves are boxes,
and the leaf with the highest coverage that reaches the density threshold is compared with PRIM's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from coprod.core.errors import InputError

LOWER, UPPER = "lower", "upper"
# Points a synthetic claim (four inputs, condition a > 0.6 and b < 0.4, 10% noise) needs before
# its box passes the stability check in nearly every sample (measured; tests/test_prim.py holds it).
KNOWN_BOX_STABLE_POINTS = 800
# Below this many points inside a box, the points a stable box needs are not estimated at all: the
# Wilson 95% interval of the box's density is then wider than about +-0.15 around the rule's 0.8
# (20 of 25: 0.61-0.91), so the sample cannot tell whether the box meets the rule, and a box picked
# for its density from so few points looks far cleaner than it is. Measured on the known box above
# (tests/test_prim.py): at 48 points its boxes hold about 11 points and simulating from them asked
# for 96 points where about 800 are needed; from 100-200 points (boxes of 25-50 points) the floor
# came out at 400-1,600.
MIN_BOX_POINTS = 25


@dataclass(frozen=True)
class BoxRule:
    """How a box is chosen from the peeling trajectory and when it counts as an answer."""
    density: float = 0.8          # the box must hold the condition at >= this share of its points
    coverage: float = 0.3         # ... and hold >= this share of all points where the condition holds
    step: int | None = None       # or: this step of the trajectory, whatever its numbers
    significance: float = 0.05    # restrictions with a quasi-p-value above this are dropped
    resamples: int = 20           # random halves searched again for the stability check
    resample_share: float = 0.5   # EMA Workbench's resample default (half the points)
    stable_share: float = 0.7     # a box is stable when >= this share of halves restrict the same sides
    peel_alpha: float = 0.05      # share of the box's points removed per peel (Friedman & Fisher 1999)
    min_mass: float = 0.05        # peeling stops before the box keeps fewer than this share of the points

    def describe(self) -> str:
        if self.step is not None:
            return f"trajectory step {self.step}"
        return (f"the highest coverage whose density is >= {self.density:.0%}, with coverage >= "
                f"{self.coverage:.0%}")


def check_rule(density: float | None = None, coverage: float | None = None, step: int | None = None,
               **others) -> BoxRule:
    """A ``BoxRule`` from command-line values; one-line ``InputError`` naming the bad option."""
    if density is not None and not (0 < density <= 1):
        raise InputError(f"--box-density: got {density}; allowed: a share in (0, 1], e.g. 0.8")
    if coverage is not None and not (0 <= coverage <= 1):
        raise InputError(f"--box-coverage: got {coverage}; allowed: a share in [0, 1], e.g. 0.3")
    if step is not None and step < 0:
        raise InputError(f"--box-step: got {step}; allowed: an integer >= 0 (0 is the whole sample)")
    values = {k: v for k, v in (("density", density), ("coverage", coverage), ("step", step)) if v is not None}
    return BoxRule(**values, **others)


@dataclass
class Box:
    limits: dict[str, tuple[float, float]]  # only the parameters the box restricts; -inf/inf = open side
    density: float  # share of points inside the box where the condition holds
    coverage: float  # share of all holding points that fall inside the box
    support: float  # share of all points inside the box
    points: int  # number of points inside the box
    quasi_p: dict[str, tuple[float, float]] = field(default_factory=dict)  # per side; nan = open side
    step: int | None = None  # index on the peeling trajectory (None: a CART leaf)
    passed_over: list[int] = field(default_factory=list)  # earlier choices that lost the rule once limits dropped

    def describe(self) -> str:
        """Readable conditions, e.g. 'critical_mass < 0.12 and facilitation_skill > 0.4'."""
        parts = []
        for name, (low, high) in self.limits.items():
            if np.isfinite(low):
                parts.append(f"{name} > {low:.3g}")
            if np.isfinite(high):
                parts.append(f"{name} < {high:.3g}")
        return " and ".join(parts) if parts else "anywhere in the sampled ranges"

    def sides(self) -> frozenset[tuple[str, str]]:
        """The restrictions as (parameter, side) pairs: what a resample must reproduce."""
        return frozenset((name, side) for name, (low, high) in self.limits.items()
                         for side, value in ((LOWER, low), (UPPER, high)) if np.isfinite(value))

    def describe_quasi_p(self) -> str:
        """'a > 0.61 (p 2e-29), b < 0.44 (p 2e-25)': each restriction with its quasi-p-value."""
        parts = []
        for name, (low, high) in self.limits.items():
            p_low, p_high = self.quasi_p.get(name, (np.nan, np.nan))
            if np.isfinite(low):
                parts.append(f"{name} > {low:.3g} (p {p_low:.2g})")
            if np.isfinite(high):
                parts.append(f"{name} < {high:.3g} (p {p_high:.2g})")
        return ", ".join(parts)


@dataclass
class Discovery:
    """PRIM's box, its checks and CART's box for one condition on one sample."""
    rule: BoxRule
    names: list[str]
    n: int
    holding: int
    trajectory: pd.DataFrame  # step, coverage, density, support, restricted (count of parameters)
    box: Box | None  # PRIM's box by the rule, insignificant restrictions dropped (None: no box)
    stability: float = float("nan")  # share of resamples that restrict the same sides
    reappearance: dict[str, float] = field(default_factory=dict)  # parameter -> share of resamples
    cart: Box | None = None
    points_needed: int | None = None  # a floor on the sample size at which this box would be stable
    points_needed_status: str = ""  # "at least", "beyond" (never stable up to 10,000), "not estimable" or ""

    @property
    def status(self) -> str:
        """'stable' (quoted), 'unstable' (a box, but not reproduced by resampling) or 'none'."""
        if self.box is None:
            return "none"
        return "stable" if self.stability >= self.rule.stable_share else "unstable"

    def agreement(self) -> str:
        """Whether PRIM and CART name the same restrictions, in words."""
        prim = self.box.sides() if self.box is not None and self.box.limits else frozenset()
        cart = self.cart.sides() if self.cart is not None and self.cart.limits else frozenset()
        if prim == cart:
            return "agree" if prim else "agree: neither finds a box"
        only_prim = sorted({name for name, _ in prim - cart})
        only_cart = sorted({name for name, _ in cart - prim})
        words = []
        if only_prim:
            words.append(f"only PRIM restricts {', '.join(only_prim)}")
        if only_cart:
            words.append(f"only CART restricts {', '.join(only_cart)}")
        if not words:
            words.append("they restrict the same parameters on different sides")
        return "disagree: " + "; ".join(words)

    def holds_when(self) -> str:
        """What a report may quote: the box when it is stable, otherwise say so."""
        if self.box is None:
            return "no condition found"
        if self.status == "stable":
            return self.box.describe()
        return "no stable condition found"

    def summary(self) -> dict:
        """Flat fields for a results table."""
        box, cart = self.box, self.cart
        return {
            "box_status": self.status, "holds_when": self.holds_when(),
            "box": box.describe() if box else "", "box_density": box.density if box else float("nan"),
            "box_coverage": box.coverage if box else float("nan"),
            "box_quasi_p": box.describe_quasi_p() if box else "",
            "box_stability": self.stability,
            "box_reappearance": ", ".join(f"{k} {v:.0%}" for k, v in self.reappearance.items()),
            "box_step": box.step if box else -1, "box_rule": self.rule.describe(),
            "points_needed": self.points_needed or 0, "points_needed_status": self.points_needed_status,
            "box_passed_over": ", ".join(str(step) for step in box.passed_over) if box else "",
            "cart_box": cart.describe() if cart else "", "cart_density": cart.density if cart else float("nan"),
            "cart_coverage": cart.coverage if cart else float("nan"), "methods_agree": self.agreement(),
        }


# --- PRIM --------------------------------------------------------------------------------------------

def _cut(values: np.ndarray, alpha: float, side: str) -> float:
    """The peel's limit: the alpha-quantile of the box's values, moved to a midpoint between two
    distinct values so that ties (integer parameters) are never split (as sdtoolkit and EMA do)."""
    data = np.sort(values)
    i = (len(data) - 1) * (alpha if side == LOWER else 1 - alpha)
    lo, hi = math.floor(i), math.ceil(i)
    if side == LOWER:
        while data[lo] == data[hi] and hi < len(data) - 1:
            hi += 1
    else:
        while data[lo] == data[hi] and lo > 0:
            lo -= 1
    return float((data[lo] + data[hi]) / 2)


def _inside(X: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.all((X >= low) & (X <= high), axis=1)


def _best_peel(X: np.ndarray, holds: np.ndarray, inside: np.ndarray, low: np.ndarray, high: np.ndarray,
               full_low: np.ndarray, full_high: np.ndarray, alpha: float):
    """The peel with the largest gain in density per point removed, as ``((gain, restricts no new
    parameter), column, side, cut, points kept)``; None when no peel removes some but not all points."""
    count, density = int(inside.sum()), float(holds[inside].mean())
    best = None
    for j in range(X.shape[1]):
        values = X[inside, j]
        if values.min() == values.max():
            continue
        for side in (UPPER, LOWER):  # on a tie the first candidate wins, as in EMA Workbench
            cut = _cut(values, alpha, side)
            keep = inside & ((X[:, j] >= cut) if side == LOWER else (X[:, j] <= cut))
            kept = int(keep.sum())
            if kept == 0 or kept == count:
                continue
            gain = (float(holds[keep].mean()) - density) / (count - kept)
            new_dimension = low[j] == full_low[j] and high[j] == full_high[j]
            key = (gain, not new_dimension)
            if best is None or key > best[0]:
                best = (key, j, side, cut, keep)
    return best


def _best_paste(X: np.ndarray, holds: np.ndarray, inside: np.ndarray, low: np.ndarray, high: np.ndarray,
                full_low: np.ndarray, full_high: np.ndarray, alpha: float):
    """The paste (alpha of the points just outside one limit) with the largest gain in density per
    point added, as ``(gain, lower limits, upper limits, points inside)``; None when none adds a point."""
    count, density = int(inside.sum()), float(holds[inside].mean())
    best = None
    for j in range(X.shape[1]):
        for side, bound, full in ((LOWER, low, full_low), (UPPER, high, full_high)):
            if bound[j] == full[j]:
                continue
            outside_low, outside_high = low.copy(), high.copy()
            if side == LOWER:
                outside_low[j], outside_high[j] = full_low[j], low[j]
            else:
                outside_low[j], outside_high[j] = high[j], full_high[j]
            candidates = _inside(X, outside_low, outside_high) & ~inside
            if not candidates.any():
                continue
            # The (1 - alpha) quantile of the points below the lower limit is the alpha share nearest it.
            cut = _cut(X[candidates, j], alpha, UPPER if side == LOWER else LOWER)
            trial_low, trial_high = low.copy(), high.copy()
            (trial_low if side == LOWER else trial_high)[j] = cut
            keep = _inside(X, trial_low, trial_high)
            added = int(keep.sum()) - count
            if added <= 0:
                continue
            gain = (float(holds[keep].mean()) - density) / added
            if best is None or gain > best[0]:
                best = (gain, trial_low, trial_high, keep)
    return best


def peeling_trajectory(X: np.ndarray, holds: np.ndarray, alpha: float = 0.05,
                       min_mass: float = 0.05) -> tuple[pd.DataFrame, list[np.ndarray], list[np.ndarray]]:
    """Every box on PRIM's peeling and pasting trajectory (Friedman & Fisher 1999), step 0 being the
    whole sample.

    Each step takes the peel with the largest gain in density per point removed (Kwakkel &
    Jaxa-Rozen 2016's lenient objective); ties go to the peel that restricts no new parameter. The
    last box is then pasted, as EMA Workbench does. Returns the trajectory table and each step's
    lower and upper limits."""
    X = np.asarray(X, dtype=np.float64)
    holds = np.asarray(holds, dtype=bool)
    n = len(X)
    total = max(int(holds.sum()), 1)
    full_low, full_high = X.min(axis=0), X.max(axis=0)
    low, high = full_low.copy(), full_high.copy()
    inside = np.ones(n, dtype=bool)
    lows, highs, rows = [], [], []

    def record():
        count = int(inside.sum())
        restricted = int(np.sum((low > full_low) | (high < full_high)))
        rows.append({"step": len(rows), "coverage": float(holds[inside].sum() / total),
                     "density": float(holds[inside].mean()) if count else 0.0, "support": count / n,
                     "points": count, "restricted": restricted})
        lows.append(low.copy())
        highs.append(high.copy())

    record()
    while (peel := _best_peel(X, holds, inside, low, high, full_low, full_high, alpha)) is not None:
        (gain, _), j, side, cut, keep = peel
        if gain <= 0 or keep.sum() / n < min_mass:
            break
        inside = keep
        if side == LOWER:
            low[j] = cut
        else:
            high[j] = cut
        record()
    # Pasting (Friedman & Fisher 1999): widen the last box again, alpha of the points just outside
    # one limit at a time, while that raises the density; each paste is a further trajectory step.
    while (paste := _best_paste(X, holds, inside, low, high, full_low, full_high, alpha)) is not None \
            and paste[0] > 0:
        _, low, high, inside = paste
        record()
    return pd.DataFrame(rows), lows, highs


def candidate_steps(trajectory: pd.DataFrame, rule: BoxRule) -> list[int]:
    """The steps that meet the rule, in the rule's order of preference: highest coverage with
    density >= threshold and coverage >= floor first (ties: fewer restricted parameters, then the
    earlier step). A step chosen by hand is the only candidate."""
    if rule.step is not None:
        if rule.step >= len(trajectory):
            raise InputError(f"--box-step: got {rule.step}; allowed: 0 to {len(trajectory) - 1} "
                             "(the steps of this trajectory)")
        return [rule.step]
    ok = trajectory[(trajectory["density"] >= rule.density - 1e-12) & (trajectory["coverage"] >= rule.coverage)]
    return [int(step) for step in ok.sort_values(["coverage", "restricted", "step"], ascending=[False, True, True],
                                                 kind="stable")["step"]]


def meets_rule(box: Box, rule: BoxRule) -> bool:
    """Whether a box (after its insignificant limits are dropped) still has the density and coverage
    the rule asks of it; a step chosen by hand is taken as it is."""
    return rule.step is not None or (box.density >= rule.density - 1e-12 and box.coverage >= rule.coverage)


def quasi_p_values(X: np.ndarray, holds: np.ndarray, low: np.ndarray, high: np.ndarray,
                   full_low: np.ndarray, full_high: np.ndarray) -> dict[tuple[int, str], float]:
    """Quasi-p-value of each restricted side: a one-sided binomial test that the box's density
    exceeds the density of the same box without that restriction (Bryant & Lempert 2010;
    Kwakkel & Jaxa-Rozen 2016)."""
    inside = _inside(X, low, high)
    k, m = int(holds[inside].sum()), int(inside.sum())
    result = {}
    for j in range(X.shape[1]):
        for side, bound, full in ((LOWER, low, full_low), (UPPER, high, full_high)):
            if bound[j] == full[j]:
                continue
            trial_low, trial_high = low.copy(), high.copy()
            (trial_low if side == LOWER else trial_high)[j] = full[j]
            without = _inside(X, trial_low, trial_high)
            p_without = float(holds[without].mean())
            result[(j, side)] = 1.0 if m == 0 or p_without >= 1 else float(
                binomtest(k, m, p_without, alternative="greater").pvalue)
    return result


def _make_box(X, holds, names, low, high, full_low, full_high, step, qp=None) -> Box:
    inside = _inside(X, low, high)
    count = int(inside.sum())
    qp = quasi_p_values(X, holds, low, high, full_low, full_high) if qp is None else qp
    limits, quasi = {}, {}
    for j, name in enumerate(names):
        if low[j] > full_low[j] or high[j] < full_high[j]:
            limits[name] = (float(low[j]) if low[j] > full_low[j] else -np.inf,
                            float(high[j]) if high[j] < full_high[j] else np.inf)
            quasi[name] = (qp.get((j, LOWER), np.nan), qp.get((j, UPPER), np.nan))
    return Box(limits=limits, density=float(holds[inside].mean()) if count else 0.0,
               coverage=float((holds & inside).sum() / max(int(holds.sum()), 1)), support=count / len(holds),
               points=count, quasi_p=quasi, step=step)


def prim_box(X: np.ndarray, holds: np.ndarray, names: list[str],
             rule: BoxRule = BoxRule()) -> tuple[pd.DataFrame, Box | None]:
    """The trajectory and the box the rule picks from it, with restrictions whose quasi-p-value
    exceeds ``rule.significance`` dropped one at a time, least significant first.

    Dropping a limit widens the box, so its density and coverage are checked against the rule
    again; a box that no longer meets it is passed over and the rule's next step on the trajectory
    is tried (stepping back along the trajectory, towards denser boxes of less coverage), until one
    meets the rule with significant limits or none is left (no box). The steps passed over are
    kept on the box (``passed_over``) so the report can say so."""
    X = np.asarray(X, dtype=np.float64)
    holds = np.asarray(holds, dtype=bool)
    trajectory, lows, highs = peeling_trajectory(X, holds, rule.peel_alpha, rule.min_mass)
    passed_over = []
    for step in candidate_steps(trajectory, rule):
        box = _significant_box(X, holds, names, lows[step], highs[step], step, rule.significance)
        if box is not None and meets_rule(box, rule):
            box.passed_over = passed_over
            return trajectory, box
        passed_over.append(step)
    return trajectory, None


def _significant_box(X, holds, names, low, high, step, significance) -> Box | None:
    """The box between ``low`` and ``high`` with insignificant limits dropped (None when every limit
    was noise). Its density and coverage are not checked here: ``prim_box`` checks them against
    the rule."""
    full_low, full_high = X.min(axis=0), X.max(axis=0)
    low, high = low.copy(), high.copy()
    restricted_at_start = bool(np.any((low > full_low) | (high < full_high)))
    while True:
        qp = quasi_p_values(X, holds, low, high, full_low, full_high)
        if not qp:
            break
        (j, side), worst = max(qp.items(), key=lambda item: (item[1], -item[0][0]))
        if worst <= significance:
            break
        if side == LOWER:
            low[j] = full_low[j]
        else:
            high[j] = full_high[j]
    if restricted_at_start and not qp:
        return None  # every restriction was noise: there is no box, not a box "anywhere"
    return _make_box(X, holds, names, low, high, full_low, full_high, step, qp)


def resample_stability(X: np.ndarray, holds: np.ndarray, names: list[str], box: Box, rule: BoxRule,
                       rng: np.random.Generator) -> tuple[float, dict[str, float]]:
    """Repeat the search on ``rule.resamples`` random subsets of ``rule.resample_share`` of the
    points (Bryant & Lempert 2010; EMA Workbench's ``resample``). Returns the share of subsets whose
    box restricts exactly the same (parameter, side) pairs, and per parameter the share of subsets
    whose box restricts it. With a trajectory step chosen by hand, each subset takes the step whose
    coverage is nearest to the box's."""
    n = len(holds)
    size = max(2, int(round(n * rule.resample_share)))
    same, seen = 0, dict.fromkeys(names, 0)
    target = box.sides()
    for _ in range(rule.resamples):
        index = np.sort(rng.choice(n, size=size, replace=False))
        Xs, ys = X[index], holds[index]
        if ys.all() or not ys.any():
            continue
        if rule.step is None:
            _, found = prim_box(Xs, ys, names, rule)
        else:
            trajectory, lows, highs = peeling_trajectory(Xs, ys, rule.peel_alpha, rule.min_mass)
            step = int((trajectory["coverage"] - box.coverage).abs().idxmin())
            found = _significant_box(Xs, ys, names, lows[step], highs[step], step, rule.significance)
        if found is None:
            continue
        same += found.sides() == target
        for name in found.limits:
            seen[name] += 1
    return same / rule.resamples, {name: seen[name] / rule.resamples for name in names}


def points_needed(X: np.ndarray, holds: np.ndarray, names: list[str], box: Box, rule: BoxRule,
                  rng: np.random.Generator, limit: int = 10_000) -> int | None:
    """A floor on how many points a stable answer would need: the size at which the pattern would
    turn stable if it were exactly this box. Samples of 2, 4, 8, ... times the current size are
    simulated (parameters uniform over the sampled ranges, the condition holding at the box's
    density inside it and at the observed rate outside) and searched with the same rule; the first
    size at which two of three simulated samples find the same box and pass the stability check is
    returned (one lucky draw is not enough), None when no size up to ``limit`` points does.

    Why a floor, not an estimate: the box was chosen because it is dense, so its density is
    overstated and the rate outside it understated (selection), and the simulation takes that too
    clean contrast as the truth; the real need is this many points or more. Call it only when
    ``estimable``: from a box of fewer than ``MIN_BOX_POINTS`` points even the floor is not
    estimable (see there)."""
    X = np.asarray(X, dtype=np.float64)
    holds = np.asarray(holds, dtype=bool)
    full_low, full_high = X.min(axis=0), X.max(axis=0)
    low = np.maximum([box.limits.get(name, (-np.inf, np.inf))[0] for name in names], full_low)
    high = np.minimum([box.limits.get(name, (-np.inf, np.inf))[1] for name in names], full_high)
    inside = _inside(X, low, high)
    outside_rate = float(holds[~inside].mean()) if (~inside).any() else 0.0
    def stable_at(size: int) -> bool:
        Xs = full_low + rng.random((size, len(names))) * (full_high - full_low)
        ys = rng.random(size) < np.where(_inside(Xs, low, high), box.density, outside_rate)
        if not 0 < ys.sum() < size:
            return False
        _, found = prim_box(Xs, ys, names, rule)
        return (found is not None and found.sides() == box.sides()
                and resample_stability(Xs, ys, names, found, rule, rng)[0] >= rule.stable_share)

    size = 2 * len(holds)
    while size <= limit:
        if stable_at(size) + stable_at(size) + stable_at(size) >= 2:
            return size
        size *= 2
    return None


# --- CART --------------------------------------------------------------------------------------------

def cart_box(X: np.ndarray, holds: np.ndarray, names: list[str], rule: BoxRule = BoxRule(),
             seed: int = 0) -> Box | None:
    """CART's box (Breiman et al. 1984): a classification tree pruned by cross-validated cost
    complexity (the largest penalty within one standard error of the best score, so noise gives no
    split); of the leaves that reach ``rule.density``, the one with the highest coverage (at least
    ``rule.coverage``). None when no leaf qualifies or the pruned tree does not split."""
    # scikit-learn costs 2.1-2.3 s to import on top of this module (python -X importtime, under load):
    # claims and compare import this module for the box rule and its input checks, and fit a tree
    # only after their runs, so `--help` and a bad option answer without it.
    from sklearn.model_selection import StratifiedKFold  # noqa: PLC0415 - start-up cost, above
    from sklearn.tree import DecisionTreeClassifier  # noqa: PLC0415 - start-up cost, above

    X = np.asarray(X, dtype=np.float64)
    holds = np.asarray(holds, dtype=bool)
    n = len(holds)
    minority = int(min(holds.sum(), n - holds.sum()))
    if minority < 2:
        return None
    leaf = max(2, int(math.ceil(rule.min_mass * n)))
    path = DecisionTreeClassifier(min_samples_leaf=leaf, random_state=seed).cost_complexity_pruning_path(X, holds)
    alphas = np.unique(path.ccp_alphas)
    if len(alphas) > 25:  # enough candidates to find the knee, few enough to stay quick at 1,000 points
        alphas = np.unique(np.quantile(alphas, np.linspace(0, 1, 25), method="nearest"))
    folds = list(StratifiedKFold(n_splits=min(5, minority), shuffle=True, random_state=seed).split(X, holds))
    # Plain fit/score loops: cross_val_score's overhead is most of the time on a few hundred points.
    scores = np.array([[DecisionTreeClassifier(min_samples_leaf=leaf, ccp_alpha=a, random_state=seed)
                        .fit(X[train], holds[train]).score(X[test], holds[test]) for train, test in folds]
                       for a in alphas])
    means, errors = scores.mean(axis=1), scores.std(axis=1, ddof=1) / np.sqrt(scores.shape[1])
    best = int(np.argmax(means))
    alpha = alphas[np.flatnonzero(means >= means[best] - errors[best]).max()]
    tree = DecisionTreeClassifier(min_samples_leaf=leaf, ccp_alpha=alpha, random_state=seed).fit(X, holds).tree_
    if tree.node_count == 1:
        return None
    full_low, full_high = X.min(axis=0), X.max(axis=0)
    leaves = []

    def walk(node, low, high):
        if tree.children_left[node] == -1:
            leaves.append((low, high))
            return
        j, threshold = tree.feature[node], tree.threshold[node]
        left_high, right_low = high.copy(), low.copy()
        left_high[j] = min(high[j], threshold)  # sklearn sends x <= threshold left
        right_low[j] = max(low[j], threshold)
        walk(tree.children_left[node], low, left_high)
        walk(tree.children_right[node], right_low, high)

    walk(0, full_low.copy(), full_high.copy())
    boxes = []
    for low, high in leaves:
        box = _make_box(X, holds, names, low, high, full_low, full_high, None)
        if box.density >= rule.density and box.coverage >= rule.coverage:
            boxes.append(box)
    return max(boxes, key=lambda b: (b.coverage, -len(b.limits)), default=None)


# --- together ----------------------------------------------------------------------------------------

def discover(X: np.ndarray, holds: np.ndarray, names: list[str], rule: BoxRule = BoxRule(),
             seed: int | np.random.SeedSequence = 0) -> Discovery:
    """PRIM's box by the rule with its quasi-p-values and resampling stability, and CART's box;
    everything random draws from ``seed``, so the same seed gives the same numbers."""
    X = np.asarray(X, dtype=np.float64)
    holds = np.asarray(holds, dtype=bool)
    stream = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    resample_stream, cart_stream, size_stream = stream.spawn(3)
    trajectory, box = prim_box(X, holds, names, rule)
    found = Discovery(rule=rule, names=list(names), n=len(holds), holding=int(holds.sum()),
                      trajectory=trajectory, box=box)
    if box is not None and box.limits:
        found.stability, found.reappearance = resample_stability(X, holds, names, box, rule,
                                                                 np.random.default_rng(resample_stream))
        if found.status != "stable" and box.points < MIN_BOX_POINTS:
            found.points_needed_status = "not estimable"
        elif found.status != "stable":
            found.points_needed = points_needed(X, holds, names, box, rule, np.random.default_rng(size_stream))
            found.points_needed_status = "at least" if found.points_needed else "beyond"
    elif box is not None:  # the whole sample already reaches the density: nothing to restrict
        found.stability = 1.0
    found.cart = cart_box(X, holds, names, rule, int(cart_stream.generate_state(1)[0] % 2**31))
    return found


def plot_trajectory(ax, found: Discovery) -> None:
    """Coverage against density along the peeling trajectory, coloured by the number of restricted
    parameters, with the rule's thresholds and the chosen box marked."""
    t = found.trajectory
    most = max(1, int(t["restricted"].max()))
    points = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=12, vmin=0, vmax=most)
    if found.rule.step is None:
        ax.axhline(found.rule.density, color="#888888", lw=0.8, ls="--")
        ax.axvline(found.rule.coverage, color="#888888", lw=0.8, ls=":")
    if found.box is not None and found.box.step is not None:
        row = t.iloc[found.box.step]
        ax.scatter([row["coverage"]], [row["density"]], s=60, facecolors="none", edgecolors="#c44e52", lw=1.5,
                   label=f"step {found.box.step} ({found.status})")
        ax.scatter([found.box.coverage], [found.box.density], s=30, marker="x", color="#c44e52",
                   label="after dropping insignificant limits")
        ax.legend(fontsize=6, frameon=False, loc="lower left")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("PRIM peeling trajectory", fontsize=8)
    ax.figure.colorbar(points, ax=ax, label="restricted parameters", fraction=0.05, ticks=range(most + 1))


def box_rule(manifest: dict, claim: str | None = None) -> BoxRule:
    """The box rule a battery's manifest records (defaults for manifests written before it did)."""
    recorded = manifest.get("scenario_discovery", {})
    return BoxRule(density=recorded.get("density", BoxRule.density),
                   coverage=recorded.get("coverage", BoxRule.coverage),
                   step=recorded.get("steps", {}).get(claim))
