"""One module per sensitivity design behind one signature, chosen from one registry: every registered
design samples, analyses and asks for plots the reports can draw, and the command line offers
exactly the registered designs (a design registered later appears without touching the CLI)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from known_answers import ishigami

from coprod.analysis.designs import DESIGNS, Design, Plot, register
from coprod.core.errors import InputError
from coprod.experiments.cli import build_parser
from coprod.reports.sensitivity_plots import DRAWERS, draw

PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
SIZES = {"sobol": 64, "morris": 20, "fast": 130, "latin": 200}


def sweep_choices() -> list[str]:
    parser = build_parser(only="sweep")
    sweep = next(a for a in parser._actions if a.choices and "sweep" in a.choices).choices["sweep"]
    return list(next(a for a in sweep._actions if a.dest == "method").choices)


def test_the_four_designs_are_registered_and_are_the_sweeps_choices():
    assert list(DESIGNS) == ["sobol", "morris", "fast", "latin"]
    assert sweep_choices() == list(DESIGNS)


def test_a_newly_registered_design_is_offered_without_touching_the_command_line():
    latin = DESIGNS["latin"]
    register(Design("latin_copy", latin.sample, latin.analyse, latin.plots, latin.options, small=latin.small))
    try:
        assert "latin_copy" in sweep_choices()
        with pytest.raises(ValueError, match="registered twice"):
            register(DESIGNS["latin_copy"])
    finally:
        del DESIGNS["latin_copy"]
    assert "latin_copy" not in sweep_choices()


@pytest.mark.parametrize("name", list(SIZES))
def test_every_design_samples_analyses_and_plots_behind_one_signature(name, tmp_path):
    design = DESIGNS[name]
    options = design.options(second_order=True, levels=4)
    X = design.sample(dict(PROBLEM), SIZES[name], 3, options)
    assert X.shape[1] == 3 and np.all(np.abs(X) <= math.pi + 1e-9)
    Y = np.array([ishigami({"x1": a, "x2": b, "x3": c}, 0)["y"] for a, b, c in X])
    tables = design.analyse(dict(PROBLEM), X, {"y": Y}, options, 1, {"y": float("nan")})
    assert tables and all(len(t) for t in tables.values())
    plots = design.plots(tables)
    assert plots and all(isinstance(p, Plot) and p.kind in DRAWERS for p in plots)
    for plot in plots:
        draw(plot, tmp_path)
        assert (tmp_path / plot.file).stat().st_size > 1000
    # Known answer (Ishigami, a = 7, b = 0.1): x3 acts only through its interaction with x1, so every
    # design's main index ranks x1 above x3 (S1: 0.31 against 0; Morris' mu*; the rank correlation
    # of the monotone-ish sin(x1) against the even x3^4).
    main = next(iter(tables.values()))
    column = {"sobol": "S1", "morris": "mu_star", "fast": "S1", "latin": "spearman_rho"}[name]
    value = dict(zip(main["parameter"], main[column].abs()))
    assert value["x3"] < value["x1"], main


def test_design_options_and_sizes_are_checked_with_one_line():
    with pytest.raises(InputError, match="--levels: got 1"):
        DESIGNS["morris"].options(levels=1)
    with pytest.raises(InputError, match="power of 2"):
        DESIGNS["sobol"].sample(dict(PROBLEM), 48, 0, DESIGNS["sobol"].options())
    with pytest.raises(InputError, match="more than 64"):
        DESIGNS["fast"].sample(dict(PROBLEM), 64, 0, DESIGNS["fast"].options())
