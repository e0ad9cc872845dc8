"""A citizen's state is declared once (agents/state.py) and reaches both engines as records.

Adding a quantity should touch its declaration and the rule(s) that use it, nothing else: the
engines, the Mesa citizen and the tally carry every declared quantity without listing them. Two
checks: a dummy quantity declared at run time arrives in both engines with its starting value and
its kind; and the engine code names no list of quantities (no statement in it names more than a
few declared quantities: a per-field list is how a repeated declaration looks).
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from coprod.agents import state
from coprod.agents.state import Quantity

PACKAGE = Path(state.__file__).resolve().parent.parent
# Code that carries citizens' state between the declaration and the rules. (model/population.py
# is a rule, the drawing of the starting values, naming each drawn quantity where it draws it;
# model/records.py an observer choosing what a survey asks at the end of its window.)
CARRIERS = ("model/engine_numba.py", "model/engine_agents.py", "agents/citizen.py", "model/tally.py",
            "model/offer.py")
# A statement may name this many declared quantities (a rule's use, e.g. what the tally sums per
# citizen reads a few at a time); more is a list of fields.
MOST_IN_ONE_STATEMENT = 3


def names_in(node: ast.AST) -> set[str]:
    """Identifiers, attribute names and string constants in ``node``."""
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            found.add(child.value)
    return found


@pytest.mark.parametrize("path", CARRIERS)
def test_engine_code_names_no_list_of_state_quantities(path):
    quantities = set(state.QUANTITIES)
    tree = ast.parse((PACKAGE / path).read_text())
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.If, ast.For,
                                                               ast.While, ast.With, ast.Try)):
            continue  # compound statements are checked statement by statement inside them
        named = names_in(node) & quantities
        assert len(named) <= MOST_IN_ONE_STATEMENT, (
            f"{path}:{node.lineno} names {sorted(named)}: declare state in agents/state.py, not here")


def test_the_check_finds_a_list_of_quantities():
    listed = ast.parse('values = (engine.trust, engine.efficacy, "motivation", need)')
    assert len(names_in(listed) & set(state.QUANTITIES)) > MOST_IN_ONE_STATEMENT


@pytest.fixture
def dummy_quantities(monkeypatch):
    """Two quantities more in the declaration, a trait and a changing one, each with a start value."""
    added = (Quantity("dummy_trait", "float", 0.25, None, trait=True), Quantity("dummy_flag", "bool", True, None))
    declared = state.CITIZEN_STATE + added
    monkeypatch.setattr(state, "CITIZEN_STATE", declared)
    monkeypatch.setattr(state, "QUANTITIES", {quantity.name: quantity for quantity in declared})
    return added


@pytest.mark.parametrize("engine", ["numba", "agents"])
def test_a_quantity_added_to_the_declaration_reaches_the_engine(dummy_quantities, engine):
    from coprod.model.model import CoProductionModel

    model = CoProductionModel(seed=1, engine=engine, n_citizens=40, n_groups=2)
    trait = model.population.citizen_values("dummy_trait")
    flag = model.population.citizen_values("dummy_flag")
    assert trait.dtype == np.float64 and np.all(trait == 0.25) and len(trait) == 40
    assert flag.dtype == np.bool_ and flag.all()
    # and the rest of the state is untouched by the addition
    assert np.all(model.population.citizen_values("phase") == -1)


def test_records_hold_every_declared_quantity_in_its_part():
    records = state.CitizenRecords(3)
    assert set(records.traits.dtype.names) | set(records.state.dtype.names) == set(state.QUANTITIES)
    assert all(state.QUANTITIES[name].trait for name in records.traits.dtype.names)
    assert not any(state.QUANTITIES[name].trait for name in records.state.dtype.names)
