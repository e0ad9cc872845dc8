"""PRIM box search finds a known box in synthetic data."""

import numpy as np

from coprod.experiments.prim import peel


def test_finds_the_box_where_a_condition_holds():
    rng = np.random.default_rng(0)
    X = rng.random((2000, 3))
    holds = (X[:, 0] > 0.6) & (X[:, 2] < 0.5)
    box = peel(X, holds, ["a", "b", "c"])
    assert box.density > 0.9
    assert box.coverage > 0.6
    assert set(box.limits) == {"a", "c"}  # the irrelevant "b" is simplified away
    assert abs(box.limits["a"][0] - 0.6) < 0.08 and abs(box.limits["c"][1] - 0.5) < 0.08
    assert box.limits["a"][1] == np.inf and box.limits["c"][0] == -np.inf  # one-sided conditions
    text = box.describe()
    assert text.startswith("a > 0.") and " and c < 0." in text and text.count(" and ") == 1


def test_no_structure_gives_a_weak_box():
    rng = np.random.default_rng(1)
    X = rng.random((1000, 2))
    holds = rng.random(1000) < 0.3
    assert peel(X, holds, ["a", "b"]).density < 0.6
