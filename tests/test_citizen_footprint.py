"""The numba engine's per-citizen footprint: the network's row starts are int32 and each citizen's
caseload is computed in the month, not kept (10^7 citizens within 200 bytes each)."""

import numpy as np
import pytest
from numba import njit

from coprod.core.parameters import PARAMETERS
from coprod.model import network
from coprod.model.model import CoProductionModel
from coprod.model.network import MAX_STORED_TIES, build_network
from coprod.model.population import caseload_at, caseload_membership, caseload_without_division, group_membership


def test_the_largest_declared_network_fits_int32_row_starts():
    most_citizens, most_ties = PARAMETERS["n_citizens"].high, PARAMETERS["mean_degree"].high
    assert 2 * most_citizens * (most_ties // 2) <= MAX_STORED_TIES
    built = build_network(group_membership(1000, 10), 10, 8, 0.7, 1)
    assert built.indptr.dtype == np.int32 and built.indptr[-1] == len(built.indices)


def test_a_network_beyond_int32_row_starts_is_refused(monkeypatch):
    monkeypatch.setattr(network, "MAX_STORED_TIES", 7_999)
    with pytest.raises(ValueError, match="store 8000 tie ends; allowed: at most 7999"):
        build_network(group_membership(1000, 10), 10, 8, 0.7, 1)


@njit
def _compiled_caseloads(citizens, n, n_caseloads):
    """Each citizen's caseload as the month computes it (without a division), and by ``caseload_at``."""
    fast = np.empty(citizens.shape[0], dtype=np.int64)
    exact = np.empty(citizens.shape[0], dtype=np.int64)
    for k in range(citizens.shape[0]):
        u = np.uint64(citizens[k])
        fast[k] = caseload_without_division(u, np.uint64(n), np.uint64(n_caseloads), n_caseloads / n)
        exact[k] = caseload_at(u, np.uint64(n), np.uint64(n_caseloads))
    return fast, exact


@pytest.mark.parametrize("n, per_professional", [(10, 5), (2_000, 100), (99_991, 7), (1_234_567, 97), (20_000_000, 5)])
def test_the_months_computed_caseload_is_the_assigned_one(n, per_professional):
    n_caseloads = -(-n // per_professional)
    # The first citizens, an even spread, and each caseload's first and last citizen (where a float
    # estimate is most likely off by one).
    bounds = -(-np.arange(n_caseloads + 1, dtype=np.int64) * n // n_caseloads)  # first citizen of each caseload
    citizens = np.unique(np.r_[np.arange(min(n, 1000)), np.linspace(0, n - 1, 1000).astype(np.int64),
                               bounds[:-1], bounds[1:] - 1, n - 1])
    assigned = ((citizens * n_caseloads) // n)  # initial_citizens' rule, in int64
    fast, exact = _compiled_caseloads(citizens, n, n_caseloads)
    assert np.array_equal(exact, assigned) and np.array_equal(fast, assigned)
    if n <= 2_000:
        assert np.array_equal(caseload_membership(n, n_caseloads), (np.arange(n) * n_caseloads) // n)


def test_the_numba_engine_keeps_no_caseload_array_but_reads_one_as_assigned():
    model = CoProductionModel(seed=3, engine="numba", n_citizens=1_000, citizens_per_professional=30)
    engine = model.population
    assert "caseload_of" not in vars(engine)
    assigned = np.repeat(np.arange(model.n_caseloads), np.diff(engine.caseload_bounds))
    assert np.array_equal(engine.caseload_of, assigned)
