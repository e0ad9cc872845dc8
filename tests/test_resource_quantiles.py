"""The resource draw's bisection answers most halvings from the Gini values it has already
evaluated (``population._Sides``): the quantiles must be the very bits of evaluating every halving."""

from __future__ import annotations

import numpy as np
import pytest

from coprod.core.parameters import PARAMETERS
from coprod.model import population


def _every_halving_evaluated(monkeypatch, mean: float, gini: float, grid: int) -> np.ndarray:
    with monkeypatch.context() as patch:
        patch.setattr(population, "INFER_FROM_GRID", 10**9)  # no grid qualifies: each halving is evaluated
        population._resource_quantiles.cache_clear()
        return population._resource_quantiles(mean, gini, grid)


MEAN, GINI = PARAMETERS["resource_mean"], PARAMETERS["resource_gini"]
CASES = [(MEAN.default, GINI.default, 2000), (MEAN.low, GINI.low, 64), (MEAN.low, GINI.high, 300),
         (MEAN.high, GINI.low, 100), (MEAN.high, GINI.high, 257), (0.22, 0.3, 65), (0.41, 0.17, 129)]


@pytest.mark.parametrize("mean, gini, grid", CASES)
def test_the_shortcut_gives_the_bits_of_evaluating_every_halving(monkeypatch, mean, gini, grid):
    expected = _every_halving_evaluated(monkeypatch, mean, gini, grid)
    evaluated = []
    original = population.gini_coefficient
    monkeypatch.setattr(population, "gini_coefficient", lambda values: evaluated.append(1) or original(values))
    population._resource_quantiles.cache_clear()
    got = population._resource_quantiles(mean, gini, grid)
    population._resource_quantiles.cache_clear()
    assert got.tobytes() == expected.tobytes()
    assert len(evaluated) < 40  # of 61 (the shortcut works, not only agrees)
    assert abs(population.gini_coefficient(got) - gini) < 0.01
