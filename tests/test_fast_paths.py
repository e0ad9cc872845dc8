"""Fast paths compute exactly what the plain ones do (speed work must not move a single bit)."""

import numpy as np
import pytest

from coprod.model.streams import counter_uniform, public_uniforms
from coprod.model.tally import (GINI_BINS, binned_gini_by_sorting, count_chunks, gini, histogram_gini, numpy_sum,
                                sorted_bins_gini, sorted_wellbeing_bins, wellbeing_bins)


@pytest.mark.parametrize("n", [1, 7, 300, 5_000])
def test_sorted_bins_gini_is_the_histogram_gini_bit_for_bit(n):
    rng = np.random.default_rng(n)
    # Ties (many citizens in one bin) and the ends of the range are where the two could part.
    wellbeing = np.concatenate([rng.random(n), np.full(n // 3, 0.5), [0.0, 1.0, 1.5, -0.2]]).astype(np.float32)
    zeros = np.zeros(len(wellbeing), dtype=np.int8)
    _, histogram = count_chunks(zeros, zeros, zeros.astype(np.bool_), wellbeing, 3, GINI_BINS)
    by_histogram = histogram_gini(histogram)
    by_sorting = sorted_bins_gini(np.sort(wellbeing_bins(wellbeing), kind="stable"))
    assert by_sorting == by_histogram
    assert binned_gini_by_sorting(wellbeing) == by_histogram  # bins radix-sorted in the kernel
    assert abs(by_sorting - gini(np.clip(wellbeing, 0, 1))) < 1e-3


def test_sorted_bins_gini_of_nobody_or_no_wellbeing_is_zero():
    assert sorted_bins_gini(np.zeros(0, dtype=np.uint16)) == 0.0
    assert sorted_bins_gini(np.zeros(5, dtype=np.uint16)) == pytest.approx(0.0, abs=1e-12)  # all equal


@pytest.mark.parametrize("n", [0, 1, 2, 255, 256, 5_000])
def test_compiled_radix_sort_of_the_bins_is_numpys_sort(n):
    wellbeing = np.random.default_rng(n).random(n).astype(np.float32)
    wellbeing[: n // 4] = 0.25  # many equal bins
    assert np.array_equal(sorted_wellbeing_bins(wellbeing), np.sort(wellbeing_bins(wellbeing)))


def test_compiled_sum_is_numpys_pairwise_sum_to_the_bit():
    rng = np.random.default_rng(1)
    # Around NumPy's block sizes (8 running sums, blocks of 128, halves cut at multiples of 8).
    for n in [*range(0, 140), 255, 256, 257, 1_000, 1_031, 4_097]:
        values = (rng.random(n) - 0.3) * 10.0 ** rng.integers(-3, 9, size=n)  # magnitudes apart: order shows
        assert numpy_sum(values) == np.sum(values), n
        assert np.array_equal(np.stack([values, values[::-1]]).sum(axis=1), [np.sum(values), np.sum(values[::-1])])
    assert str(numpy_sum(np.array([-0.0]))) == str(np.sum(np.array([-0.0]))) == "0.0"


@pytest.mark.parametrize("n_citizens, n_groups", [(300, 7), (1_200, 40)])
def test_serial_tally_is_the_parallel_tally_bit_for_bit(n_citizens, n_groups):
    import dataclasses

    from coprod.model.model import CoProductionModel

    model = CoProductionModel(seed=8, engine="numba", n_citizens=n_citizens, n_groups=n_groups)
    for _ in range(12):
        model.step()
        serial, parallel = model.population.tally_serially(), model.population.tally_in_parallel()
        for field in dataclasses.fields(serial):
            mine, theirs = getattr(serial, field.name), getattr(parallel, field.name)
            assert type(mine) is type(theirs), field.name
            if isinstance(mine, np.ndarray):
                assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), field.name
            else:
                assert mine == theirs, field.name
    assert serial.participants.sum() > 0 and serial.wellbeing_gini > 0  # something was counted


def test_threads_for_a_small_population_is_one_and_restores_the_count():
    import numba

    from coprod.model.threads import PARALLEL_FROM_CITIZENS, threads_for

    outside = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))  # more than one where the machine allows
    try:
        before = numba.get_num_threads()
        with threads_for(PARALLEL_FROM_CITIZENS - 1):
            assert numba.get_num_threads() == 1
            with threads_for(10):
                assert numba.get_num_threads() == 1
            assert numba.get_num_threads() == 1
        assert numba.get_num_threads() == before
        with threads_for(PARALLEL_FROM_CITIZENS):
            assert numba.get_num_threads() == before
    finally:
        numba.set_num_threads(outside)


def test_compiled_public_draws_are_the_numpy_hash():
    entities = np.array([0, 1, 5, 2**40 + 3, 2**63], dtype=np.uint64)
    with np.errstate(over="ignore"):
        expected = counter_uniform(np.uint64(12345), np.uint64(7), entities, np.uint64(201))
    assert np.array_equal(public_uniforms(12345, 7, 201, entities), expected)
    scalar = public_uniforms(12345, 7, 201, 5)
    assert scalar.shape == () and float(scalar) == expected[2]


def test_outcome_history_reads_as_mesas_own_collector():
    import mesa

    from coprod.model.model import CoProductionModel
    from coprod.model.outcomes import reporter_names

    model = CoProductionModel(seed=4, n_citizens=200, n_groups=4)
    names = reporter_names()
    mesas = mesa.DataCollector(model_reporters={name: (lambda m, name=name: m.outcomes.get(name, float("nan")))
                                                for name in names})
    for _ in range(140):  # past the first allocation, so the array has grown once
        model.step()
        mesas.collect(model)
    ours = model.datacollector
    assert isinstance(ours, mesa.DataCollector)
    assert ours.get_model_vars_dataframe().equals(mesas.get_model_vars_dataframe())
    assert ours.model_vars == mesas.model_vars
    assert list(ours.model_reporters) == names


@pytest.mark.parametrize("n", [1, 3, 12])
def test_binary_rows_are_itertools_products_in_order(n):
    import itertools

    from coprod.model.innovation import _binary_rows

    expected = np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64)
    assert np.array_equal(_binary_rows(n), expected)


def test_initiative_keys_for_all_ngos_are_each_ngos_own():
    from coprod.model.streams import SLOT_BITS, initiative_entities

    keys = initiative_entities(np.array([3, 0, 7]), np.array([2, 0, 3]))
    expected = [(3 << SLOT_BITS) | 0, (3 << SLOT_BITS) | 1, (7 << SLOT_BITS) | 0, (7 << SLOT_BITS) | 1,
                (7 << SLOT_BITS) | 2]
    assert keys.dtype == np.uint64 and keys.tolist() == expected
    assert initiative_entities(np.array([], dtype=np.int64), np.array([], dtype=np.int64)).size == 0


def test_the_warm_up_reaches_every_cached_kernel_and_is_then_silent():
    from coprod.model.warmup import cold_kernels, warm_kernels

    warm_kernels(say=lambda text: None)  # compiles (or loads) whatever this checkout has not cached yet
    assert cold_kernels() == []  # else a kernel is never called by a run's month, or not cached
    said = []
    warm_kernels(say=said.append)
    assert said == []


def test_only_large_populations_call_the_kernels_a_small_warm_up_skips(monkeypatch):
    from numba.core.caching import FunctionCache

    from coprod.model import engine_numba, tally
    from coprod.model.model import CoProductionModel
    from coprod.model.threads import PARALLEL_FROM_CITIZENS
    from coprod.model.warmup import LARGE_POPULATION_KERNELS

    def refuse(*args):
        raise AssertionError("a large-population kernel was called")

    for qualified in LARGE_POPULATION_KERNELS:
        module, name = qualified.split(".")
        assert module == "tally" and isinstance(getattr(tally, name)._cache, FunctionCache)  # a cached kernel
        monkeypatch.setattr(engine_numba, name, refuse)  # the engine calls them by these names
    small = CoProductionModel(seed=2, engine="numba", n_citizens=PARALLEL_FROM_CITIZENS - 1, n_groups=3)
    for _ in range(2):
        small.step()
    large = CoProductionModel(seed=2, engine="numba", n_citizens=PARALLEL_FROM_CITIZENS, n_groups=3)
    with pytest.raises(AssertionError, match="large-population kernel"):
        large.step()


@pytest.mark.parametrize("n, k", [(12, 4), (4, 0), (10, 9)])
def test_tabulated_landscape_is_fitness_of_every_design(n, k):
    from coprod.model.innovation import ServiceDesign

    design = ServiceDesign(n, k, 5, 3, np.random.default_rng(n + k))
    design.turbulence(1.0, lambda count: np.random.default_rng(count).random(count))  # a redraw re-tabulates
    assert np.array_equal(design._every, design.fitness_of(design._all_designs))


def test_mesa_batch_run_reads_the_outcome_history():
    import mesa

    from coprod.model.model import CoProductionModel

    rows = mesa.batch_run(CoProductionModel, parameters={"n_citizens": [100], "n_groups": [2], "seed": [1]},
                          max_steps=3, number_processes=1, display_progress=False)
    # batch_run steps while steps <= max_steps and reads the row numbered like the last step, as
    # Mesa's own collector does for models that collect after each step (not at set-up).
    model = CoProductionModel(seed=1, n_citizens=100, n_groups=2)
    for _ in range(4):
        model.step()
    last = model.datacollector.get_model_vars_dataframe().iloc[3]
    assert len(rows) == 1 and rows[0]["Step"] == 3
    assert all(rows[0][name] == last[name] for name in last.index)


def test_compiled_proposals_adopt_what_numpys_argmax_would():
    from coprod.model.innovation import ServiceDesign

    design = ServiceDesign(12, 4, 30, 3, np.random.default_rng(11))
    index, expected_adopted = design._index, 0
    groups = np.random.default_rng(12).integers(0, 30, size=40)
    for g in groups:  # the rule as NumPy states it, one group after another
        trials = index ^ design._group_masks[g]
        scores = design._every[trials]
        best = int(np.argmax(scores))
        if scores[best] > design._every[index]:
            index, expected_adopted = int(trials[best]), expected_adopted + 1
    assert design.group_proposals(groups) == expected_adopted and design._index == index
    assert expected_adopted > 0
