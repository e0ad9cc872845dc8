"""Invariants over random parameter draws (hypothesis): bounds hold, money and hours balance."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod.core.parameters import PARAMETERS
from coprod.model.model import CoProductionModel

# Sizes are kept small so that each example runs in well under a second.
SIZE_LIMITS = {"n_citizens": (40, 160), "n_groups": (1, 12), "n_ngos": (0, 6), "mean_degree": (2, 12),
               "citizens_per_professional": (10, 200), "nk_n": (4, 10), "election_period": (6, 24)}


def parameter_strategy(p):
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "int":
        low, high = SIZE_LIMITS.get(p.name, (p.low, p.high))
        return st.integers(int(low), int(high))
    return st.floats(p.low, p.high, allow_nan=False)


random_parameters = st.fixed_dictionaries({name: parameter_strategy(p) for name, p in PARAMETERS.items()})


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parameters=random_parameters, seed=st.integers(0, 2**32 - 1))
def test_bounds_and_balances_hold_for_any_parameters(parameters, seed):
    parameters["n_groups"] = min(parameters["n_groups"], parameters["n_citizens"])
    model = CoProductionModel(seed=seed, engine="agents", **parameters)
    for _ in range(6):
        model.step()
        check_month(model)


def check_month(model):
    citizens = model.population.citizens
    for name in ("wellbeing", "trust", "efficacy", "motivation", "met"):
        values = np.array([getattr(c, name) for c in citizens])
        assert np.all((values >= 0) & (values <= 1)), name
    assert np.all((model.fit >= 0) & (model.fit <= 1))
    for prof in model.professionals:
        assert 0.0 <= prof.strain <= 1.0
        assert 0.0 <= prof.invite_rate <= 1.0 and 0.0 <= prof.facilitation <= 1.0
        # Hours balance: every paid hour goes to reporting, facilitation, meetings, outreach or delivery,
        # or is lost to strain-related absence (posts paid, hours not worked).
        assert math.isclose(prof.reporting_hours + prof.facilitation_hours + prof.meeting_hours + prof.outreach_hours
                            + prof.delivery_hours + prof.absent_hours, prof.paid_hours, rel_tol=1e-9, abs_tol=1e-9)
        assert min(prof.reporting_hours, prof.facilitation_hours, prof.meeting_hours, prof.outreach_hours,
                   prof.delivery_hours, prof.absent_hours) >= -1e-12
    # Money balances: staff, grants and take-overs are paid out of the budget, never beyond it.
    pol = model.politician
    assert min(pol.staff_spent, pol.grants, pol.takeover_cost, pol.reinvested) >= 0
    assert pol.staff_spent + pol.grants + pol.takeover_cost + pol.reinvested <= pol.budget + 1e-9
    assert math.isclose(pol.staff_spent, sum(p.paid_hours for p in model.professionals), rel_tol=1e-12)
    assert math.isclose(model.outcomes["public_cost"],
                        pol.staff_spent + pol.grants + pol.takeover_cost + pol.reinvested,
                        rel_tol=1e-12)
    # Citizen hours balance between the citizens, the tally and the outcome.
    hours = sum(c.hours for c in citizens)
    assert math.isclose(model.outcomes["citizen_hours"], hours, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(float(model.last_tally.hours.sum()), hours, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(model.outcomes["volunteer_hours"], sum(c.volunteer_hours for c in citizens),
                        rel_tol=1e-9, abs_tol=1e-9)
    assert all(c.volunteer_hours == 0 for c in citizens if not c.is_volunteer)
    # Every outcome is a finite number; shares and dimensions stay in [0, 1].
    for name, value in model.outcomes.items():
        assert math.isfinite(value), name
    for name in ("participation_rate", "participation_top_quintile", "participation_bottom_quintile",
                 "collective_share", "wellbeing_gini", "unmet_need", "voice_share", "representation"):
        assert 0.0 <= model.outcomes[name] <= 1.0, name
    for dim in ("innovation", "wellbeing", "efficiency_precision", "resource_mobilisation", "democracy"):
        for horizon in ("output", "short", "medium", "long"):
            assert -1e-12 <= model.outcomes[f"{dim}_{horizon}"] <= 1.0 + 1e-12, (dim, horizon)
    assert model.outcomes["ngos"] == len(model.ngos) == int((model.ngo_of_group >= 0).sum())
