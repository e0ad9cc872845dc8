"""The sweep pipeline (sample -> run on the process pool -> Parquet -> analyze) on the Ishigami
function, whose Sobol indices are known analytically (a=7, b=0.1)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from known_answers import ishigami

from coprod.experiments.analyze import analyze_sweep
from coprod.experiments.sweep import run_sweep

PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
S1_TRUE = [0.3139, 0.4424, 0.0]
ST_TRUE = [0.5576, 0.4424, 0.2437]
# SALib's bootstrap CIs are themselves estimates at N=1024; we widen them by this margin.
CI_MARGIN = 0.05


def _sweep(out, method, samples, workers=2, **kw):
    return run_sweep(out, problem=PROBLEM, method=method, samples=samples, outcomes=["y"], evaluate=ishigami,
                     seed=11, workers=workers, batch=256, progress=False, info={"evaluate": "ishigami"}, **kw)


def test_sobol_reproduces_analytical_indices(tmp_path):
    runs = _sweep(tmp_path / "sobol", "sobol", 1024)
    assert len(runs) == 1024 * 8
    assert list(runs["sample"]) == list(range(1024 * 8))
    tables = analyze_sweep(tmp_path / "sobol")
    first = tables["sobol_indices"].set_index("parameter").loc[PROBLEM["names"]]
    for j, name in enumerate(PROBLEM["names"]):
        row = first.loc[name]
        assert abs(row["S1"] - S1_TRUE[j]) <= row["S1_conf"] + CI_MARGIN, (name, row["S1"], row["S1_conf"])
        assert abs(row["ST"] - ST_TRUE[j]) <= row["ST_conf"] + CI_MARGIN, (name, row["ST"], row["ST_conf"])
    # The only interaction is x1-x3 (analytically S2_13 = 0.2437, the rest 0).
    s2 = tables["sobol_s2"].set_index(["parameter_1", "parameter_2"])
    assert abs(s2.loc[("x1", "x3"), "S2"] - 0.2437) <= s2.loc[("x1", "x3"), "S2_conf"] + CI_MARGIN
    assert abs(s2.loc[("x1", "x2"), "S2"]) <= s2.loc[("x1", "x2"), "S2_conf"] + CI_MARGIN
    conv = tables["sobol_convergence"]
    assert sorted(conv["base_samples"].unique()) == [128, 256, 512, 1024]
    analysis = tmp_path / "sobol" / "analysis"
    for name in ("sobol_indices", "sobol_s2", "sobol_convergence", "replication_noise"):
        assert pd.read_parquet(analysis / f"{name}.parquet").equals(tables[name])
        assert (analysis / f"{name}.csv").exists()
    for png in ("sobol_indices.png", "sobol_s2.png", "sobol_convergence.png"):
        assert (analysis / png).stat().st_size > 1000


def test_one_and_two_workers_give_identical_tables(tmp_path):
    one = _sweep(tmp_path / "one", "latin", 300, workers=1, replications=2)
    two = _sweep(tmp_path / "two", "latin", 300, workers=2, replications=2)
    columns = [c for c in one.columns if c != "runtime"]
    pd.testing.assert_frame_equal(one[columns], two[columns])
    assert pd.read_parquet(tmp_path / "one" / "results.parquet")[columns].equals(one[columns])


@pytest.mark.parametrize("method,samples,table,column", [
    ("morris", 40, "morris_indices", "mu_star"),
    ("fast", 257, "fast_indices", "S1"),
    ("latin", 400, "latin_indices", "SRRC"),
])
def test_other_methods_rank_the_parameters(tmp_path, method, samples, table, column):
    _sweep(tmp_path / method, method, samples, workers=1)
    tables = analyze_sweep(tmp_path / method)
    values = tables[table].set_index("parameter")[column]
    assert np.isfinite(values).all()
    assert (tmp_path / method / "analysis" / f"{table}.png").exists()
    if method == "morris":  # x1 and x2 matter far more than x3 on average
        assert values["x2"] > values["x3"] and values["x1"] > values["x3"]
    if method == "fast":  # eFAST first-order indices near the analytical ones
        assert np.allclose(values.loc[PROBLEM["names"]], S1_TRUE, atol=0.08)
    if method == "latin":  # sin(x1) is monotone-ish in x1 on average; x2 enters as sin^2 (no trend)
        assert abs(values["x1"]) > abs(values["x2"])
