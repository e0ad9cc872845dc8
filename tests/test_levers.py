"""Levers and population knobs mean what they say: resources have the declared mean and Gini (a
mean-preserving spread), every scenario's default lies strictly inside its uncertain ranges, and
money buys staff hours at every level."""

from __future__ import annotations

import numpy as np
import pytest

from coprod.core.parameters import PARAMETERS
from coprod.experiments.scenarios import bundled_scenarios, load_scenario
from coprod.model.model import CoProductionModel, resolve_parameters
from coprod.model.population import gini_coefficient, group_membership, initial_citizens


def starting_resources(n: int, **overrides) -> np.ndarray:
    p = resolve_parameters({"n_citizens": n, **overrides})
    group_of = group_membership(n, p["n_groups"])
    return initial_citizens(p, group_of, 1, np.random.default_rng(7))["resources"]


@pytest.mark.parametrize("n", [60, 500, 5000])
@pytest.mark.parametrize("mean, gini", [(0.15, 0.1), (0.3, 0.35), (0.15, 0.45), (0.5, 0.45), (0.5, 0.1)])
def test_population_has_the_declared_mean_and_gini(n, mean, gini):
    resources = starting_resources(n, resource_mean=mean, resource_gini=gini)
    assert abs(gini_coefficient(resources) - gini) < 0.02
    assert abs(resources.mean() - mean) < 0.005
    assert resources.min() >= 0.0 and resources.max() <= 1.0


def test_a_wider_spread_keeps_the_mean_and_who_is_richer():
    """Mean-preserving spread: the same citizens in the same order, the poor poorer and the rich richer."""
    narrow = starting_resources(2000, resource_gini=0.2)
    wide = starting_resources(2000, resource_gini=0.4)
    assert abs(narrow.mean() - wide.mean()) < 1e-3
    assert np.array_equal(np.argsort(narrow, kind="stable"), np.argsort(wide, kind="stable"))
    poorest, richest = np.argsort(narrow)[:200], np.argsort(narrow)[-200:]
    assert wide[poorest].mean() < narrow[poorest].mean() and wide[richest].mean() > narrow[richest].mean()


def test_groups_still_differ_in_advantage():
    p = resolve_parameters({"n_citizens": 2000, "group_resource_spread": 0.8})
    group_of = group_membership(2000, p["n_groups"])
    resources = initial_citizens(p, group_of, 1, np.random.default_rng(7))["resources"]
    means = np.bincount(group_of, weights=resources) / np.bincount(group_of)
    assert means.max() - means.min() > 0.15


@pytest.mark.parametrize("name", bundled_scenarios())
def test_defaults_lie_strictly_inside_the_scenarios_uncertain_ranges(name):
    scenario = load_scenario(name)
    values = resolve_parameters(scenario.parameters)
    for key, (low, high) in scenario.uncertain.items():
        assert low < values[key] < high, f"{name}: {key} = {values[key]} not strictly inside [{low}, {high}]"


def test_budget_buys_staff_hours_at_every_level():
    """No invisible cap: the staff's paid and working hours follow the budget all the way up."""
    paid = []
    for budget in (1.3, 2.0, 3.0, 5.0):
        model = CoProductionModel(seed=1, n_citizens=200, budget_per_citizen=budget)
        model.step()
        paid.append(model.staff.paid_hours.sum() / 200)
        model.forget()
    assert all(b > a for a, b in zip(paid, paid[1:])), paid
    assert paid[-1] > 3.0 * paid[0]


def test_new_parameters_are_declared_in_both_languages():
    for name in ("resource_mean", "resource_gini", "creaming_loss", "judgement_spread"):
        p = PARAMETERS[name]
        assert p.label_da and p.description_da and p.source
        assert p.low < p.default < p.high
    assert "resource_skew" not in PARAMETERS and "capacity_hours" not in PARAMETERS
