"""A command killed with SIGKILL leaves no pool worker behind: the workers end with their parent
however it dies (``experiments/pool_worker.py``: a parent-death signal, and a watchdog)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from processes import wait_until

from coprod.experiments import pool_worker

SWEEP = ["sweep", "default", "--method", "latin", "--samples", "40", "--citizens", "60", "--steps", "240",
         "--engine", "agents", "--chunk-runs", "1", "--quiet", "--uncertain", "outreach=0:1"]


def is_worker(process: psutil.Process) -> bool:
    """A pool worker (not multiprocessing's resource tracker); False for one already ending."""
    try:
        return "resource_tracker" not in " ".join(process.cmdline())
    except psutil.Error:
        return False


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def gone(pids: list[int], timeout: float) -> list[int]:
    """The pids still alive (and not zombies) after up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if running(pid)]
        time.sleep(0.1)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the process table is read through psutil on Linux")
def test_sigkill_of_a_sweep_leaves_no_worker_running(tmp_path):
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "coprod.experiments.cli", *SWEEP, "--workers", "2", "--out", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    workers: list[int] = []
    try:
        def working() -> bool:
            workers[:] = [c.pid for c in psutil.Process(proc.pid).children(recursive=True) if is_worker(c)]
            return len(workers) >= 2 and any((out / "results").glob("chunk-*.parquet"))
        wait_until(proc, working, timeout=300, what="sweep on 2 workers")
        os.kill(proc.pid, signal.SIGKILL)  # the parent only: its workers must end by themselves
        proc.wait(timeout=30)
        assert gone(workers, timeout=10) == [], "pool workers outlived their parent"
    finally:
        with_group = [p for p in psutil.process_iter() if p.pid in workers]
        for leftover in with_group:
            leftover.kill()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        proc.stderr.close()


def test_the_watchdog_alone_ends_a_worker_whose_parent_died(tmp_path, monkeypatch):
    """Without the kernel's signal (as on macOS), the watchdog thread still ends the orphan."""
    script = tmp_path / "orphan.py"
    script.write_text(
        "import os, sys, time\n"
        "from coprod.experiments import pool_worker\n"
        "pool_worker.WATCHDOG_INTERVAL = 0.1\n"
        "parent = os.getpid()\n"
        "if os.fork() == 0:\n"
        "    sys.platform = 'darwin'  # skip prctl: the watchdog alone\n"
        "    pool_worker._die_with_parent(parent)\n"
        "    print(os.getpid(), flush=True)\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        child = int(proc.stdout.readline())
        assert psutil.pid_exists(child)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert gone([child], timeout=5) == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        proc.stdout.close()
    assert pool_worker.WATCHDOG_INTERVAL > 0
