"""docs/ODD.md stays true to the code: the parameter table, every rule and every step phase."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from coprod.agents import rules
from coprod.core.parameters import PARAMETERS, markdown_table
from coprod.model.model import CoProductionModel

ODD = (Path(__file__).resolve().parents[1] / "docs" / "ODD.md").read_text(encoding="utf-8")
START, END = "<!-- parameter-table:start -->", "<!-- parameter-table:end -->"


def test_parameter_table_is_generated_from_the_declarations():
    table = ODD.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert table == markdown_table(), "docs/ODD.md is stale: run `python docs/update_odd_table.py`"


def test_every_parameter_is_in_the_odd():
    missing = [name for name in PARAMETERS if f"`{name}`" not in ODD]
    assert not missing


def test_every_rule_is_described():
    public = [name for name, fn in inspect.getmembers(rules, inspect.isfunction)
              if not name.startswith("_") and fn.__module__ == rules.__name__]
    assert public
    missing = [name for name in public if name not in ODD and name not in ("clip01", "logistic")]
    assert not missing


def test_every_phase_of_the_schedule_is_described():
    tree = ast.parse(inspect.getsource(CoProductionModel.step).lstrip())
    calls = {node.func.attr for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    calls -= {"collect", "update", "sum"}
    assert calls
    missing = [name for name in calls if name not in ODD]
    assert not missing
