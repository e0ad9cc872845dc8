"""A sweep killed with SIGKILL leaves whole chunks; --resume finishes it with exactly the table an
uninterrupted sweep gives; resuming with other settings is refused on one line (exit 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from processes import sigkill_after_chunks, wait_for_chunks

from coprod.experiments.cli import main

SETTINGS = ["--method", "latin", "--samples", "30", "--replications", "2", "--citizens", "100", "--steps", "12",
            "--engine", "agents", "--seed", "7", "--chunk-runs", "5", "--quiet",
            "--uncertain", "outreach=0:1", "process_openness=0:1", "mean_degree=4:12"]
RUNS = 30 * 2  # 12 chunks of 5 runs: a kill after the first one or two still leaves most to do


def shipped_scenarios() -> list[str]:
    """Paths of the scenario files shipped with the package (scenarios/*.toml)."""
    import coprod.scenarios

    return sorted(str(p) for p in Path(coprod.scenarios.__file__).parent.glob("*.toml"))


# Any two shipped scenarios: the sweep settings below override what matters for these tests.
SCENARIO, OTHER_SCENARIO = (shipped_scenarios() + ["(no scenario file shipped)"] * 2)[:2]


def coprod() -> list[str]:
    return [sys.executable, "-m", "coprod.experiments.cli"]


def sweep(out: Path, *extra: str, scenario: str = SCENARIO) -> subprocess.CompletedProcess:
    return subprocess.run(coprod() + ["sweep", scenario, *SETTINGS, "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=300, cwd=out.parent)


def outcome_table(out: Path) -> pd.DataFrame:
    table = pd.read_parquet(out / "results.parquet")
    return table.drop(columns=["runtime"])


@pytest.fixture(scope="session")  # not module: the slowest tests run first (conftest.py), apart from the rest
def reference(tmp_path_factory) -> pd.DataFrame:
    """An uninterrupted sweep on one worker, in this process (a coprod process costs seconds of imports)."""
    out = tmp_path_factory.mktemp("reference") / "sweep"
    assert main(["sweep", SCENARIO, *SETTINGS, "--out", str(out), "--workers", "1"]) == 0
    return outcome_table(out)


def test_reference_is_complete(reference):
    assert len(reference) == RUNS
    assert not reference.duplicated(["sample", "replication"]).any()
    assert list(reference.columns[:3]) == ["sample", "replication", "seed"]
    assert reference["mean_degree"].dtype.kind == "i"


def test_two_workers_equal_one_worker(tmp_path, reference):
    out = tmp_path / "two"
    done = sweep(out, "--workers", "2")
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(outcome_table(out), reference)


def test_sigkill_then_resume_equals_uninterrupted(tmp_path, reference):
    out = tmp_path / "killed"
    chunks = out / "results"
    sigkill_after_chunks(coprod() + ["sweep", SCENARIO, *SETTINGS, "--workers", "2", "--out", str(out)],
                         chunks, count=2, timeout=120, what="sweep", cwd=tmp_path)
    assert not (out / "results.parquet").exists()
    partial = [pd.read_parquet(p) for p in sorted(chunks.glob("chunk-*.parquet"))]  # every chunk is whole
    saved = sum(len(p) for p in partial)
    assert 2 <= len(partial) and saved < RUNS

    done = sweep(out, "--workers", "2", "--resume")
    assert done.returncode == 0, done.stderr
    resumed = outcome_table(out)
    assert len(resumed) == RUNS
    assert not resumed.duplicated(["sample", "replication"]).any()
    pd.testing.assert_frame_equal(resumed, reference)  # exact: float columns compared bit for bit below
    assert (resumed.drop(columns=["sample", "replication"]).to_numpy() ==
            reference.drop(columns=["sample", "replication"]).to_numpy()).all()
    # Only the missing runs ran: the chunks written before the kill are still there, unchanged.
    for k, part in enumerate(partial):
        assert pd.read_parquet(chunks / f"chunk-{k:05d}.parquet").equals(part)


def test_resume_with_other_scenario_is_refused_on_one_line(tmp_path):
    out = tmp_path / "sweep"
    first = subprocess.run(coprod() + ["sweep", SCENARIO, "--method", "latin", "--samples", "4", "--citizens", "100",
                                       "--steps", "2", "--engine", "agents", "--workers", "1", "--quiet",
                                       "--uncertain", "outreach=0:1", "--out", str(out)],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    refused = subprocess.run(coprod() + ["sweep", OTHER_SCENARIO, "--method", "latin", "--samples", "4",
                                         "--citizens", "100", "--steps", "2", "--engine", "agents", "--workers", "1",
                                         "--quiet", "--uncertain", "outreach=0:1", "--out", str(out), "--resume"],
                             capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "--resume" in lines[0] and "scenario" in lines[0], refused.stderr
    # Nothing was touched.
    assert len(pd.read_parquet(out / "results.parquet")) == 4


def test_ctrl_c_saves_finished_runs_and_prints_the_resume_command(tmp_path, reference):
    import shlex

    out = tmp_path / "interrupted"
    chunks = out / "results"
    proc = subprocess.Popen(coprod() + ["sweep", SCENARIO, *SETTINGS, "--workers", "2", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for_chunks(proc, chunks, count=2, timeout=120, what="sweep")
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == 130, err
    hint = [line for line in err.splitlines() if "resume with: " in line]
    assert len(hint) == 1, err
    command = shlex.split(hint[0].split("resume with: ", 1)[1])
    assert command[:2] == ["coprod", "sweep"] and command[-1] == "--resume"
    saved = sum(len(pd.read_parquet(p)) for p in chunks.glob("chunk-*.parquet"))
    assert 0 < saved < RUNS
    done = subprocess.run(coprod() + command[1:] + ["--quiet"], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(outcome_table(out), reference)
