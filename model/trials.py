"""Randomised in-silico trials inside one run: assign citizens to arms, intervene, compare arms.

Assignment uses counter-based draws keyed by (seed, month, TRIAL_ASSIGNMENT + trial stream,
citizen), so assigning never consumes a draw that the model itself uses: the run is the same run
with some citizens' state changed, and the control arm is a true control. Arms get exact counts
(the eligible citizens with the smallest draws go to the first arm, the next to the second, and
so on), so a trial is balanced by construction and identical for the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coprod.agents.state import QUANTITIES
from coprod.core.streams import TRIAL_ASSIGNMENT, public_uniforms

CONTROL, NOT_ELIGIBLE = 0, -1
ELIGIBLE = ("everyone", "bottom_quintile")
OPERATIONS = ("add", "set")


@dataclass(frozen=True)
class Arm:
    """One treated arm: a share of the eligible citizens whose ``quantity`` is changed.

    ``operation`` 'add' adds ``amount`` and clips to the quantity's bounds (``agents/state.py``; [0, 1]
    for every quantity a trial may add to); 'set' sets it to ``amount``.
    """

    name: str
    share: float
    quantity: str
    operation: str
    amount: float | bool


@dataclass(frozen=True)
class TrialDesign:
    name: str
    stream: int  # distinct per trial, so trials never share assignment draws
    eligible: str  # one of ELIGIBLE
    arms: tuple[Arm, ...]


# The trials the pattern scorecard runs (docs/patterns.md explains each).
TRIALS: dict[str, TrialDesign] = {
    # Jakobsen 2013; Jakobsen & Andersen 2013: resources for disadvantaged families.
    "resources": TrialDesign("resources", 1, "bottom_quintile",
                             (Arm("treated", 0.5, "resources", "add", 0.3),)),
    # Thomsen & Jakobsen 2015: information about how to take part, nothing else.
    "information": TrialDesign("information", 2, "everyone",
                               (Arm("treated", 0.5, "informed", "set", True),)),
    # Slovic 1993: a bad and a good event of the same size.
    "trust": TrialDesign("trust", 3, "everyone",
                         (Arm("bad", 0.1, "trust", "add", -0.1), Arm("good", 0.1, "trust", "add", 0.1))),
    # A placebo: the resource trial with nothing given (its effect must be indistinguishable from 0).
    "placebo": TrialDesign("placebo", 4, "bottom_quintile",
                           (Arm("treated", 0.5, "resources", "add", 0.0),)),
}


def eligible_mask(design: TrialDesign, quintile: np.ndarray) -> np.ndarray:
    if design.eligible == "everyone":
        return np.ones(len(quintile), dtype=bool)
    if design.eligible == "bottom_quintile":
        return np.asarray(quintile) == 0
    raise ValueError(f"eligible: got {design.eligible!r}; allowed: {', '.join(ELIGIBLE)}")


def assign(seed: int, month: int, stream: int, eligible: np.ndarray, shares) -> np.ndarray:
    """Each citizen's arm: -1 not eligible, 0 control, k = the k-th treated arm (1-based).

    Arm k gets ``floor(share_k * n_eligible)`` citizens, drawn without replacement."""
    eligible = np.asarray(eligible, dtype=bool)
    n = len(eligible)
    draws = public_uniforms(seed, month, TRIAL_ASSIGNMENT + stream, np.arange(n))
    candidates = np.flatnonzero(eligible)
    order = candidates[np.argsort(draws[candidates], kind="stable")]
    labels = np.full(n, NOT_ELIGIBLE, dtype=np.int8)
    labels[candidates] = CONTROL
    start = 0
    for k, share in enumerate(shares, start=1):
        count = int(np.floor(share * len(candidates)))
        labels[order[start:start + count]] = k
        start += count
    return labels


def intervene(population, design: TrialDesign, labels: np.ndarray) -> None:
    """Apply each arm's change to its citizens through ``population.set_citizen_values``."""
    for k, arm in enumerate(design.arms, start=1):
        index = np.flatnonzero(labels == k)
        if arm.operation == "set":
            population.set_citizen_values(arm.quantity, index, np.full(len(index), arm.amount))
        elif arm.operation == "add":
            current = np.asarray(population.citizen_values(arm.quantity), dtype=np.float64)[index]
            low, high = QUANTITIES[arm.quantity].bounds  # added amounts stay within the declared bounds
            population.set_citizen_values(arm.quantity, index, np.clip(current + arm.amount, low, high))
        else:
            raise ValueError(f"operation: got {arm.operation!r}; allowed: {', '.join(OPERATIONS)}")


def start_trial(population, design: TrialDesign, seed: int, month: int) -> np.ndarray:
    """Assign (from the quintiles the population reports) and intervene; return the labels."""
    quintile = np.asarray(population.citizen_values("quintile"))
    labels = assign(seed, month, design.stream, eligible_mask(design, quintile), [a.share for a in design.arms])
    intervene(population, design, labels)
    return labels


def arm_difference(labels: np.ndarray, outcome: np.ndarray, arm: int = 1) -> float:
    """Mean outcome of arm ``arm`` minus the control arm's."""
    outcome = np.asarray(outcome, dtype=np.float64)
    return float(outcome[labels == arm].mean() - outcome[labels == CONTROL].mean())


def relative_effect(labels: np.ndarray, outcome: np.ndarray, arm: int = 1) -> float:
    """Treated mean over control mean, minus 1 (nan when the control mean is 0)."""
    outcome = np.asarray(outcome, dtype=np.float64)
    control = outcome[labels == CONTROL].mean()
    return float(outcome[labels == arm].mean() / control - 1.0) if control > 0 else float("nan")
