"""Cold kernels compile in parallel from the recorded signatures (model/parallel_compile.py).

The compiling tests run in subprocesses with an empty ``NUMBA_CACHE_DIR`` of their own (Numba
reads it at import), so they compile for real and leave this process's cache alone; each costs a
cold compile of the small-run kernels (~10-25 s on 2 cores).
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import textwrap

import pytest

from coprod.model import parallel_compile
from coprod.model.parallel_compile import RECORD, cached_kernels, decode_signature, encode_type, load_record
from coprod.model.warmup import LARGE_POPULATION_KERNELS

SMALL = 300  # citizens: a small run, which skips the large-population kernels (a cheaper cold compile)


def outcomes_of_a_small_run() -> dict:
    from coprod.model.model import CoProductionModel

    model = CoProductionModel(seed=3, engine="numba", n_citizens=SMALL, n_groups=3, provider_choice=0.3)
    for _ in range(3):
        model.step()
    return {name: float(value) for name, value in model.outcomes.items()}


def run_cold(tmp_path, body: str, warm: dict[str, list[str]] | None = None) -> dict:
    """Run ``body`` (Python; it sets ``result``) in a fresh process on an empty kernel cache, or on
    one holding only the ``warm`` cache files (by kernel name)."""
    script = textwrap.dedent("""
        import json, os, shutil, sys
        sys.path.insert(0, {tests!r})
        from test_parallel_compile import outcomes_of_a_small_run
        from coprod.model import parallel_compile
        from coprod.model.warmup import cold_kernels, warm_kernels
        for name, kernel in parallel_compile.cached_kernels().items():
            for path in {warm!r}.get(name, []):
                os.makedirs(kernel._cache._cache_path, exist_ok=True)
                shutil.copy(path, kernel._cache._cache_path)
        said = []
    """).format(tests=os.path.dirname(__file__), warm=warm or {})
    script += textwrap.dedent(body) + "\nprint(json.dumps(result))\n"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    env.pop(parallel_compile.PROCESSES_ENV, None)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_record_names_every_cached_kernel_and_every_signature_parses():
    record = load_record()
    assert record["kernels"], f"{RECORD} is missing or unreadable"
    # A kernel added (or renamed) without `python -m coprod.model.warmup --record` fails here.
    assert sorted(record["kernels"]) == sorted(cached_kernels())
    for name, entry in record["kernels"].items():
        assert entry["seconds"] >= 0 and entry["signatures"], name
        for trees in entry["signatures"]:
            signature = decode_signature(trees)
            assert [encode_type(t) for t in signature] == trees, name  # and back, unchanged


def test_the_parser_refuses_what_it_does_not_know():
    for tree in ["float65", ["array", "float64", 1, "C"], ["array", "object", 1, "C", False],
                 ["eval", "__import__('os')"], ["unituple", "int64", -1], {"array": 1}, ["literal", "text"]]:
        with pytest.raises(ValueError):
            parallel_compile.decode_type(tree)
    with pytest.raises(ValueError):
        decode_signature("(int64,)")


def test_the_record_holds_the_signatures_a_warm_up_compiles():
    """A kernel whose arguments changed (a dtype, a tuple's length) without a new record: the
    parallel compile builds the old signature for nothing and the run compiles serially again."""
    done = subprocess.run([sys.executable, "-m", "coprod.model.warmup", "--check"], capture_output=True,
                          text=True, timeout=400)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:] + "\nrun `python -m coprod.model.warmup --record`"


def test_an_unreadable_record_plans_a_serial_compile(tmp_path):
    broken = tmp_path / "record.json"
    broken.write_text("{not json")
    record = load_record(broken)
    assert record["kernels"] == {}
    split, _ = parallel_compile.plan(["engine_numba.live_month", "tally.tally_month"], record, processes=2)
    assert split == [[]]  # nothing for workers: the warm-up compiles both


def test_shares_are_balanced_by_recorded_seconds():
    record = {"worker_start_seconds": 1.0, "kernels": {"a": {"seconds": 6.0}, "b": {"seconds": 3.0},
                                                       "c": {"seconds": 3.0}, "d": {"seconds": 1.0}}}
    split = parallel_compile.shares(["d", "c", "b", "a"], record, 2)
    # Longest first to the least loaded; a worker's share carries its start-up second.
    assert [sorted(share) for share in split] == [["a", "d"], ["b", "c"]]
    # A worker that would get nothing (its start costs more than the main process's share) is not started.
    few = {"worker_start_seconds": 2.0, "kernels": {"a": {"seconds": 0.5}, "b": {"seconds": 0.5}}}
    assert parallel_compile.shares(["a", "b"], few, 2) == [["a", "b"]]
    # No more processes than the longest kernel divides the total into: 13 s / 6 s, so 3 of 4.
    split, _ = parallel_compile.plan(["a", "b", "c", "d"], record, processes=4)
    assert len(split) == 3


def test_workers_fill_a_cold_cache_and_a_run_gives_the_same_numbers(tmp_path):
    result = run_cold(tmp_path, f"""
        cold = cold_kernels({SMALL})
        split, record = parallel_compile.plan(cold, processes=2)
        failed = parallel_compile.compile_in_parallel(split, record)
        left = cold_kernels({SMALL})  # before any warm-up: the workers and this process wrote the cache
        warm_kernels(say=said.append, largest_population={SMALL})
        result = dict(cold=len(cold), shares=[len(share) for share in split], failed=failed, left=left,
                      said=said, outcomes=outcomes_of_a_small_run())
    """)
    assert result["cold"] >= 20 and len(result["shares"]) == 2 and sum(result["shares"]) == result["cold"]
    assert result["failed"] == {} and result["left"] == []
    assert result["said"] == []  # the warm-up found nothing cold
    assert result["outcomes"] == outcomes_of_a_small_run()  # this process's kernels, compiled serially or cached


def warm_cache_files(but: set[str]) -> dict[str, list[str]]:
    """This process's cache files (warmed by tests/conftest.py) of every cached kernel but ``but``,
    by kernel name (Numba's cache layout, as warmup.cold_kernels reads it)."""
    files = {}
    for name, kernel in cached_kernels().items():
        if name not in but:
            folder, index = kernel._cache._cache_path, kernel._cache._cache_file._index_name
            files[name] = sorted(glob.glob(os.path.join(glob.escape(folder), glob.escape(index[:-len(".nbi")]) + ".*")))
    return files


# Light kernels (a few seconds each), so the serial warm-up that must compile them after the parallel
# compile failed costs little: the fallback does not depend on which kernel is broken, and breaking the
# three heaviest (engine_numba.live_month and two others) cost a serial cold compile of most of the model.
BROKEN = ["innovation._local_search", "municipality.fit_month", "municipality.providers_compete"]


def test_a_broken_record_falls_back_to_the_serial_warm_up(tmp_path):
    record = load_record()
    entries = record["kernels"]
    uncompilable, missing, unparsable = BROKEN
    entries[uncompilable]["signatures"] = [["int64"]]  # does not compile
    entries[unparsable]["signatures"] = [[["array", "float99", 1, "C", False]]]  # does not parse
    del entries[missing]  # not recorded
    # Recorded as the longest, so each share starts with one, working kernels after it (shares are
    # dealt longest first); no start-up allowance, so the two shares start even.
    entries[uncompilable]["seconds"] = entries[unparsable]["seconds"] = 1000.0
    record["worker_start_seconds"] = 0.0
    broken = tmp_path / "record.json"
    broken.write_text(json.dumps(record))
    small_runs_skip = list(LARGE_POPULATION_KERNELS)
    # Cold: the light kernels, the broken ones among them (a cold compile of the rest, another minute of
    # both cores, adds nothing: test_workers_fill_a_cold_cache... compiles them all in workers).
    light = {name for name, entry in entries.items() if 0 < entry["seconds"] < 7} - set(BROKEN + small_runs_skip)
    result = run_cold(tmp_path, f"""
        parallel_compile.RECORD = parallel_compile.Path({str(broken)!r})
        cold = cold_kernels({SMALL})
        split = parallel_compile.plan(cold, processes=2)
        failed = parallel_compile.compile_in_parallel(*split)
        left = cold_kernels({SMALL})
        warm_kernels(say=said.append, largest_population={SMALL}, processes=2)
        result = dict(cold=cold, shares=split[0], failed=sorted(failed), left=sorted(left), said=said,
                      after=cold_kernels({SMALL}), outcomes=outcomes_of_a_small_run())
    """, warm=warm_cache_files(but=light | set(BROKEN)))
    assert light | set(BROKEN) <= set(result["cold"])
    # The worker's share and this process's share each hold a broken kernel with working ones after it.
    assert len(result["shares"]) == 2
    for share in result["shares"]:
        positions = [share.index(name) for name in BROKEN if name in share]
        assert positions and min(positions) < len(share) - 1, share
    assert result["failed"] == sorted([uncompilable, unparsable])
    assert result["left"] == BROKEN  # the working kernels of both shares were compiled
    assert "to build in 2 processes" in result["said"][0]  # the warm-up had three kernels left
    assert result["after"] == []
    assert result["outcomes"] == outcomes_of_a_small_run()


def test_recording_types_on_an_empty_cache_then_times_in_a_worker(tmp_path, monkeypatch):
    """``--record``'s steps without their two cold compiles: which commands, on which caches."""
    import subprocess as real
    from types import SimpleNamespace

    from coprod.model import warmup

    signatures = {name: entry["signatures"] for name, entry in load_record()["kernels"].items()}
    calls = []

    def run(command, env, **kwargs):
        calls.append((command, env["NUMBA_CACHE_DIR"]))
        if "--signatures" in command:
            return SimpleNamespace(stdout=json.dumps(signatures) + "\n")
        seconds = {name: 0.5 for name in command[command.index("--kernels") + 1].split(",")}
        return SimpleNamespace(stdout=json.dumps({"seconds": seconds, "failed": {}}) + "\n")

    monkeypatch.setattr(real, "run", run)
    written = warmup.write_record(tmp_path / "record.json", say=lambda text: None)
    assert [command[1:4] for command, _ in calls] == [["-m", "coprod.model.warmup", "--signatures"],
                                                       ["-m", "coprod.model.parallel_compile", "--worker"]]
    assert calls[0][1] != calls[1][1] and all(cache != os.environ.get("NUMBA_CACHE_DIR") for _, cache in calls)
    assert load_record(tmp_path / "record.json") == written
    assert {name: entry["signatures"] for name, entry in written["kernels"].items()} == signatures
