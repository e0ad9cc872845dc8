"""Shared helpers for the tests: small models stepped a few months."""

from __future__ import annotations

import os

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


@pytest.fixture(scope="session")
def dask_cluster_of_this_worker(tmp_path_factory):
    """One dask scheduler with two workers on 127.0.0.1 per pytest worker, for every test that needs
    a healthy cluster (starting one costs 5-10 s of both cores)."""
    pytest.importorskip("distributed", reason="dask.distributed is not importable; the --scheduler path needs it")
    # Local: the helpers live with the sweep tests and import dask; most runs never ask for a cluster.
    from test_sweep_dask import start_cluster

    clusters = start_cluster(tmp_path_factory.mktemp("dask"))
    yield next(clusters)
    clusters.close()


@pytest.fixture
def dask_cluster(dask_cluster_of_this_worker):
    """The shared cluster with both workers running (one a test killed is replaced first)."""
    from test_sweep_dask import with_both_workers

    return with_both_workers(dask_cluster_of_this_worker)


# --- order: the longest tests first -------------------------------------------------------------
# With `-n 2` the suite's wall time is set by how the two workers end: a long test started last keeps
# one core busy while the other waits. So the known-slow tests start first, longest first, and
# pytest-xdist hands out one test at a time (--maxschedchunk=1, set below unless given): a worker
# takes the next test when it frees up, instead of a block of a quarter of the suite fixed at the
# start. Seconds per test (every parametrization) in a full `pytest -q -n 2` run on a quiet machine
# (2026-12-02; tests made smaller that day: estimated). Only the order matters: a stale or missing
# entry changes the order, never what runs. Update it from a quiet run's --durations.
SLOW_TESTS = {
    "test_readme_examples.py::test_every_readme_example_runs_at_a_small_size": 98,
    "test_parallel_compile.py::test_workers_fill_a_cold_cache_and_a_run_gives_the_same_numbers": 61,
    "test_claims_resume.py::test_sigkill_then_resume_equals_uninterrupted": 60,
    "test_dashboard_projector.py::test_each_lesson_can_be_walked_from_the_info_panel": 47,
    "test_sweep_dask.py::test_claims_battery_on_scheduler_equals_local_pool": 44,
    "test_dashboard_projector.py::test_presentation_fits_any_projector_with_every_text_at_least_18_px": 42,
    "test_kill_resume.py::test_claims_killed_at_random_moments_resume_to_the_uninterrupted_tables": 42,
    "test_sweep_dask.py::test_scheduler_equals_local_pool": 40,
    "test_kill_resume.py::test_calibrate_killed_at_random_moments_resumes_to_the_same_posterior": 40,
    "test_sweep_resume.py::test_sigkill_then_resume_equals_uninterrupted": 35,
    "test_runner_dask_faults.py::test_scheduler_death_is_one_line_and_resume_recovers": 34,
    "test_dashboard.py::test_dashboard_in_browser": 32,
    "test_calibrate.py::test_same_posterior_on_a_dask_cluster": 27,
    "test_runner_dask_faults.py::test_compare_on_a_scheduler_equals_in_process": 25,
    "test_sweep_resume.py::test_ctrl_c_saves_finished_runs_and_prints_the_resume_command": 24,
    "test_engine_equivalence.py::test_engines_agree_within_statistical_uncertainty": 24,
    "test_calibrate.py::test_same_posterior_with_two_workers": 23,
    "test_runner_dask_faults.py::test_losing_every_worker_is_said_not_a_frozen_bar": 22,
    "test_compare_boxes.py::test_where_a_strategy_is_best_is_found_and_checked": 21,
    "test_prim.py::test_points_needed_is_a_floor_below_the_measured_need": 21,
    "test_sweep_resume.py::test_two_workers_equal_one_worker": 20,
    "test_calibrate.py::test_killed_calibration_resumes_to_the_same_posterior": 20,
    "test_parallel_compile.py::test_a_broken_record_falls_back_to_the_serial_warm_up": 18,
    "test_sweep_resume.py::test_reference_is_complete": 18,
    "test_prim.py::test_the_size_the_report_names_for_a_known_box_is_measured": 18,
    "test_patterns.py::test_command_writes_the_scorecard_and_repeats_it_exactly": 17,
    "test_prim.py::test_matches_ema_workbench_live": 16,
    "test_runner_faults.py::test_second_process_on_a_running_sweep_is_refused_naming_the_holder": 16,
    "test_runner_dask_faults.py::test_unreachable_scheduler_is_one_line_and_writes_nothing": 15,
    "test_sweep_dask.py::test_killed_worker_loses_no_run": 14,
    "test_orphans.py::test_sigkill_of_a_sweep_leaves_no_worker_running": 14,
    "test_claims.py::test_sobol_method_gives_total_indices_of_the_effect": 14,
    "test_sweep_resume.py::test_resume_with_other_scenario_is_refused_on_one_line": 14,
    "test_engine_equivalence.py::test_bit_identical_with_one_and_two_threads": 13,
    "test_calibrate.py::test_recovery_of_known_parameters": 12,
    "test_prim.py::test_points_needed_is_a_size_where_the_box_turns_stable": 10,
    "test_bad_inputs.py::test_an_unreachable_scheduler_is_the_only_line": 10,
    "test_sweep_ishigami.py::test_one_and_two_workers_give_identical_tables": 10,
    "test_runner_dask_faults.py::test_scheduler_without_workers_says_so": 10,
    "test_sweep_ishigami.py::test_sobol_reproduces_analytical_indices": 10,
    "test_claims.py::test_report_states_its_sizes_and_reproduces_from_its_manifest": 9,
    "test_prim.py::test_same_seed_same_numbers": 8,
    "test_calibrate.py::test_held_out_pattern_passes_out_of_sample_when_the_fit_is_right_and_a_false_one_fails": 8,
    "test_claims.py::test_html_report_renders_offline_in_headless_chromium": 8,
    "test_mechanisms.py::test_power_sharing_lets_citizens_be_heard": 8,
    "test_animate.py::test_animate_writes_a_gif_with_one_frame_per_month": 7,
    "test_calibrate.py::test_folder_is_complete_and_calibrated_scenario_loads": 6,
    "test_compare.py::test_bigger_budget_meets_more_need_and_raises_wellbeing": 6,
    "test_compare.py::test_a_significant_difference_smaller_than_the_sesoi_is_no_meaningful_difference": 6,
}


def known_seconds(item) -> float:
    return SLOW_TESTS.get(f"{item.path.name}::{getattr(item, 'originalname', item.name)}", 0.0)


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist") and config.getoption("maxschedchunk", None) is None:
        config.option.maxschedchunk = 1


def pytest_collection_modifyitems(config, items):
    """The known-slow tests first, longest first; the rest keep their order (so a module's tests stay
    together). xdist's load scheduler starts each of n workers on two tests (items 2k, 2k+1), so the
    2n longest are dealt in pairs that balance: the longest with the 2n-th, and so on."""
    items.sort(key=lambda item: -known_seconds(item))  # stable
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    first = items[:2 * workers]
    if workers > 1 and len(first) == 2 * workers and known_seconds(first[-1]) > 0:
        dealt = [item for k in range(workers) for item in (first[k], first[2 * workers - 1 - k])]
        items[:2 * workers] = dealt
