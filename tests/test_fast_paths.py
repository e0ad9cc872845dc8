"""Fast paths compute exactly what the plain ones do (speed work must not move a single bit)."""

import numpy as np
import pytest

from coprod.agents.state import CitizenRecords
from coprod.core.streams import counter_uniform, public_uniforms
from coprod.model.tally import (
    GINI_BINS,
    binned_gini_by_sorting,
    count_chunks,
    gini,
    histogram_gini,
    numpy_sum,
    sorted_bins_gini,
    sorted_wellbeing_bins,
    wellbeing_bins,
)


@pytest.mark.parametrize("n", [1, 7, 300, 5_000])
def test_sorted_bins_gini_is_the_histogram_gini_bit_for_bit(n):
    rng = np.random.default_rng(n)
    # Ties (many citizens in one bin) and the ends of the range are where the two could part.
    wellbeing = np.concatenate([rng.random(n), np.full(n // 3, 0.5), [0.0, 1.0, 1.5, -0.2]]).astype(np.float32)
    records = CitizenRecords(len(wellbeing))
    records["wellbeing"] = wellbeing
    _, histogram = count_chunks(records.traits, records.state, 3, GINI_BINS)
    by_histogram = histogram_gini(histogram)
    by_sorting = sorted_bins_gini(np.sort(wellbeing_bins(records.state), kind="stable"))
    assert by_sorting == by_histogram
    assert binned_gini_by_sorting(records.state) == by_histogram  # bins radix-sorted in the kernel
    assert abs(by_sorting - gini(np.clip(wellbeing, 0, 1))) < 1e-3


def test_sorted_bins_gini_of_nobody_or_no_wellbeing_is_zero():
    assert sorted_bins_gini(np.zeros(0, dtype=np.uint16)) == 0.0
    assert sorted_bins_gini(np.zeros(5, dtype=np.uint16)) == pytest.approx(0.0, abs=1e-12)  # all equal


@pytest.mark.parametrize("n", [0, 1, 2, 255, 256, 5_000])
def test_compiled_radix_sort_of_the_bins_is_numpys_sort(n):
    state = CitizenRecords(n).state
    state["wellbeing"] = np.random.default_rng(n).random(n)
    state["wellbeing"][: n // 4] = 0.25  # many equal bins
    assert np.array_equal(sorted_wellbeing_bins(state), np.sort(wellbeing_bins(state)))


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


@pytest.mark.parametrize("n, group_bounds, caseload_bounds", [
    (50, [0, 17, 17, 40, 50], [0, 10, 20, 35, 35, 50]),  # caseloads across group starts; an empty group and caseload
    (40, [0, 5, 10, 15, 20, 40], [0, 30, 40]),  # one caseload across four group starts
    (30, [0, 10, 20, 30], [0, 10, 20, 30]),  # caseloads and groups alike
])
@pytest.mark.parametrize("n_chunks", [1, 3])
def test_parallel_tally_sums_each_group_and_caseload_in_order(n, group_bounds, caseload_bounds, n_chunks):
    """``sum_groups``, ``sum_caseloads`` and ``count_chunks`` on two threads: each group's and each
    caseload's sums must be the plain in-order sums of its citizens, to the bit, and the counts
    NumPy's counts, however groups, caseloads and chunks lie across each other."""
    import numba

    from coprod.model.tally import G_MET, G_PARTICIPANTS, G_TRUST, gini_bin, sum_caseloads, sum_groups

    rng = np.random.default_rng(n)
    records = CitizenRecords(n)
    for name in ("wellbeing", "met", "trust", "hours"):
        records[name] = rng.random(n) * 10.0 ** rng.integers(-4, 4, size=n)  # magnitudes apart: order shows
    records["phase"] = rng.integers(-1, 4, size=n)
    records["invited"] = rng.random(n) < 0.4
    records["heard"] = rng.random(n) < 0.3
    records["quintile"] = rng.integers(0, 5, size=n)
    state, traits = records.state, records.traits
    outside = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        groups = sum_groups(np.array(group_bounds), traits, state, np.zeros(n), np.zeros(n))
        caseloads = sum_caseloads(np.array(caseload_bounds), state)
        quintiles, histogram = count_chunks(traits, state, n_chunks, GINI_BINS)
    finally:
        numba.set_num_threads(outside)

    def in_order(values):
        total = 0.0
        for value in values:
            total += float(value)
        return total

    def spans(bounds):
        return [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]

    for g, span in enumerate(spans(group_bounds)):
        assert groups[g, G_MET] == in_order(state["met"][span]) and groups[g, G_TRUST] == in_order(state["trust"][span])
        assert groups[g, G_PARTICIPANTS] == (state["phase"][span] >= 0).sum()
    for c, span in enumerate(spans(caseload_bounds)):
        phase = state["phase"][span]
        expected = [(phase >= 0).sum(), state["invited"][span].sum(), in_order(state["met"][span]),
                    ((phase == 0) | (phase == 1)).sum()]
        assert caseloads[c].tolist() == [float(x) for x in expected], c
    taking_part = state["phase"] >= 0
    assert quintiles[:, 0].tolist() == np.bincount(traits["quintile"][taking_part], minlength=5).tolist()
    assert quintiles[:, 1].tolist() == np.bincount(traits["quintile"][state["heard"]], minlength=5).tolist()
    bins = [gini_bin(value) for value in state["wellbeing"]]
    assert np.array_equal(histogram, np.bincount(bins, minlength=GINI_BINS))


def test_tie_pass_skipping_untied_citizens_tends_every_tie_as_a_full_pass_would():
    from coprod.model.engine_numba import tend_ties
    from coprod.model.model import CoProductionModel

    model = CoProductionModel(seed=4, engine="numba", n_citizens=600, n_groups=6, cp_level="collective")
    population = model.population
    # A shadow set of ties tended with every citizen marked tied, so no row is ever skipped.
    strength, bonding, bridging = population.strength.copy(), population.bonding.copy(), population.bridging.copy()
    everyone = np.ones(population.n, dtype=np.bool_)
    skipped_some = False
    for _ in range(24):
        model.step()  # tends the model's own ties, skipping the untied
        tend_ties(population.indptr, population.indices, population.group_of, population.group_bounds,
                  population.seen_last, strength, model.p["tie_build_rate"], model.p["tie_decay_rate"], bonding,
                  bridging, everyone)
        everyone[:] = True
        assert np.array_equal(strength, population.strength)
        assert np.array_equal(bonding, population.bonding) and np.array_equal(bridging, population.bridging)
        rows_tied = np.logical_or.reduceat(strength != 0, population.indptr[:-1]) & (np.diff(population.indptr) > 0)
        assert np.array_equal(population.tied, rows_tied)
        skipped_some |= not population.tied.all()
    assert population.strength.any() and skipped_some  # ties grew, and some citizens were skipped


def test_threads_for_a_small_population_is_one_and_restores_the_count():
    import numba

    from coprod.core.threads import PARALLEL_FROM_CITIZENS, threads_for

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


def test_compiled_outcome_row_is_the_plain_numpy_reading_and_its_moving_averages():
    from coprod.model.model import CoProductionModel
    from coprod.model.outcomes import HORIZONS, INFLUENCE_SCALE, TRACKED, reporter_names

    # Twelve groups: NumPy's pairwise sums and the kernel's sums in order then differ in the last bits.
    # Some output pressure: since strain comes from workload (Model 3) a default NPG team feels none.
    model = CoProductionModel(seed=5, n_citizens=300, n_groups=12, output_target_pressure=0.6)
    readings = []  # each month's own reading of every quantity read at the horizons
    for _ in range(30):
        model.step()
        readings.append({name: model.outcomes[name] for name in TRACKED})
    held = model.outcomes
    tally, outcomes, politician = model.last_tally, dict(model.outcomes), model.politician

    n = tally.n_citizens
    members = np.maximum(tally.members, 1)
    influence = 1.0 - np.exp(-((model.fit_gain * members).sum() / members.sum()) / INFLUENCE_SCALE)
    top = tally.quintile_heard[4] / tally.quintile_members[4]
    bottom = tally.quintile_heard[0] / tally.quintile_members[0]
    representation = min(1.0, bottom / top)  # here the poorest fifth is heard, but less than the richest
    cost = politician.staff_spent + politician.grants + politician.takeover_cost + politician.reinvested
    expected = {
        "wellbeing": tally.wellbeing.sum() / n,
        "efficiency_precision": tally.met_need_hours.sum() / tally.need_hours.sum(),
        "resource_mobilisation": tally.coproduced_need_hours.sum() / tally.met_need_hours.sum(),
        "democracy": (influence + representation + tally.trust_sum / n) / 3.0,
        "influence": influence,
        "representation": representation,
        "voice_share": tally.heard.sum() / n,
        "participation_gap": (tally.quintile_participants[4] / tally.quintile_members[4]
                              - tally.quintile_participants[0] / tally.quintile_members[0]),
        "citizen_hours": tally.hours.sum(),
        "unmet_need": 1.0 - tally.met.sum() / n,
        "value_for_money": tally.met.sum() / cost,
        "mean_strain": model.staff.strain.mean(),
        "service_hours": model.staff.service_hours.sum(),
    }
    assert min(abs(value) for value in expected.values()) > 0 and representation < 1.0  # every definition is exercised
    for name, value in expected.items():
        assert outcomes[name] == pytest.approx(value, rel=1e-12), name
    # What the politician reads (and the budget follows) is the scalar division, bit for bit.
    assert outcomes["mean_trust"] == tally.trust_sum / n
    assert politician.approval == 0.5 * (tally.trust_sum / n + tally.wellbeing.sum() / n)

    # Each horizon is its moving average from the first month on; impact is the long one less the first month.
    for name in TRACKED:
        series = [month[name] for month in readings]
        for horizon, weight in HORIZONS.items():
            average = series[0]
            for value in series:
                average += weight * (value - average)
            assert outcomes[f"{name}_{horizon}"] == pytest.approx(average, rel=1e-12, abs=1e-15), (name, horizon)
        assert outcomes[f"{name}_impact"] == pytest.approx(outcomes[f"{name}_long"] - series[0], rel=1e-12, abs=1e-15)
        assert len(set(series)) > 1, name  # the averages were tested on a series that moves

    # The history holds the same row; a dict read earlier keeps its month when the model moves on.
    assert model.datacollector.rows[-1].tolist() == [outcomes[name] for name in reporter_names()]
    model.step()
    assert held == outcomes and model.outcomes != outcomes


@pytest.mark.parametrize("n", [1, 3, 12])
def test_binary_rows_are_itertools_products_in_order(n):
    import itertools

    from coprod.model.innovation import _binary_rows

    expected = np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64)
    assert np.array_equal(_binary_rows(n), expected)


def test_the_warm_up_reaches_every_cached_kernel_and_is_then_silent():
    from coprod.model.warmup import cold_kernels, warm_kernels

    warm_kernels(say=lambda text: None)  # compiles (or loads) whatever this checkout has not cached yet
    assert cold_kernels() == []  # else a kernel is never called by a run's month, or not cached
    said = []
    warm_kernels(say=said.append)
    assert said == []


def test_only_large_populations_call_the_kernels_a_small_warm_up_skips(monkeypatch):
    from numba.core.caching import FunctionCache

    from coprod.core.threads import PARALLEL_FROM_CITIZENS
    from coprod.model import engine_numba, tally
    from coprod.model.model import CoProductionModel
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


def _month_of(scenario: str, months: int = 14):
    from coprod.experiments.scenarios import load_scenario
    from coprod.model.model import CoProductionModel

    model = CoProductionModel(seed=7, **{**load_scenario(scenario).parameters, "n_citizens": 600, "n_groups": 12})
    for _ in range(months):
        model.step()
    return model


@pytest.mark.parametrize("scenario", ["hybrid", "npg_individual", "npg_collective"])
def test_compiled_learning_is_the_array_formula_of_the_odd(scenario):
    """``update_fit`` and ``shared_benefits`` (compiled loops) against their formulas as NumPy
    arrays (docs/ODD.md 7.11 and 7.14), on a real month's tally."""
    from coprod.agents.rules import group_critical_mass
    from coprod.model import municipality as m

    model = _month_of(scenario)
    tally, p = model.last_tally, model.p
    fit, voice = model.fit.copy(), model.partner_voice
    members = np.maximum(tally.members, 1)
    voiced = tally.heard[:, 0] + tally.heard[:, 1] + 0.5 * tally.heard[:, 3] + 0.5 * voice
    flexibility = 1.0 - p["rule_rigidity"]
    gain = flexibility * p["fit_learning_rate"] * (1 - np.exp(-voiced / members / m.INFORMATION_SCALE)) * (1 - fit)
    population_share = members / members.sum()
    shortfall = np.maximum(0.0, population_share - voiced / voiced.sum()) / population_share
    capture = flexibility * p["agenda_capture"] * ((gain * members).sum() / members.sum()) * shortfall * fit
    professional = (p["professional_learning"] * p["frontline_autonomy"]
                    * np.maximum(0, m.PROFESSIONAL_FIT_CEILING - fit))
    expected = np.clip(fit + gain + professional - capture - p["fit_drift"] * (fit - p["base_fit"]), 0, 1)
    new_fit, new_gain = m.update_fit(fit, tally, voice, p)
    assert voiced.sum() > 0 and np.allclose(new_gain, gain, rtol=1e-12, atol=1e-15)
    assert np.allclose(new_fit, expected, rtol=1e-12, atol=1e-15)

    facilitation = m.facilitation_by_group(*model._group_caseload_overlap, model.staff.facilitation)
    ngo_hours = np.linspace(0.0, 50.0, len(fit))

    def success(share, mass):
        return 1 / (1 + np.exp(-(share - mass * (1 - 0.5 * facilitation)) / 0.03))

    coordination = 1 - p["coordination_cost"] * (1 - facilitation)
    productivity, spill = p["coproduction_productivity"], p["collective_spillover"]
    output = productivity * tally.deliver_hours_collective * success(tally.collective / members,
                                                                     p["critical_mass"]) * coordination
    group_output = (productivity * tally.deliver_hours_group * (0.5 + 0.5 * coordination)
                    * success(tally.participants / members, group_critical_mass(p["critical_mass"])))
    has_group_work = tally.deliverers_need_hours_group > 0
    expected = (np.clip(np.where(has_group_work, group_output / np.maximum(tally.deliverers_need_hours_group, 1e-9), 0),
                        0, 1),
                np.clip(spill * output / np.maximum(tally.need_hours, 1e-9), 0, 1),
                np.clip((1 - spill) * output / np.maximum(tally.deliverers_need_hours_collective, 1e-9), 0, 1),
                np.clip(ngo_hours / np.maximum(tally.need_hours, 1e-9), 0, 1))
    benefits = m.shared_benefits(tally, facilitation, ngo_hours, p)
    for got, want in zip(benefits, expected):
        assert np.allclose(got, want, rtol=1e-12, atol=1e-15)
    assert np.allclose(facilitation,
                       [np.average(model.staff.facilitation[
                           model.population.caseload_of[model.population.group_of == g]])
                        for g in range(len(fit))], rtol=1e-12)
