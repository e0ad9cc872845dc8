"""The one experiment runner: evaluate a table of tasks (key, parameters, seed) and keep every result.

``sweep``, ``claims`` and ``compare`` describe their work as ``Task`` rows and hand them to
``run_tasks`` with an evaluation function. The runner evaluates them in this process
(``--workers 1``), on a local process pool or on a dask cluster (``open_executor``), shows a
progress bar, and passes each finished result to a *sink*: ``ChunkSink`` writes them as atomic
Parquet chunks into a folder that ``--resume`` continues, ``MemorySink`` keeps them in memory.
Whatever stops it (Ctrl-C, a failing run, a lost scheduler, a full disk), every finished result
is handed to the sink first and the caller gets one exception with a one-line message.

The seed convention (the same for every command)::

    run seed = numpy.random.SeedSequence(seed, spawn_key=(unit, replication)).generate_state(1)[0]

where ``seed`` is the command's ``--seed`` and ``unit`` the group of runs that must meet the same
randomness (common random numbers): a sample point (sweep: latin, morris, fast), a Saltelli base
sample with all its rows A, B and every AB_j (sweep with sobol, claims with sobol), a claim's
sample point with both arms (claims), the replication design or a robust point (compare). A
table therefore does not depend on the executor, the number of workers or the order of finishing.

What a command does around the runner (its folder, lock, manifest, resume and the message when
it stops) is ``session.py``'s.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from coprod.core.errors import InputError
from coprod.core.storage import DamagedFile, checksum_path, read_parquet, write_parquet
from coprod.experiments.checks import check_scheduler_address
from coprod.experiments.executors import StartedPool, local_pool

if TYPE_CHECKING:
    import pandas as pd

SEED_CONVENTION = ("run seed = numpy.random.SeedSequence(seed, spawn_key=(unit, replication))"
                   ".generate_state(1)[0]; unit = the group of runs that share randomness "
                   "(a sample point, a whole Saltelli base block A/B/AB_j, both arms of a claim)")
CHUNK_DIR = "results"
CHUNK_RE = re.compile(r"^chunk-(\d{5,})\.parquet$")
# Seconds without a finished run after which the runner checks whether the cluster lost its workers.
WORKERLESS_NOTICE = float(os.environ.get("COPROD_WORKERLESS_NOTICE", 10.0))
# Timed batches (``BatchPlanner``): a batch should keep a worker busy about this many seconds
# (each submission costs a round trip and two pickles, ~1-3 ms on a local pool) ...
TARGET_BATCH_SECONDS = 0.5
# ... but at most 1 / (TAIL_SHARES * slots) of the runs left, so batches shrink towards the end
# and the workers finish together (guided self-scheduling); and never more than this many runs.
TAIL_SHARES = 2
MAX_BATCH = 4096
# Run times the estimate of a run's seconds is the median of (the latest ones).
MEASURED_RUNS = 64


def run_seed(seed: int, unit: int, replication: int) -> int:
    """The seed of one run (see the module docstring)."""
    return int(np.random.SeedSequence(seed, spawn_key=(unit, replication)).generate_state(1)[0])


@dataclass(frozen=True)
class Task:
    """One evaluation: ``function(payload, seed)``; ``key`` identifies its result (a tuple of
    ints and strings), ``label`` names it in messages."""
    key: tuple
    payload: Any
    seed: int
    label: str = ""


# --- what can stop a table -------------------------------------------------------------------

class RunFailed(RuntimeError):
    """A task raised; the message names the task and its seed."""


class Interrupted(Exception):
    """Ctrl-C; finished results are with the sink."""

    def __init__(self, done: int, total: int):
        super().__init__(f"interrupted with {done} of {total} runs saved")
        self.done, self.total = done, total


class ExecutorLost(RuntimeError):
    """The dask scheduler or a pool worker went away; finished results are with the sink."""


class StorageFailed(RuntimeError):
    """A result could not be written (e.g. a full disk); earlier chunks are intact."""


# --- sinks ---------------------------------------------------------------------------------------

class MemorySink:
    """Keeps ``{key: result}`` in memory (for commands that write one report at the end)."""

    def __init__(self):
        self.results: dict[tuple, Any] = {}

    def add(self, task: Task, result: Any, seconds: float) -> None:
        self.results[task.key] = result

    def due(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    @property
    def saved(self) -> int:
        return len(self.results)


class ChunkFolder:
    """Finished rows of one table as ``<folder>/results/chunk-NNNNN.parquet``, each written atomically
    with its checksum (``storage.write_parquet``) and checked on every read.

    Only one process writes a chunk folder at a time (the caller holds its ``FolderLock``), so the
    next chunk number is simply one more than the highest present. ``remedy`` says, in messages
    about a damaged chunk, how to run its runs again (e.g. the command with --resume)."""

    def __init__(self, folder: Path | str, key_columns: Sequence[str], remedy: str | None = None):
        self.folder = Path(folder) / CHUNK_DIR
        self.key_columns = list(key_columns)
        self.remedy = remedy or f"rerun the runs it holds: the same command with --out {Path(folder)} --resume"
        self.discarded: list[str] = []

    def paths(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if CHUNK_RE.match(p.name))

    def prepare(self) -> None:
        """Create the folder, remove temporary files a killed writer left, and drop chunks that are
        damaged (their checksum differs, or they cannot be read), saying so on one line each: their
        runs are simply not done yet, and this resume runs them again."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for leftover in self.folder.glob(".chunk-*.tmp"):
            leftover.unlink(missing_ok=True)
        for path in self.paths():
            try:
                read_chunk(path, self.key_columns, self.remedy)
            except DamagedFile:
                path.unlink(missing_ok=True)
                checksum_path(path).unlink(missing_ok=True)
                self.discarded.append(path.name)
                print(f"coprod: {path}: damaged (checksum differs or unreadable); its runs are run again",
                      file=sys.stderr)

    def done_keys(self) -> set[tuple]:
        keys: set[tuple] = set()
        for path in self.paths():
            frame = read_chunk(path, self.key_columns, self.remedy)
            keys.update(frame.itertuples(index=False, name=None))
        return keys

    def write(self, rows: list[dict]) -> None:
        # Imported here and in ``read``: ``coprod run`` imports this module through ``session`` (its
        # folder reservation) and never a table; pandas at the top cost it ~0.5 s of a ~2 s run.
        import pandas as pd  # noqa: PLC0415

        number = max((int(CHUNK_RE.match(p.name).group(1)) for p in self.paths()), default=-1) + 1
        write_parquet(self.folder / f"chunk-{number:05d}.parquet", pd.DataFrame(rows))

    def read(self) -> pd.DataFrame | None:
        """Every chunk, checked (``DamagedFile`` names a damaged one), one row per key (the first
        written wins), sorted by key; None when there is none."""
        import pandas as pd  # noqa: PLC0415 - see ``write``

        parts = [read_chunk(p, remedy=self.remedy) for p in self.paths()]
        if not parts:
            return None
        rows = pd.concat(parts, ignore_index=True).drop_duplicates(self.key_columns, keep="first")
        return rows.sort_values(self.key_columns, kind="stable").reset_index(drop=True)


def read_chunk(path: Path, columns: Sequence[str] | None = None,
               remedy: str = "rerun the runs it holds with --resume") -> pd.DataFrame:
    """A chunk's rows, checked against its checksum; ``DamagedFile`` when it is damaged or empty."""
    frame = read_parquet(path, remedy, columns=list(columns) if columns else None)
    if not len(frame):
        raise DamagedFile(f"{path}: holds no rows; {remedy}")
    return frame


class ChunkSink:
    """Turns finished results into rows (``to_row``) and writes them to a ``ChunkFolder`` every
    ``chunk_runs`` rows or ``chunk_seconds`` seconds, whichever comes first."""

    def __init__(self, chunks: ChunkFolder, to_row: Callable[[Task, Any, float], dict],
                 chunk_runs: int = 50, chunk_seconds: float = 10.0):
        self.chunks, self.to_row = chunks, to_row
        self.chunk_runs, self.chunk_seconds = chunk_runs, chunk_seconds
        self.buffer: list[dict] = []
        self.saved = 0
        self.last = time.monotonic()

    def add(self, task: Task, result: Any, seconds: float) -> None:
        self.buffer.append(self.to_row(task, result, seconds))

    def due(self) -> bool:
        return bool(self.buffer) and (len(self.buffer) >= self.chunk_runs
                                      or time.monotonic() - self.last >= self.chunk_seconds)

    def flush(self) -> None:
        if self.buffer:
            try:
                self.chunks.write(self.buffer)
            except OSError as err:
                raise StorageFailed(f"cannot write a result chunk in {self.chunks.folder}: "
                                    f"{err.strerror or err}") from None
            self.saved += len(self.buffer)
            self.buffer = []
        self.last = time.monotonic()


# --- executors -----------------------------------------------------------------------------------

def _evaluate_batch(function: Callable[[Any, int], Any], items: list[tuple]) -> list[tuple]:
    """Worker side: ``[(key, payload, seed, label)] -> [(key, result, seconds)]``."""
    done = []
    for key, payload, seed, label in items:
        start = time.perf_counter()
        try:
            result = function(payload, seed)
        except Exception as err:  # noqa: BLE001 - reported with the run's identity
            first_line = (str(err).splitlines() or [""])[0]
            raise RunFailed(f"run {label or key} seed={seed} failed: {type(err).__name__}: {first_line}") from None
        done.append((key, result, time.perf_counter() - start))
    return done


def _silence_dask_logs() -> None:
    """distributed and tornado log reconnect attempts and callbacks cut short by Ctrl-C with
    tracebacks, also while the client shuts down at exit; the runner reports a lost scheduler
    itself, on one line. So once this process uses a cluster, their logs stay quiet."""
    roots = ("distributed", "tornado", "asyncio")
    names = [name for name in list(logging.root.manager.loggerDict) if name.split(".")[0] in roots]
    for name in set(names) | set(roots):  # dask's config gives some children a level of their own
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def _lost(err: BaseException) -> bool:
    """Does this error mean the executor itself went away (not that a run failed)?"""
    if isinstance(err, (CancelledError, BrokenProcessPool)):
        return True
    name = type(err).__name__
    return name in ("CommClosedError", "FutureCancelledError", "KilledWorker") or "cancelled" in name.lower()


def run_tasks(tasks: Sequence[Task], function: Callable[[Any, int], Any], sink, *, executor=None,
              slots: int = 1, scheduler: str | None = None, batch: int | None = None, total: int | None = None,
              progress: bool = True, desc: str = "coprod", unit: str = "run") -> None:
    """Evaluate every task and hand each result to ``sink`` (``add``; ``flush`` when ``due`` and at
    the end). ``executor`` None runs in this process; else a ``concurrent.futures`` executor from
    ``open_executor``. ``total`` (default ``len(tasks)``) sizes the progress bar, for resumed tables.
    ``batch`` runs go to a worker per submitted task (None: sized from measured run times,
    ``BatchPlanner``).

    Raises ``Interrupted``, ``RunFailed``, ``ExecutorLost`` or ``StorageFailed``, always after the
    sink holds and has written every finished result it could."""
    total = len(tasks) if total is None else total
    bar = None
    if progress and tasks:
        # Imported here: tqdm costs ~0.1 s (0.4 s on a loaded machine), and most callers that
        # import this module (``coprod run`` through ``session``) show no table's progress.
        from tqdm import tqdm  # noqa: PLC0415

        # A thread lock, not tqdm's default multiprocessing one, whose semaphore the resource tracker
        # would report as leaked when the command leaves without the interpreter's teardown (``cli``).
        tqdm.set_lock(threading.RLock())
        bar = tqdm(total=total, initial=total - len(tasks), unit=unit, desc=desc, file=sys.stderr,
                   dynamic_ncols=True, mininterval=0.5)
    try:
        if executor is None:
            _run_here(tasks, function, sink, bar)
        else:
            _run_on(executor, slots, tasks, function, sink, bar, batch, scheduler)
    except KeyboardInterrupt:
        _close(bar)
        _flush_quietly(sink)
        raise Interrupted(getattr(sink, "saved", 0), total) from None
    except (RunFailed, ExecutorLost, StorageFailed):
        _close(bar)
        _flush_quietly(sink)
        raise
    _close(bar)
    sink.flush()


def _close(bar) -> None:
    if bar is not None:
        bar.close()


def _flush_quietly(sink) -> None:
    """Save what finished before an error; a second failure (the same full disk) is not chained."""
    with contextlib.suppress(StorageFailed, OSError):
        sink.flush()


def _run_here(tasks, function, sink, bar) -> None:
    for task in tasks:
        (key, result, seconds), = _evaluate_batch(function, [(task.key, task.payload, task.seed, task.label)])
        sink.add(task, result, seconds)
        if bar is not None:
            bar.update()
        if sink.due():
            sink.flush()


class BatchPlanner:
    """Cuts ``tasks``, in order, into the batches sent to workers, sized from measured run times.

    Until a run time is known every batch is one run (the first batches measure). Then a batch
    holds as many runs as take about ``target_seconds`` by the median of the latest measured runs
    (which a worker's slow first run, loading its kernels, hardly moves), and at most
    1 / (``TAIL_SHARES`` x ``slots``) of the runs left, so the last batches are small and every
    worker finishes at about the same time. ``fixed`` (``--batch``) gives every batch that size.
    Which runs share a batch never changes a result: each run has its own seed."""

    def __init__(self, tasks: Sequence[Task], slots: int, fixed: int | None = None,
                 target_seconds: float = TARGET_BATCH_SECONDS):
        self.tasks, self.slots, self.fixed, self.target = list(tasks), max(1, slots), fixed, target_seconds
        self.start = 0
        self.seconds: deque[float] = deque(maxlen=MEASURED_RUNS)

    def measured(self, seconds: Sequence[float]) -> None:
        self.seconds.extend(seconds)

    def size(self) -> int:
        """Runs in the next batch (0 when none are left)."""
        left = len(self.tasks) - self.start
        if self.fixed is not None:
            return min(self.fixed, left)
        if not self.seconds:
            return min(1, left)
        by_time = int(self.target / max(statistics.median(self.seconds), 1e-9))
        tail = math.ceil(left / (TAIL_SHARES * self.slots))
        return max(min(1, left), min(by_time, tail, MAX_BATCH, left))

    def next_batch(self) -> list[Task] | None:
        count = self.size()
        if count == 0:
            return None
        batch = self.tasks[self.start:self.start + count]
        self.start += count
        return batch


def _run_on(executor, slots, tasks, function, sink, bar, batch, scheduler) -> None:
    planner = BatchPlanner(tasks, slots, fixed=batch)
    by_key = {task.key: task for task in tasks}
    in_flight: dict[Any, list[Task]] = {}
    window = max(2 * slots, 4)

    def fill() -> None:
        while len(in_flight) < window:
            group = planner.next_batch()
            if group is None:
                return
            items = [(t.key, t.payload, t.seed, t.label) for t in group]
            in_flight[executor.submit(_evaluate_batch, function, items)] = group

    def take(future) -> None:
        done = future.result()
        planner.measured([seconds for _, _, seconds in done])
        for key, result, seconds in done:
            sink.add(by_key[key], result, seconds)
            if bar is not None:
                bar.update()

    last_progress, warned = time.monotonic(), False
    try:
        fill()
        while in_flight:
            finished, _ = wait(list(in_flight), timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                in_flight.pop(future)
                take(future)
            if finished:
                last_progress, warned = time.monotonic(), False
            elif scheduler and not warned and time.monotonic() - last_progress > WORKERLESS_NOTICE:
                warned = _say_if_workerless(executor, scheduler, bar)
            fill()
            if sink.due():
                sink.flush()
    except BaseException as err:
        # Stop what has not started; keep what has finished.
        for future in in_flight:
            future.cancel()
        for future in in_flight:
            with contextlib.suppress(BaseException):
                if future.done() and not future.cancelled() and future.exception(timeout=0) is None:
                    take(future)
        if isinstance(err, (KeyboardInterrupt, RunFailed, StorageFailed)):
            raise
        if _lost(err):
            where = f"the dask scheduler {scheduler}" if scheduler else "a worker process"
            raise ExecutorLost(f"{where} stopped answering ({type(err).__name__})") from None
        raise


def _say_if_workerless(executor, scheduler: str, bar) -> bool:
    """Say (once, on its own line) that the cluster has no workers left, rather than leave a frozen
    bar; the runs wait for workers to join. Returns whether it said so."""
    try:
        workerless = not sum(executor._client.nthreads().values())
    except Exception:  # noqa: BLE001 - best effort: a lost scheduler is reported by the futures
        return False
    if workerless:
        text = (f"coprod: waiting: the dask scheduler {scheduler} has no workers; start some with: "
                f"dask worker {scheduler}")
        if bar is not None:
            bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)
    return workerless


@contextlib.contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None, worker_wait: float | None = None,
                  started: StartedPool | None = None) -> Iterator[tuple[Any, int, str]]:
    """Yield ``(executor, slots, description)``; ``executor`` is None for ``--workers 1`` (runs in
    this process). Connecting to a scheduler happens here, before any file is written, so an
    unreachable one, or one without workers after ``worker_wait`` seconds, is a one-line error.
    ``started``: a local pool the command started before its checks (``executors.start_pool``),
    taken when it fits, else stopped."""
    n = workers or os.cpu_count() or 1
    if started is not None and (scheduler or n == 1):
        started.stop()
    if scheduler:
        with _dask_executor(scheduler, worker_wait) as opened:
            yield opened
        return
    if n == 1:
        yield None, 1, "this process"
        return
    with local_pool(n, started) as executor:
        yield executor, n, f"local process pool ({n} workers)"


@contextlib.contextmanager
def _dask_executor(scheduler: str, worker_wait: float | None):
    check_scheduler_address(scheduler)
    worker_wait = float(os.environ.get("COPROD_WORKER_WAIT", 10.0)) if worker_wait is None else worker_wait
    # Imported here, first: importing it sets its loggers' levels (``_silence_dask_logs`` follows),
    # and dask costs seconds to import, paid only by runs on a cluster.
    from distributed import Client  # noqa: PLC0415

    _silence_dask_logs()
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise InputError(f"--scheduler: cannot connect to {scheduler} "
                         f"({str(err).splitlines()[0] if str(err) else type(err).__name__}); "
                         "allowed: the address of a running dask scheduler") from None
    try:
        deadline = time.monotonic() + worker_wait
        threads = sum(client.nthreads().values())
        while not threads and time.monotonic() < deadline:
            time.sleep(0.2)
            threads = sum(client.nthreads().values())
        if not threads:
            raise InputError(f"--scheduler {scheduler}: no workers joined within {worker_wait:g} s; "
                             f"allowed: a scheduler with workers (start some with: dask worker {scheduler})")
        # pure=False: every submission is its own task, never merged with an earlier one.
        yield client.get_executor(pure=False), threads, f"dask scheduler {scheduler} ({threads} worker threads)"
    finally:
        with contextlib.suppress(BaseException):
            client.close(timeout=5)
