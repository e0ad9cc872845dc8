"""Compile (or load) the numba kernels before the first run, and say so when that takes a while.

Numba compiles a kernel at its first call and keeps it in an on-disk cache; a cold cache costs
15-40 s that would otherwise pass in silence inside the first month. ``warm_kernels`` tells the
user, then steps a tiny model once, so that every kernel a run uses is compiled (or loaded) here:
in one process before a pool starts, instead of in every worker at once.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from coprod.core.streams import public_uniforms
from coprod.core.threads import PARALLEL_FROM_CITIZENS
from coprod.model import parallel_compile
from coprod.model.model import CoProductionModel
from coprod.model.tally import histogram_gini

# Small enough to cost nothing once compiled, large enough to reach every kernel of a month.
WARMUP_CITIZENS = 60
WARMUP_MONTHS = 2
# Seconds beyond the recorded compile times: process start, loading the cache, the warm-up model.
WARMUP_ALLOWANCE = 5.0
# While compiling, say every this many seconds that it is still going.
TICK_SECONDS = 15.0
# Kernels only a population of PARALLEL_FROM_CITIZENS or more calls (a smaller one is tallied by one
# serial kernel, ``tally.tally_month``): runs known to be small skip them, ~2.5 s of a cold compile
# (21 to 18-19 s measured).
LARGE_POPULATION_KERNELS = ("tally.sum_groups", "tally.sum_caseloads", "tally.count_chunks",
                            "tally.binned_gini_by_sorting", "tally.histogram_gini")


def _needs_large_kernels(largest_population: int | None) -> bool:
    return largest_population is None or largest_population >= PARALLEL_FROM_CITIZENS


def cold_kernels(largest_population: int | None = None) -> list[str]:
    """Names of cached kernels with no cache entry for their source as it is now (they will
    compile); for runs of at most ``largest_population`` citizens (None: any), only those they call.
    Numba stamps its cache index with a hash of the source file, so this asks the index itself: a
    file's modification time says nothing after a checkout that restores the same source."""
    cold = []
    for name, kernel in parallel_compile.cached_kernels().items():
        try:  # Numba's cache layout (internal): without it, say nothing rather than fail
            entries = kernel._cache._cache_file._load_index()
        except (AttributeError, OSError, ValueError, EOFError, pickle.UnpicklingError):
            continue
        if not entries:
            cold.append(name)
    if not _needs_large_kernels(largest_population):
        cold = [name for name in cold if name not in LARGE_POPULATION_KERNELS]
    return cold


def warm_kernels(say: Callable[[str], None] | None = None, largest_population: int | None = None,
                 processes: int | None = None) -> float:
    """Compile or load every kernel a numba run of at most ``largest_population`` citizens (None:
    any) uses; returns the seconds it took. When some are not cached yet, ``say`` (default: a line
    on stderr) is told before and after.

    Cold kernels are first compiled in parallel, one process per core (``processes``, default
    ``COPROD_COMPILE_PROCESSES`` or the usable cores; 1: serially, by the warm-up alone), from the
    signatures recorded in ``kernel_signatures.json``; the tiny model then loads them from the cache
    and compiles whatever that left cold."""
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    cold = cold_kernels(largest_population)
    start = time.perf_counter()
    if cold:
        split, record = [cold], None
        if processes != 1:
            try:
                split, record = parallel_compile.plan(cold, processes=processes)
            except Exception:  # noqa: BLE001 - a bad record only means compiling serially
                split = [cold]
        how = f"in {len(split)} processes" if len(split) > 1 else "in one process"
        say(f"coprod: compiling the model's kernels for this machine ({len(cold)} to build {how}; once: "
            f"{expected_compile_text(split, record)}; later runs and sweeps load them from the cache)")
        ticker = _Ticker(say, start)
        if len(split) > 1:
            try:
                parallel_compile.compile_in_parallel(split, record)
            except Exception:  # noqa: BLE001 - whatever is left cold, the warm-up below compiles
                pass
    # Provider choice on: its kernel (``municipality.providers_compete``) runs only with choice.
    model = CoProductionModel(seed=0, engine="numba", n_citizens=WARMUP_CITIZENS, n_groups=2, provider_choice=0.5)
    for _ in range(WARMUP_MONTHS):
        model.step()
    public_uniforms(0, 0, 0, np.arange(2))  # trials' assignment draws (``streams._uniforms_of``)

    if _needs_large_kernels(largest_population):  # the tiny model tallies serially: reach them here
        model.population.tally_in_parallel()
        histogram_gini(np.zeros(2, dtype=np.int64))  # the largest populations' Gini path
    seconds = time.perf_counter() - start
    if cold:
        ticker.stop()
        say(f"coprod: kernels compiled in {seconds:.0f} s")
    return seconds


def expected_compile_text(split: list[list[str]], record: dict | None) -> str:
    """How long the compile should take, said honestly: the recorded compile times of the largest
    share (``kernel_signatures.json``, measured on an idle machine) and that a busy one is slower."""
    try:
        record = record or parallel_compile.load_record()
        shares = [sum(float(record["kernels"].get(name, {}).get("seconds", 1.0)) for name in share) for share in split]
        idle = max(shares) + WARMUP_ALLOWANCE
    except Exception:  # noqa: BLE001 - no record: say the measured range instead
        return "about 10-40 s on an idle machine, several minutes on a busy one"
    return f"about {idle:.0f} s on an idle machine, several times that on a busy one"


class _Ticker:
    """Says every ``TICK_SECONDS`` that the compile is still going, so a long one is not mistaken for a hang."""

    def __init__(self, say: Callable[[str], None], start: float):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(say, start), daemon=True, name="coprod-compile-ticker")
        self._thread.start()

    def _run(self, say, start) -> None:
        while not self._stop.wait(TICK_SECONDS):
            say(f"coprod: still compiling ({time.perf_counter() - start:.0f} s so far)")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)


def used_signatures(largest_population: int | None = None) -> dict[str, list]:
    """The signatures of every cached kernel after a serial warm-up in this process (call it in a
    fresh process: a kernel called otherwise before would add its signatures)."""
    warm_kernels(say=lambda text: None, largest_population=largest_population, processes=1)
    return {name: [[parallel_compile.encode_type(t) for t in signature] for signature in dispatcher.signatures]
            for name, dispatcher in parallel_compile.cached_kernels().items()}


def record_problems(record: dict | None = None) -> list[str]:
    """How the record differs from what a warm-up in this (fresh) process compiles or loads."""
    record = parallel_compile.load_record() if record is None else record
    problems = []
    used = used_signatures()
    for name, signatures in used.items():
        entry = record["kernels"].get(name)
        if not signatures and entry is not None:
            # A kernel called only from other kernels is typed only when its callers compile: with
            # their cache warm it has no signatures here. Its callers share its source file, so a
            # change to it makes them compile again, and a later check compares it.
            continue
        if entry is None:
            problems.append(f"{name}: not in the record")
        elif sorted(map(json.dumps, entry.get("signatures", []))) != sorted(map(json.dumps, signatures)):
            problems.append(f"{name}: recorded signatures differ from a warm-up's")
    for name in record["kernels"]:
        if name not in used:
            problems.append(f"{name}: recorded, but no such cached kernel")
    return problems


def write_record(path: Path | None = None, say=print) -> dict:
    """Record the signatures a full warm-up compiles, then time each kernel's compile in a fresh
    process with an empty cache (the costs that balance the processes' shares)."""
    with tempfile.TemporaryDirectory(prefix="coprod-record-") as folder:
        # On an empty cache, so that kernels called only by other kernels are typed, too.
        done = subprocess.run([sys.executable, "-m", "coprod.model.warmup", "--signatures"],
                              capture_output=True, text=True,
                              env=dict(os.environ, NUMBA_CACHE_DIR=str(Path(folder) / "typing")), check=True)
        signatures = json.loads(done.stdout.splitlines()[-1])
        jobs = Path(folder) / "jobs.json"
        jobs.write_text(json.dumps({"kernels": {name: {"signatures": trees} for name, trees in signatures.items()}}))
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(folder) / "cache"), **{parallel_compile.PROCESSES_ENV: "1"})
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", parallel_compile.__name__, "--worker", "--record-file", str(jobs),
                               "--kernels", ",".join(sorted(signatures))], capture_output=True, text=True, env=env,
                              check=True)
        wall = time.perf_counter() - start
    timed = json.loads(done.stdout.splitlines()[-1])
    if timed["failed"]:
        raise RuntimeError(f"recorded signatures failed to compile: {timed['failed']}")
    record = {
        "about": "Signatures a numba run compiles, per cached kernel, and seconds to compile each in a "
                 "fresh process; regenerate with `python -m coprod.model.warmup --record`.",
        "worker_start_seconds": round(max(wall - sum(timed["seconds"].values()), 0.0), 2),
        "kernels": {name: {"seconds": round(timed["seconds"][name], 3), "signatures": signatures[name]}
                    for name in sorted(signatures)},
    }
    target = Path(path or parallel_compile.RECORD).resolve()  # an editable install links the source file
    target.write_text(parallel_compile.readable(record))
    say(f"recorded {sum(map(len, signatures.values()))} signatures of {len(signatures)} kernels "
        f"({sum(timed['seconds'].values()):.1f} s of compiling) in {target}")
    return record


if __name__ == "__main__":
    if sys.argv[1:] == ["--record"]:  # regenerate kernel_signatures.json (after changing a kernel's arguments)
        write_record()
    elif sys.argv[1:] == ["--check"]:  # does the record match what a warm-up compiles?
        problems = record_problems()
        print("\n".join(problems) or "the record matches a warm-up")
        sys.exit(1 if problems else 0)
    elif sys.argv[1:] == ["--signatures"]:  # write_record's first step, on an empty cache
        used = used_signatures()
        kernels = parallel_compile.cached_kernels()
        for name, trees in used.items():  # every recorded signature must come back the same
            for tree, signature in zip(trees, kernels[name].signatures):
                if parallel_compile.decode_signature(tree) != tuple(signature):
                    raise ValueError(f"{name}: {signature} does not survive its JSON form")
        print(json.dumps(used), flush=True)
    else:
        print("usage: python -m coprod.model.warmup --record | --check", file=sys.stderr)
        sys.exit(2)
