"""Sweeps and the claims battery on a dask cluster (a scheduler and two workers on 127.0.0.1) give
the same tables as the local process pool, also when one worker is killed with SIGKILL in the middle
of a sweep."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from processes import wait_for_chunks

from coprod.experiments.cli import main

pytest.importorskip("distributed", reason="dask.distributed is not importable; the --scheduler path needs it")

SETTINGS = ["--method", "latin", "--samples", "30", "--replications", "2", "--citizens", "100", "--steps", "12",
            "--engine", "agents", "--seed", "3", "--chunk-runs", "5", "--quiet",
            "--uncertain", "outreach=0:1", "process_openness=0:1", "mean_degree=4:12"]
RUNS = 30 * 2  # 12 chunks of 5 runs: a kill after the first one or two still leaves most to do


def shipped_scenarios() -> list[str]:
    """Paths of the scenario files shipped with the package (scenarios/*.toml)."""
    import coprod.scenarios

    return sorted(str(p) for p in Path(coprod.scenarios.__file__).parent.glob("*.toml"))


SCENARIO = (shipped_scenarios() + ["(no scenario file shipped)"])[0]


def coprod() -> list[str]:
    return [sys.executable, "-m", "coprod.experiments.cli"]


def dask_command(role: str) -> list[str]:
    script = Path(sys.executable).with_name("dask")
    if script.exists():
        return [str(script), role]
    return [sys.executable, "-m", f"distributed.cli.dask_{role}"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    handle = open(log, "wb")
    try:
        # Own session: the worker's nanny and its worker process die together with killpg.
        return subprocess.Popen(command, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        handle.close()


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def start_worker(address: str, folder: Path, k: int) -> subprocess.Popen:
    return start(dask_command("worker") + [address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                           "--host", "127.0.0.1", "--local-directory", str(folder / f"w{k}")],
                 folder, folder / f"worker{k}.log")


def wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout="60s", set_as_default=False) as client:
        client.wait_for_workers(count, timeout=60)


def start_cluster(folder: Path):
    """A scheduler and two workers on 127.0.0.1 (a generator: stopped when closed)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    try:
        procs.append(start(dask_command("scheduler") + ["--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                           folder, folder / "scheduler.log"))
        procs.extend(start_worker(address, folder, k) for k in range(2))
        wait_for_workers(address, 2)
        yield {"address": address, "workers": procs[1:], "folder": folder}
    finally:
        for proc in reversed(procs):
            stop(proc)


def with_both_workers(cluster: dict) -> dict:
    """``cluster`` with a new worker in place of any a test killed."""
    dead = [k for k, proc in enumerate(cluster["workers"]) if proc.poll() is not None]
    for k in dead:
        cluster["workers"][k] = start_worker(cluster["address"], cluster["folder"], len(cluster["workers"]) + k)
    if dead:
        wait_for_workers(cluster["address"], len(cluster["workers"]))
    return cluster


@pytest.fixture
def cluster(dask_cluster):
    return dask_cluster  # tests/conftest.py: one per pytest worker, shared with test_calibrate and others


@pytest.fixture(scope="session")  # not module: the slowest tests run first (conftest.py), apart from the rest
def local(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("local") / "sweep"
    # In this process: a coprod process costs seconds of imports before its pool even starts.
    assert main(["sweep", SCENARIO, *SETTINGS, "--workers", "2", "--out", str(out)]) == 0
    return pd.read_parquet(out / "results.parquet").drop(columns=["runtime"])


def test_scheduler_equals_local_pool(tmp_path, cluster, local):
    out = tmp_path / "sweep"
    done = subprocess.run(coprod() + ["sweep", SCENARIO, *SETTINGS, "--scheduler", cluster["address"],
                                      "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(out / "results.parquet").drop(columns=["runtime"])
    assert len(table) == RUNS
    pd.testing.assert_frame_equal(table, local)


def test_claims_battery_on_scheduler_equals_local_pool(tmp_path, cluster):
    """The claims battery takes the same executor path: a cluster gives the local pool's tables."""
    settings = ["claims", "--claim", "takeover_stifles", "--claim", "hybrid_strains_staff", "--samples", "6",
                "--replications", "1", "--citizens", "100", "--steps", "12", "--engine", "agents", "--quiet"]
    tables = []
    for where, out in ((["--scheduler", cluster["address"]], tmp_path / "cluster"),
                       (["--workers", "2"], tmp_path / "local")):
        done = subprocess.run(coprod() + settings + where + ["--out", str(out)], capture_output=True, text=True,
                              timeout=300, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        tables.append({name: pd.read_parquet(out / f"{name}.parquet") for name in ("runs", "points", "summary")})
    assert len(tables[0]["runs"]) == 2 * 6 + 2
    for name in tables[0]:
        pd.testing.assert_frame_equal(tables[0][name], tables[1][name])


def test_killed_worker_loses_no_run(tmp_path, cluster, local):
    out = tmp_path / "sweep"
    chunks = out / "results"
    proc = subprocess.Popen(coprod() + ["sweep", SCENARIO, *SETTINGS, "--scheduler", cluster["address"],
                                        "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path, start_new_session=True)
    try:
        wait_for_chunks(proc, chunks, count=1, timeout=120, what="sweep")
        victim = cluster["workers"][1]
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == 0, err.decode()
    table = pd.read_parquet(out / "results.parquet").drop(columns=["runtime"])
    assert len(table) == RUNS
    assert not table.duplicated(["sample", "replication"]).any()
    pd.testing.assert_frame_equal(table, local)
