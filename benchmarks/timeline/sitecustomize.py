"""Timeline probe for ``benchmarks/claims_timeline.py``: not part of coprod, never on its path.

With ``COPROD_TIMELINE=FILE`` and this folder on ``PYTHONPATH``, every Python process of a command
(the command itself, its pool's workers) imports this module at start-up (``site`` imports any
``sitecustomize`` on the path) and appends one line per event to FILE: wall time, pid, parent pid,
event, detail. It records the process's start (from the kernel), its exit, and calls of the
functions named in ``PROBES`` (start and end), which it wraps when their module is first imported.
A wrapper keeps its function's name and module, so pickling a probed function by reference (how a
pool hands ``_evaluate_batch`` to a worker) finds the wrapper, which is probed there too.
"""

from __future__ import annotations

import atexit
import functools
import importlib.abc
import os
import sys
import time

PATH = os.environ.get("COPROD_TIMELINE")
# module -> names of functions (``Class.method`` for methods) to time.
PROBES = {
    "coprod.experiments.cli": ("main",),
    "coprod.experiments.claims": ("cmd_claims", "chosen_claims", "check_options", "battery_manifest",
                                  "run_resumable", "run_claims", "write_battery", "ClaimAnalyses._analyse",
                                  "ClaimAnalyses.results", "_FrameSink.add"),
    "coprod.experiments.sweep": ("cmd_sweep", "run_sweep"),
    "coprod.experiments.runner": ("_evaluate_batch", "run_tasks", "_run_on"),
    "coprod.experiments.executors": ("start_pool", "local_pool", "StartedPool.ready", "prepare_worker", "warm_worker"),
    "coprod.experiments.pool_worker": ("start_worker",),
    "coprod.experiments.session": ("Session.working", "Session.writing_report"),
    "coprod.core.storage": ("write_tables",),
}
_fd: int | None = None


def record(event: str, detail: str = "", when: float | None = None) -> None:
    line = f"{time.time() if when is None else when:.6f} {os.getpid()} {os.getppid()} {event} {detail}\n"
    os.write(_fd, line.encode())


def _started() -> float:
    """This process's start, wall clock (the kernel's start time in clock ticks since boot)."""
    with open("/proc/self/stat") as stat:
        ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/stat") as info:
        boot = next(int(line.split()[1]) for line in info if line.startswith("btime"))
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _detail(name: str, args: tuple) -> str:
    if name == "_evaluate_batch" and len(args) > 1:
        return f"runs={len(args[1])}"
    if name == "ClaimAnalyses._analyse" and len(args) > 1:
        return str(args[1])
    return ""


def _wrap(function, name: str):
    if name == "_FrameSink.add":  # one line a pair, no end
        @functools.wraps(function)
        def added(*args, **kwargs):
            record("pair", str(args[1].key[0]))
            return function(*args, **kwargs)
        return added

    @functools.wraps(function)
    def probed(*args, **kwargs):
        detail = _detail(name, args)
        record(f"{name}:start", detail)
        try:
            return function(*args, **kwargs)
        finally:
            record(f"{name}:end", detail)
    return probed


def _probe(module) -> None:
    for name in PROBES[module.__name__]:
        owner, _, attribute = name.rpartition(".")
        holder = getattr(module, owner, None) if owner else module  # absent in an older build: not probed
        function = getattr(holder, attribute, None)
        if function is not None:
            setattr(holder, attribute, _wrap(function, name))


class _Finder(importlib.abc.MetaPathFinder):
    """Finds a probed module with the other finders and probes it once it has executed."""

    def find_spec(self, name, path, target=None):
        if name not in PROBES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                execute = spec.loader.exec_module

                def exec_module(module, execute=execute):
                    execute(module)
                    _probe(module)
                spec.loader.exec_module = exec_module
                return spec
        return None


def _exit_now(code=0, _real=os._exit):
    record("exit", "os._exit")
    _real(code)


if PATH:
    _fd = os.open(PATH, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    record("process", " ".join(sys.argv)[:200] or "-", when=_started())
    record("site")
    sys.meta_path.insert(0, _Finder())
    os._exit = _exit_now
    atexit.register(record, "exit", "atexit")
