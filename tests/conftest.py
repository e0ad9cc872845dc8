"""Shared helpers for the tests: small models stepped a few months."""

from __future__ import annotations

import numpy as np
import pytest

from coprod.model.model import CoProductionModel
from coprod.model.warmup import warm_kernels


def run_small(steps: int = 12, seed: int = 1, n_citizens: int = 300, **parameters) -> CoProductionModel:
    """A small agents-engine model stepped ``steps`` months."""
    model = CoProductionModel(seed=seed, engine="agents", n_citizens=n_citizens, **parameters)
    for _ in range(steps):
        model.step()
    return model


def mean_over_seeds(outcome: str, seeds=range(1, 5), steps: int = 24, **parameters) -> float:
    """The mean of one final outcome over a few seeds (for noisy mechanism comparisons)."""
    return float(np.mean([run_small(steps=steps, seed=s, **parameters).outcomes[outcome] for s in seeds]))


def pytest_sessionstart(session):
    """Compile the model's kernels once, on every core, before pytest-xdist starts its workers: on a
    cold cache each worker would otherwise compile all of them by itself, at the same time (about a
    minute of both cores on a fresh machine). The compile tests use caches of their own."""
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller has warmed the cache
        return
    warm_kernels()


@pytest.fixture
def small_model():
    return run_small
