"""The two engines are one model: the compiled engine reproduces the Mesa agents.

Both engines apply the same rule functions (agents/rules.py) to the same initial citizens and the
same network with the same counter-based random numbers; they differ in scheduler and in storage
(the numba engine keeps state in float32, reductions run in compiled code, the Gini comes from a
fine histogram). So their results agree statistically, and in practice almost exactly.

The statistical test: for each scenario (npm, npg_collective, savings_cut) and 12 seeds at 1,000
citizens over 24 months (the Mesa agents' side is most of the suite's cost here; 20 seeds at 2,000
citizens cost 3.3x as much for an interval 1.8x narrower, and a real divergence shows by many
standard errors at either size), the mean over seeds of each main outcome must agree between engines
within four standard errors of the difference of the means (Welch), plus an absolute floor of
0.002 for outcomes whose spread is near zero; the same holds for the trajectories (means over seeds
at months 6, 12, 18 and 24). A real divergence in a rule or a reduction breaks this by many
standard errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from coprod.experiments.scenarios import load_scenario
from coprod.model.model import CoProductionModel

SCENARIOS = ("npm", "npg_collective", "savings_cut")
SEEDS = range(12)
MONTHS = 24
CITIZENS = 1000
OUTCOMES = ("innovation_output", "wellbeing_output", "efficiency_precision_output", "resource_mobilisation_output",
            "democracy_output", "participation_rate", "wellbeing_gini", "mean_trust")
CHECKED_MONTHS = (6, 12, 18, 24)


def trajectories(scenario: str, engine: str) -> pd.DataFrame:
    parameters = {**load_scenario(scenario).parameters, "n_citizens": CITIZENS}
    frames = []
    for seed in SEEDS:
        model = CoProductionModel(seed=seed, engine=engine, **parameters)
        for _ in range(MONTHS):
            model.step()
        frame = model.datacollector.get_model_vars_dataframe()[list(OUTCOMES)].reset_index(drop=True)
        frame["month"] = np.arange(1, MONTHS + 1)
        frame["seed"] = seed
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_engines_agree_within_statistical_uncertainty(scenario):
    agents = trajectories(scenario, "agents")
    numba = trajectories(scenario, "numba")
    for month in CHECKED_MONTHS:
        a = agents[agents["month"] == month]
        b = numba[numba["month"] == month]
        for outcome in OUTCOMES:
            x, y = a[outcome].to_numpy(), b[outcome].to_numpy()
            se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
            assert abs(x.mean() - y.mean()) <= 4 * se + 0.002, (scenario, month, outcome, x.mean(), y.mean(), se)


def test_first_month_decisions_match_citizen_by_citizen():
    parameters = {**load_scenario("npg_collective").parameters, "n_citizens": CITIZENS}
    agents = CoProductionModel(seed=7, engine="agents", **parameters)
    numba = CoProductionModel(seed=7, engine="numba", **parameters)
    assert np.array_equal(agents.network.indices, numba.network.indices)
    agents.step()
    numba.step()
    modes_a = agents.population.column("mode", np.int8)
    phases_a = agents.population.column("phase", np.int8)
    # float32 storage can flip a decision whose draw lies within ~1e-7 of its probability: allow 0.2%.
    assert np.mean(modes_a == numba.population.current_mode) > 0.998
    assert np.mean(phases_a == numba.population.last_phase) > 0.998
    assert np.allclose(agents.population.column("wellbeing"), numba.population.wellbeing, atol=1e-5)


def test_associational_life_matches_citizen_by_citizen():
    """Who volunteers in which association, for how long and how many hours: the same rules and
    draws in both engines (float32 storage may flip a rare decision near its probability)."""
    parameters = {**load_scenario("npm").parameters, "n_citizens": 1000}
    agents = CoProductionModel(seed=5, engine="agents", **parameters)
    numba = CoProductionModel(seed=5, engine="numba", **parameters)
    for _ in range(12):
        agents.step()
        numba.step()
    activity_a = agents.population.citizen_values("activity")
    activity_b = numba.population.citizen_values("activity")
    assert (activity_a > 0).sum() > 20  # associational life exists under NPM, without any NGO's help
    assert np.mean(activity_a == activity_b) > 0.995
    same = activity_a == activity_b
    assert np.allclose(agents.population.citizen_values("tenure")[same],
                       numba.population.citizen_values("tenure")[same])
    assert np.allclose(agents.population.citizen_values("association_hours")[same],
                       numba.population.citizen_values("association_hours")[same], rtol=1e-4, atol=1e-4)


def test_numba_same_seed_same_numbers_and_seeds_differ():
    def run(seed):
        model = CoProductionModel(seed=seed, engine="numba", n_citizens=3000, paradigm="hybrid")
        for _ in range(12):
            model.step()
        return model.datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(run(3), run(3))
    assert not run(3).equals(run(4))


THREADED_RUN = """
import json, sys
from coprod.model.model import CoProductionModel
model = CoProductionModel(seed=11, engine="numba", n_citizens=20000, n_groups=7, paradigm="npg", cp_level="collective")
for _ in range(12):
    model.step()
print(json.dumps({k: repr(v) for k, v in model.outcomes.items()}))
"""


def test_bit_identical_with_one_and_two_threads():
    results = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        out = subprocess.run([sys.executable, "-c", THREADED_RUN], capture_output=True, text=True, env=env, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert results[0] == results[1]
