"""The shared runner under faults: a second process on a locked folder, damaged chunks, kills before
the manifest, leftover temporary files, a full disk, Ctrl-C while starting. Each ends in one clean
line and a non-zero exit, and ``--resume`` recovers a table equal to an uninterrupted one."""

from __future__ import annotations

import errno
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from known_answers import ishigami

from coprod.core.locks import FolderLock
from coprod.experiments import runner
from coprod.experiments.cli import main
from coprod.experiments.session import reserved_folder
from coprod.experiments.sweep import run_sweep

PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
TINY = ["sweep", "default", "--method", "latin", "-N", "12", "--citizens", "60", "--steps", "2", "--engine", "agents",
        "--workers", "1", "--chunk-runs", "3", "--quiet", "--uncertain", "outreach=0:1", "process_openness=0:1"]
CLAIMS = ["claims", "--claim", "hybrid_strains_staff", "--samples", "3", "--replications", "1", "--citizens", "60",
          "--steps", "2", "--engine", "agents", "--workers", "1", "--quiet"]


def coprod() -> list[str]:
    return [sys.executable, "-m", "coprod.experiments.cli"]


def table(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "results.parquet").drop(columns=["runtime"])


def ishigami_sweep(out: Path, **kw) -> pd.DataFrame:
    return run_sweep(out, problem=PROBLEM, method="latin", samples=30, outcomes=["y"], evaluate=ishigami, seed=4,
                     workers=1, chunk_runs=5, progress=False, info={"evaluate": "ishigami"}, **kw)


@pytest.fixture(scope="session")  # not module: the slowest tests run first (conftest.py), apart from the rest
def reference(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("reference") / "sweep"
    assert main(TINY + ["--out", str(out)]) == 0
    return table(out)


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if not line.startswith("sweep: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --- the lock ----------------------------------------------------------------------------------------

def test_second_process_on_a_running_sweep_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "sweep"
    settings = ["sweep", "default", "--method", "latin", "-N", "40", "--citizens", "60", "--steps", "12",
                "--engine", "agents", "--workers", "1", "--chunk-runs", "2", "--quiet", "--out", str(out)]
    first = subprocess.Popen(coprod() + settings, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "results").glob("chunk-*.parquet")) and time.monotonic() < deadline:
            assert first.poll() is None, first.stderr.read().decode()
            time.sleep(0.05)
        # Freeze the holder so it cannot finish (and release the lock) before the second process starts,
        # however fast this machine runs the sweep; a stopped process keeps its lock.
        os.killpg(first.pid, signal.SIGSTOP)
        assert first.poll() is None, "the sweep finished before it could be frozen"
        second = subprocess.run(coprod() + settings + ["--resume"], capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        line = one_line(second.stderr)
        assert f"pid {first.pid}" in line and "in use by another coprod" in line and str(out) in line
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        first.stderr.close()
    # The kernel dropped the dead holder's lock: --resume finishes, without duplicate rows.
    done = subprocess.run(coprod() + settings + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(out / "results.parquet")
    assert len(runs) == 40 and not runs.duplicated(["sample", "replication"]).any()


def test_lock_in_one_process_refuses_a_second_holder(tmp_path):
    with FolderLock(tmp_path):
        with pytest.raises(runner.InputError, match=rf"pid {os.getpid()} on "):
            # A second open file description conflicts even within one process (flock semantics).
            FolderLock(tmp_path).acquire()
    FolderLock(tmp_path).acquire().release()  # free again once released


# --- damaged and leftover files ----------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_damaged_chunk_is_rerun_on_resume(tmp_path, damage):
    whole = ishigami_sweep(tmp_path / "whole")
    out = tmp_path / "sweep"
    ishigami_sweep(out)
    chunk = sorted((out / "results").glob("chunk-*.parquet"))[1]
    data = chunk.read_bytes()
    chunk.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"")
    (out / "results.parquet").unlink()
    resumed = ishigami_sweep(out, resume=True)
    columns = [c for c in whole.columns if c != "runtime"]
    pd.testing.assert_frame_equal(resumed[columns], whole[columns])


def test_resume_of_a_sweep_killed_before_its_manifest_starts_it(tmp_path):
    out = tmp_path / "sweep"
    (out / "results").mkdir(parents=True)
    (out / ".coprod.lock").write_text("")
    (out / ".manifest.json.abc123.tmp").write_text("{")
    runs = ishigami_sweep(out, resume=True)
    assert len(runs) == 30
    assert not list(out.glob(".*.tmp"))


def test_resume_removes_leftover_temporary_files(tmp_path):
    out = tmp_path / "sweep"
    ishigami_sweep(out)
    leftovers = [out / ".manifest.json.x1.tmp", out / ".samples.parquet.x2.tmp",
                 out / "results" / ".chunk-00099.parquet.x3.tmp"]
    for path in leftovers:
        path.write_text("half")
    ishigami_sweep(out, resume=True)
    assert not any(path.exists() for path in leftovers)


def test_claims_resume_cleans_what_a_kill_after_the_report_left(tmp_path, capsys):
    out = tmp_path / "battery"
    assert main(CLAIMS + ["--out", str(out)]) == 0
    report = sorted(p.name for p in out.iterdir())
    (tmp_path / "battery.partial" / "results").mkdir(parents=True)
    (tmp_path / ".tmp-battery-abc").mkdir()
    assert main(CLAIMS + ["--out", str(out), "--resume"]) == 0
    assert not (tmp_path / "battery.partial").exists() and not (tmp_path / ".tmp-battery-abc").exists()
    assert sorted(p.name for p in out.iterdir()) == report


def test_claims_resume_with_nothing_to_resume_starts_the_battery(tmp_path):
    out = tmp_path / "battery"
    (tmp_path / "battery.partial").mkdir()  # killed before its manifest was written
    assert main(CLAIMS + ["--out", str(out), "--resume"]) == 0
    assert (out / "runs.parquet").is_file() and not (tmp_path / "battery.partial").exists()


# --- a full disk ------------------------------------------------------------------------------------

def test_full_disk_is_one_line_and_resume_recovers(tmp_path, capsys, monkeypatch, reference):
    out = tmp_path / "sweep"
    real = runner.write_parquet
    written = []

    def fill_the_disk(path, frame):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        real(path, frame)

    monkeypatch.setattr(runner, "write_parquet", fill_the_disk)
    assert main(TINY + ["--out", str(out)]) == 1
    line = one_line(capsys.readouterr().err)
    assert "No space left on device" in line and "--resume" in line
    assert len(list((out / "results").glob("chunk-*.parquet"))) == 1
    monkeypatch.setattr(runner, "write_parquet", real)
    assert main(TINY + ["--out", str(out), "--resume"]) == 0
    pd.testing.assert_frame_equal(table(out), reference)


# --- Ctrl-C while starting ------------------------------------------------------------------------------

def test_ctrl_c_while_starting_is_one_line(tmp_path):
    proc = subprocess.Popen(coprod() + TINY + ["--out", str(tmp_path / "sweep")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # still importing the libraries (numba, pandas, SALib)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    # 130, or death by SIGINT (which a shell also reports as 130): CPython re-raises SIGINT at exit
    # when a library's import ran code through PyRun_* at the moment of the Ctrl-C. 0 only if the
    # sweep had already finished.
    assert proc.returncode in (130, -signal.SIGINT, 0), err
    assert err.strip().splitlines()[-1:] in (["coprod: interrupted"], []), err


def test_claims_on_a_locked_partial_is_refused_naming_the_holder(tmp_path, capsys):
    partial = tmp_path / "battery.partial"
    partial.mkdir()
    with FolderLock(partial):
        before = sorted(p.name for p in tmp_path.rglob("*"))
        assert main(CLAIMS + ["--out", str(tmp_path / "battery"), "--resume"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "in use by another coprod" in line and f"pid {os.getpid()}" in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("command", [
    ["run", "default", "--citizens", "60", "--steps", "2", "--quiet"],
    ["compare", "npm", "npg_collective", "--citizens", "60", "--steps", "2", "--replications", "2", "--quiet"]],
    ids=["run", "compare"])
def test_run_and_compare_refuse_a_folder_another_coprod_is_writing(tmp_path, capsys, command):
    out = tmp_path / "out"
    with reserved_folder(out):  # as a running `coprod run` holds it
        assert main(command + ["--out", str(out)]) == 2
        line = one_line(capsys.readouterr().err)
        assert "in use by another coprod" in line and f"pid {os.getpid()}" in line
    assert not out.exists()  # a reservation without a result leaves nothing
    assert main(command + ["--out", str(out)]) == 0
    assert (out / "manifest.json").is_file() and not (out / ".coprod.lock").exists()


def test_full_disk_while_writing_the_manifest_is_one_line(tmp_path, capsys, monkeypatch):
    import coprod.experiments.sweep as sweep_module

    def no_space(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sweep_module, "write_json", no_space)
    assert main(TINY + ["--out", str(tmp_path / "sweep")]) == 1
    line = one_line(capsys.readouterr().err)
    assert "No space left on device" in line and "--resume" in line
