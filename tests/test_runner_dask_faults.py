"""The runner with a dask scheduler that dies, has no workers or does not answer: one line, a non-zero
exit, nothing written before the work starts, and ``--resume`` recovers the whole table. Also
``compare --scheduler`` gives the table of the local run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from test_sweep_dask import dask_command, free_port, start, stop

from coprod.experiments.cli import main

pytest.importorskip("distributed", reason="dask.distributed is not importable; the --scheduler path needs it")

SWEEP = ["sweep", "default", "--method", "latin", "-N", "40", "--citizens", "60", "--steps", "12", "--engine",
         "agents", "--chunk-runs", "4", "--quiet", "--uncertain", "outreach=0:1"]


def coprod() -> list[str]:
    import sys

    return [sys.executable, "-m", "coprod.experiments.cli"]


def interactive_coprod() -> list[str]:
    """``coprod`` as a terminal starts it, with Ctrl-C raising KeyboardInterrupt. A process started with
    SIGINT ignored keeps it ignored (POSIX; Python then installs no handler), so a test that presses
    Ctrl-C must not depend on how its own process was started: twice in this suite's full runs under
    pytest-xdist the sweep took no notice of SIGINT (its main thread still in the run loop 120 s later)."""
    import sys

    return [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from coprod.experiments.cli import console_main; console_main()"]


def scheduler(folder: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [start(dask_command("scheduler") + ["--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                   folder, folder / "scheduler.log")]
    for k in range(workers):
        procs.append(start(dask_command("worker") + [address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                                      "--host", "127.0.0.1", "--local-directory",
                                                      str(folder / f"w{k}")],
                           folder, folder / f"worker{k}.log"))
    try:
        with Client(address, timeout="60s", set_as_default=False) as client:
            if workers:
                client.wait_for_workers(workers, timeout=60)
    except BaseException:
        for proc in reversed(procs):
            stop(proc)
        raise
    return address, procs


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if not line.startswith("sweep: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_scheduler_death_is_one_line_and_resume_recovers(tmp_path):
    address, procs = scheduler(tmp_path, workers=1)
    out = tmp_path / "sweep"
    try:
        run = subprocess.Popen(coprod() + SWEEP + ["--scheduler", address, "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while len(list((out / "results").glob("chunk-*.parquet"))) < 2 and time.monotonic() < deadline:
            assert run.poll() is None, run.stderr.read()
            time.sleep(0.05)
        os.killpg(procs[0].pid, signal.SIGKILL)  # the scheduler dies mid-sweep
        _, err = run.communicate(timeout=120)
    finally:
        for proc in reversed(procs):
            stop(proc)
    assert run.returncode == 1
    line = one_line(err)
    assert "scheduler" in line and "stopped answering" in line and "--resume" in line
    done = subprocess.run(coprod() + SWEEP + ["--workers", "1", "--out", str(out), "--resume"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert main(SWEEP + ["--workers", "1", "--out", str(tmp_path / "whole")]) == 0  # uninterrupted, in this process
    columns = lambda t: t.drop(columns=["runtime"])  # noqa: E731
    pd.testing.assert_frame_equal(columns(pd.read_parquet(out / "results.parquet")),
                                  columns(pd.read_parquet(tmp_path / "whole" / "results.parquet")))


def test_scheduler_without_workers_says_so(tmp_path):
    address, procs = scheduler(tmp_path, workers=0)
    try:
        done = subprocess.run(coprod() + SWEEP + ["--scheduler", address, "--out", str(tmp_path / "sweep")],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "COPROD_WORKER_WAIT": "2"})
    finally:
        for proc in procs:
            stop(proc)
    assert done.returncode == 2
    assert "no workers joined" in one_line(done.stderr)
    assert not (tmp_path / "sweep").exists()


def test_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path):
    """For sweep and compare (claims shares the runner's connect), run at once: each spends the
    client's whole connect timeout (10 s) finding nothing there."""
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    argv = {"sweep": SWEEP, "compare": ["compare", "npm", "npg_collective", "--citizens", "60", "--steps", "2",
                                        "--replications", "2", "--quiet"]}
    started = {}
    for command, arguments in argv.items():
        (tmp_path / command).mkdir()
        started[command] = subprocess.Popen(coprod() + arguments + ["--scheduler", address, "--out",
                                                                    str(tmp_path / command / "out")],
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for command, proc in started.items():
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 2, (command, err)
            assert "cannot connect" in one_line(err), command
            assert list((tmp_path / command).iterdir()) == [], command
    finally:
        for proc in started.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_compare_on_a_scheduler_equals_in_process(tmp_path, dask_cluster):
    argv = ["compare", "npm", "npg_collective", "--citizens", "60", "--steps", "6", "--replications", "2", "--quiet"]
    on_dask = subprocess.run(coprod() + argv + ["--scheduler", dask_cluster["address"], "--out",
                                                str(tmp_path / "dask")], capture_output=True, text=True, timeout=300)
    assert on_dask.returncode == 0, on_dask.stderr
    assert main(argv + ["--out", str(tmp_path / "here")]) == 0  # in this process: no second start-up to pay
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "finals.parquet"),
                                  pd.read_parquet(tmp_path / "here" / "finals.parquet"))


def test_losing_every_worker_is_said_not_a_frozen_bar(tmp_path):
    address, procs = scheduler(tmp_path, workers=1)
    out = tmp_path / "sweep"
    try:
        # Ten times the usual sweep, so it cannot finish before its only worker is gone (it is interrupted anyway).
        long_sweep = [("400" if arg == "40" else arg) for arg in SWEEP]
        run = subprocess.Popen(interactive_coprod() + long_sweep + ["--scheduler", address, "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COPROD_WORKERLESS_NOTICE": "2", "PYTHONFAULTHANDLER": "1"})
        deadline = time.monotonic() + 120
        while not list((out / "results").glob("chunk-*.parquet")) and time.monotonic() < deadline:
            assert run.poll() is None, run.stderr.read()
            time.sleep(0.05)
        stop(procs[1])  # the only worker goes away; the scheduler stays
        deadline = time.monotonic() + 180  # its own allowance: a loaded machine starts slowly
        notice = ""
        while "has no workers" not in notice and time.monotonic() < deadline:
            notice = run.stderr.readline()
            assert notice or run.poll() is None, "the sweep ended without saying"
        run.send_signal(signal.SIGINT)
        try:
            _, rest = run.communicate(timeout=120)
        except subprocess.TimeoutExpired:  # hung after Ctrl-C: show where (faulthandler dumps every thread)
            status = Path(f"/proc/{run.pid}/status").read_text().splitlines()  # was SIGINT ignored or blocked?
            signals = [line for line in status if line.startswith("Sig")]
            run.send_signal(signal.SIGABRT)
            _, rest = run.communicate(timeout=60)
            raise AssertionError(f"the sweep did not stop within 120 s of Ctrl-C; "
                                 f"{signals}; its threads:\n{rest}") from None
    finally:
        for proc in reversed(procs):
            stop(proc)
    assert "has no workers" in notice and f"dask worker {address}" in notice
    assert run.returncode == 130 and "Traceback" not in rest and "--resume" in rest
