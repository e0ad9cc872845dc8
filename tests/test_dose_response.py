"""Dose-response of every lever over its declared range: the direction theory gives, or a finding.

Each case moves one lever (or a population parameter the done-when of issue 23 names) over doses
inside its declared range, with everything else fixed and the same seed (the model has exact
common random numbers, so doses differ only where the lever changes behaviour), and asserts the
direction theory gives on one outcome, strictly at every step. Where theory gives no direction a
case says so and asserts only that the lever moves something. A flat response is never silently
accepted: ``FLAT`` lists the flat responses the model shows and whether each is a defect or a
documented finding (docs/ODD.md, "Dose-response of the levers").

Small and short on purpose (200 citizens, 36 months, one seed: about 0.3 s a run once compiled),
parametrised so that pytest-xdist can spread the cases.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import pytest

from coprod.core.parameters import PARAMETERS
from coprod.model.model import CoProductionModel

CITIZENS, MONTHS, SEED = 200, 36, 1


@functools.cache
def _outcomes(settings: tuple) -> dict[str, float]:
    model = CoProductionModel(seed=SEED, n_citizens=CITIZENS, **dict(settings))
    for _ in range(MONTHS):
        model.step()
    outcomes = dict(model.outcomes)
    model.forget()
    return outcomes


def outcome_at(base: dict, lever: str, dose: Any, outcome: str) -> float:
    values = _outcomes(tuple(sorted({**base, lever: dose}.items())))
    return sum(values[name] for name in outcome.split("+"))


@dataclass(frozen=True)
class Dose:
    lever: str
    doses: tuple
    outcome: str  # an outcome name, or names joined by '+' (their sum)
    direction: str  # 'up' or 'down' (theory's), or 'none' (no theory: it must move, either way)
    why: str  # the theory and its source, or why there is none
    base: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        where = ",".join(f"{k}={v}" for k, v in self.base.items())
        return f"{self.lever}->{self.outcome}" + (f"[{where}]" if where else "")


CASES = [
    Dose("budget_per_citizen", (0.6, 1.3, 2.0, 3.0), "wellbeing_long", "up",
         "More budget buys more staff hours and so more service (Parks et al. 1981: regular producers' input; "
         "Boyne 2003: resources raise service performance)"),
    Dose("budget_per_citizen", (3.0, 5.0), "participation_rate", "up",
         "Past the point where services meet all need (about 3 PHE a citizen at this size) more staff still "
         "invite and support more co-producers (Verba, Schlozman & Brady 1995: being asked)"),
    Dose("savings_target", (0.0, 0.3, 0.6), "wellbeing_long", "down",
         "Savings dumped on citizens who cannot carry them fail (Samskabelse manifesto 2017; claim 7)",
         {"paradigm": "hybrid"}),
    Dose("savings_reinvested", (0.0, 0.5, 1.0), "wellbeing_long", "up",
         "Savings passed to the third sector come back as service (Pestoff 2012; Brandsen & Pestoff 2006)",
         {"paradigm": "hybrid", "savings_target": 0.3}),
    Dose("frontline_autonomy", (0.0, 0.5, 1.0), "wellbeing_long", "down",
         "Under hard output targets discretion is spent creaming the easy cases, and judgements differ "
         "(Lipsky 1980; Koning & Heinrich 2013)", {"output_target_pressure": 0.8}),
    Dose("frontline_autonomy", (0.0, 0.5, 1.0), "wellbeing_long", "up",
         "Under light targets local say aims invitations at need and readiness and lets staff improve fit "
         "from casework (Samskabelse manifesto 2017; Lipsky 1980 on street-level knowledge)"),
    Dose("process_openness", (0.0, 0.5, 1.0), "democracy_long", "up",
         "Open processes hear more, and more kinds of, citizens (Fung 2006; Samskabelse manifesto 2017)"),
    Dose("outreach", (0.0, 0.5, 1.0), "participation_gap_long", "down",
         "Outreach to the low-resourced narrows the participation gap (Jakobsen & Andersen 2013; Verba, "
         "Schlozman & Brady 1995 on being asked)"),
    Dose("outreach", (0.0, 0.5, 1.0), "efficiency_precision_long", "down",
         "Outreach visits are paid from delivery hours (its cost; the model's assumption OUTREACH_TIME_SHARE)"),
    Dose("resource_gini", (0.1, 0.25, 0.45), "participation_gap_long", "up",
         "At a fixed mean, a wider spread of resources widens who takes part (Verba, Schlozman & Brady 1995)"),
    Dose("resource_mean", (0.15, 0.3, 0.5), "participation_rate", "up",
         "Citizens with more time, skills and education take part more (Verba, Schlozman & Brady 1995)"),
    Dose("paradigm", ("npg", "hybrid"), "mean_strain", "up",
         "Hybrid cross-pressure strains staff (Mortensen, Brix & Krogstrup 2020; Kahn et al. 1964)"),
    Dose("paradigm", ("traditional", "npm"), "mean_strain", "up",
         "Output targets add a counted demand on staff hours (Hood 1991; Kahn et al. 1964)"),
    Dose("cp_level", ("individual", "group", "collective"), "group_share+collective_share", "up",
         "Shared forms are taken up where they are offered and supported (Pestoff 2014; Bovaird et al. 2015)"),
    Dose("phase_commission", (False, True), "democracy_long", "up",
         "Co-commissioning gives citizens a say in priorities (Bovaird & Loeffler 2012; Fung 2006)"),
    Dose("phase_design", (False, True), "democracy_long", "up",
         "Co-design gives citizens a say in services (Bovaird & Loeffler 2012; Fung 2006)"),
    Dose("phase_assess", (False, True), "democracy_long", "up",
         "Co-assessment gives citizens a say over services (Bovaird & Loeffler 2012)"),
    Dose("phase_deliver", (False, True), "resource_mobilisation_long", "up",
         "Co-delivery adds citizens' own hours to the service (Parks et al. 1981)"),
    Dose("power_sharing", ("descriptive", "intermediate", "transformative"), "democracy_long", "up",
         "Sharing power turns input into influence (Arnstein 1969; Needham & Carr 2009)"),
    Dose("ngo_relation", ("supplier", "partner"), "mean_motivation", "up",
         "Contracts' control crowds out volunteers' motivation; partnership does not (Frey & Jegen 2001)"),
    Dose("ngo_relation", ("outside", "supplier", "partner"), "volunteer_hours", "none",
         "No theory orders 'outside' against the two kinds of ties; the lever must still act"),
    Dose("initiative_response", ("takeover", "ignore", "support"), "initiatives", "up",
         "Take-overs stifle initiatives, support lengthens their lives (Samskabelse manifesto 2017; claims 6 "
         "and 12)", {"n_ngos": 10}),
]

# Flat responses the model shows, and what they are (docs/ODD.md, "Dose-response of the levers").
FLAT = {
    ("budget_per_citizen", "wellbeing_long", (3.0, 5.0)):
        "finding: once services meet all need (precision 1) more money cannot raise wellbeing further; "
        "it still buys invitations and support for co-producers (see the participation case)",
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_lever_moves_outcome_the_way_theory_says(case: Dose):
    readings = [outcome_at(case.base, case.lever, dose, case.outcome) for dose in case.doses]
    steps = [b - a for a, b in zip(readings, readings[1:])]
    shown = ", ".join(f"{d}: {r:.4f}" for d, r in zip(case.doses, readings))
    if case.direction == "up":
        assert all(step > 0 for step in steps), f"{case.why}; got {shown}"
    elif case.direction == "down":
        assert all(step < 0 for step in steps), f"{case.why}; got {shown}"
    else:
        assert max(readings) > min(readings), f"flat response (a defect unless documented in FLAT): {shown}"


@pytest.mark.parametrize("key", list(FLAT), ids=lambda k: f"{k[0]}->{k[1]}")
def test_documented_flat_responses_are_flat(key):
    """A flat response listed as a finding is still flat (when it starts to move, FLAT and the ODD are stale)."""
    lever, outcome, doses = key
    readings = [outcome_at({}, lever, dose, outcome) for dose in doses]
    assert max(readings) - min(readings) < 1e-3, (FLAT[key], readings)


def test_every_lever_has_a_dose_response_case():
    levers = {p.name for p in PARAMETERS.values() if p.lever}
    assert levers <= {case.lever for case in CASES}, sorted(levers - {case.lever for case in CASES})


def test_doses_lie_inside_declared_ranges():
    for case in CASES:
        p = PARAMETERS[case.lever]
        for dose in case.doses:
            assert p.check(dose) == dose, (case.name, dose)
