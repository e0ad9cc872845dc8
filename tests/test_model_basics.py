"""The model as a Mesa model: determinism, paradigms as rule sets, batch_run, parameter checks."""

from __future__ import annotations

import mesa
import pandas as pd
import pytest

from coprod.core.parameters import PARADIGMS, PARAMETERS
from coprod.model.model import CoProductionModel, resolve_parameters
from coprod.model.outcomes import reporter_names
from coprod.model.paradigms import PARADIGM_RULES
from tests.conftest import run_small


def frame(model):
    return model.datacollector.get_model_vars_dataframe()


def test_same_seed_same_numbers():
    pd.testing.assert_frame_equal(frame(run_small(steps=15, seed=4, paradigm="hybrid")),
                                  frame(run_small(steps=15, seed=4, paradigm="hybrid")))


def test_different_seeds_differ():
    assert not frame(run_small(steps=10, seed=4)).equals(frame(run_small(steps=10, seed=5)))


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_every_paradigm_runs_and_records_every_outcome(paradigm):
    model = run_small(steps=3, paradigm=paradigm)
    assert list(frame(model).columns) == reporter_names()
    assert len(frame(model)) == 3


def test_paradigms_only_set_declared_parameters_never_outcomes():
    outcomes = set(reporter_names())
    for paradigm, rules in PARADIGM_RULES.items():
        assert set(rules) <= set(PARAMETERS), paradigm
        assert not set(rules) & outcomes, paradigm
        for name, value in rules.items():
            PARAMETERS[name].check(value)


def test_explicit_values_override_the_paradigm():
    values = resolve_parameters({"paradigm": "npm", "power_sharing": "transformative"})
    assert values["power_sharing"] == "transformative"
    assert values["output_target_pressure"] == PARADIGM_RULES["npm"]["output_target_pressure"]


def test_batch_run_works():
    rows = mesa.batch_run(CoProductionModel, parameters={"n_citizens": 100, "seed": [1, 2], "paradigm": ["npm", "npg"],
                                                         "engine": "agents"},
                          iterations=1, max_steps=3, number_processes=1, display_progress=False)
    table = pd.DataFrame(rows)
    assert len(table) == 4
    assert set(reporter_names()) <= set(table.columns)
    assert table["wellbeing_output"].notna().all()


@pytest.mark.parametrize("kwargs, key", [({"homophily": 1.5}, "homophily"), ({"cp_level": "tribe"}, "cp_level"),
                                         ({"no_such_thing": 1}, "no_such_thing"), ({"n_groups": 2.5}, "n_groups")])
def test_bad_parameters_raise_naming_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        CoProductionModel(seed=1, engine="agents", **kwargs)


def test_bad_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        CoProductionModel(seed=1, engine="gpu")


def test_finished_runs_do_not_stay_alive_in_mesa_counters():
    """Mesa 3.3 keys its agent-id counters by model; the run functions pool workers call must let
    each finished model go, or a long sweep or calibration grows by every run."""
    import gc
    import weakref

    import mesa

    from coprod.experiments.compare import run_strategy
    from coprod.experiments.sweep import evaluate_model

    before = len(mesa.Agent._ids)
    evaluate_model({"n_citizens": 60, "n_groups": 2}, seed=1, steps=2, engine="agents")
    run_strategy(({"n_citizens": 60, "n_groups": 2}, 2, "agents"), seed=1)
    assert len(mesa.Agent._ids) == before
    model = CoProductionModel(seed=2, engine="agents", n_citizens=60, n_groups=2)
    model.step()
    alive = weakref.ref(model)
    model.forget()
    del model
    gc.collect()
    assert alive() is None


@pytest.mark.parametrize("engine", ["agents", "numba"])
def test_each_engine_holds_the_declared_citizen_state_of_its_kind_and_within_its_bounds(engine):
    import numpy as np

    from coprod.agents.state import AGENT_DTYPES, CITIZEN_STATE

    model = CoProductionModel(seed=3, engine=engine, n_citizens=150, n_groups=3)
    for quantity in CITIZEN_STATE:
        if quantity.initial is not None:  # before the first month, every citizen starts there
            assert (np.asarray(model.population.citizen_values(quantity.name)) == quantity.initial).all(), quantity.name
    for _ in range(24):
        model.step()
    for quantity in CITIZEN_STATE:
        values = np.asarray(model.population.citizen_values(quantity.name))
        assert values.shape == (150,) and values.dtype == np.dtype(AGENT_DTYPES[quantity.kind]), quantity.name
        if quantity.bounds is not None:
            low, high = quantity.bounds
            assert low <= values.min() and values.max() <= high, quantity.name
    with pytest.raises(ValueError, match="cannot set citizen quantity 'wellbeing'"):
        model.population.set_citizen_values("wellbeing", np.arange(3), 0.5)
    model.forget()
