"""The contract every sensitivity design meets, and the registry the command line chooses from.

A design (``sobol``, ``morris``, ``fast``, ``latin``: one module each, as SALib keeps one module per
method) provides the same four things behind one signature, with SALib's ``problem`` dictionary
(``num_vars``, ``names``, ``bounds``) as the contract that travels through every stage:

* ``options(second_order=..., levels=...)``: the design's own options from the command line's
  (checked: a bad one is an ``InputError`` naming the option);
* ``sample(problem, n, seed, options)``: the raw sample matrix (before integer rounding);
* ``analyse(problem, X, Y_by_outcome, options, seed, floors)``: the design's tables of indices;
* ``plots(tables)``: the figures to draw, as data (``Plot``). Drawing is ``reports/``'s job, a floor
  above analysis (``reports.sensitivity_plots.draw``), so the design says *what* to plot and
  reports say *how*; a new design that needs a new kind of figure adds that kind there.

Each module calls ``register`` when imported; ``coprod.analysis.designs`` imports them all, so
``DESIGNS`` lists every design and the CLI's ``--method`` choices come from it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coprod.core.errors import InputError

Problem = dict[str, Any]
Tables = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Plot:
    """One figure: ``kind`` says how to draw ``frame`` (one panel per outcome):

    * ``bars``: per parameter, a bar per ``(value column, error column or None)`` in ``columns``;
    * ``convergence``: ST (solid) and S1 (dashed) against ``base_samples``;
    * ``interactions``: the matrix of ``S2`` over the pairs of ``names``."""
    file: str
    kind: str
    frame: pd.DataFrame
    title: str
    columns: tuple[tuple[str, str | None], ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Design:
    """A sensitivity design: sampling, analysis and plots behind one signature (module docstring).

    ``block_rows(num_vars, options)`` is how many consecutive sample rows share their seeds (one
    seed unit, ``runner.run_seed``), and ``block_words`` says it in the manifest; ``small`` is the
    sample size below which the indices' intervals are too wide to read (a warning says so)."""
    name: str
    sample: Callable[[Problem, int, int, dict], np.ndarray]
    analyse: Callable[[Problem, np.ndarray, dict[str, np.ndarray], dict, int, dict[str, float]], Tables]
    plots: Callable[[Tables], list[Plot]]
    options: Callable[..., dict[str, Any]]
    small: int
    block_rows: Callable[[int, dict], int] = field(default=lambda num_vars, options: 1)
    block_words: str = "sample"


DESIGNS: dict[str, Design] = {}


def register(design: Design) -> Design:
    """Add ``design`` to the registry (each design module calls this once, when imported)."""
    if design.name in DESIGNS:
        raise ValueError(f"design {design.name!r} is registered twice")
    DESIGNS[design.name] = design
    return design


def design(name: str) -> Design:
    """The registered design called ``name``; an ``InputError`` naming the choices otherwise."""
    if name not in DESIGNS:
        raise InputError(f"--method: got {name!r}; allowed: one of {', '.join(DESIGNS)}")
    return DESIGNS[name]


def salib_table(Y_by_outcome: dict[str, np.ndarray], analyse_one: Callable, columns: list[str]) -> pd.DataFrame:
    """Each outcome's SALib result (``analyse_one(Y)``) as rows of (outcome, parameter, columns...).
    SALib's own warnings are silenced: ``small_sample_warnings`` says in words when N is too small."""
    tables = []
    for outcome, Y in Y_by_outcome.items():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = analyse_one(Y)
        tables.append(parameter_rows(outcome, result.to_df(), columns))
    return pd.concat(tables, ignore_index=True)


def parameter_rows(outcome: str, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A SALib result's ``to_df()`` as rows of (outcome, parameter, columns...)."""
    frame = frame[columns].astype(float).rename_axis("parameter").reset_index()
    frame["parameter"] = frame["parameter"].map(str)
    frame.insert(0, "outcome", outcome)
    return frame
