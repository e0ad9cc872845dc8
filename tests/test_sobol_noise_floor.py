"""Fair Sobol designs: every row of a Saltelli base block (A, B and each AB_j) runs with the same
seeds, so a parameter with no effect gets a total index of zero instead of the seed noise floor,
and the analysis reports that floor beside the indices."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from coprod.experiments.analyze import analyze_sweep
from coprod.experiments.sweep import evaluate_model, run_sweep

OUTCOMES = ["wellbeing_long", "democracy_long", "innovation_long"]
PROBLEM = {"num_vars": 2, "names": ["outreach", "dummy"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}


def model_ignoring_dummy(parameters: dict, seed: int) -> dict:
    """The model, with one extra parameter ``dummy`` that it never sees: an effect of exactly zero."""
    parameters = {k: v for k, v in parameters.items() if k != "dummy"}
    return evaluate_model(parameters, seed, steps=12, engine="agents")


def test_a_parameter_without_effect_stays_at_the_noise_floor(tmp_path):
    runs = run_sweep(tmp_path / "sweep", problem=PROBLEM, method="sobol", samples=8, outcomes=OUTCOMES,
                     evaluate=model_ignoring_dummy, base_parameters={"n_citizens": 60}, replications=2, seed=5,
                     options={"calc_second_order": False}, workers=1, progress=False,
                     info={"evaluate": "model_ignoring_dummy"})
    block = runs["sample"] // (PROBLEM["num_vars"] + 2)
    assert runs.groupby([block, runs["replication"]])["seed"].nunique().eq(1).all()  # common seeds per block
    assert runs.groupby("replication")["seed"].nunique().eq(8).all()  # and other seeds in other blocks
    tables = analyze_sweep(tmp_path / "sweep", plots=False, warn=False)
    indices = tables["sobol_indices"].set_index(["outcome", "parameter"])
    noise = tables["replication_noise"].set_index("outcome")
    for outcome in OUTCOMES:
        dummy = indices.loc[(outcome, "dummy")]
        floor = noise.loc[outcome, "noise_floor"]
        assert math.isfinite(floor) and 0 <= floor <= 1
        assert dummy["noise_floor"] == floor
        assert abs(dummy["ST"]) <= 1e-12 and abs(dummy["S1"]) <= 1e-12, (outcome, dummy["ST"], dummy["S1"])
        assert not dummy["above_noise"]
    # The replications differ, so the floor measures real seed noise (not a degenerate zero).
    assert (noise["within_sample_sd"] > 0).all()
    assert np.isfinite(indices["ST"].to_numpy(dtype=float)).all()
    assert isinstance(tables["sobol_indices"], pd.DataFrame)


def test_claims_with_sobol_share_seeds_within_each_saltelli_block():
    from coprod.experiments.claims import claim_tasks, load_claims

    claim = next(c for c in load_claims() if len(c.uncertain) >= 2)
    tasks = [t for t in claim_tasks([claim], samples=4, replications=2, citizens=60, steps=2, seed=3, method="sobol")
             if t.key[1] == "sample"]
    per_block = len(claim.uncertain) + 2
    seeds: dict[tuple, set] = {}
    for task in tasks:
        _, _, point, replication = task.key
        seeds.setdefault((point // per_block, replication), set()).add(task.seed)
    assert len(seeds) == 4 * 2 and all(len(s) == 1 for s in seeds.values())  # one seed per block and replication
    assert len({s.pop() for s in seeds.values()}) == 4 * 2  # and a different one for every other block
