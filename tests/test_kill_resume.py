"""`claims` and `calibrate` killed with SIGKILL at random moments (while starting, between and
inside chunks or generations, while writing the report), again and again, then resumed: the
tables equal an uninterrupted run's, and nothing temporary is left. The moments are drawn from a
seeded generator, so a failure names moments that reproduce it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.processes import wait_for_group_to_die

CLAIMS = ["claims", "--claim", "hybrid_strains_staff", "--samples", "16", "--replications", "1", "--citizens", "100",
          "--steps", "12", "--engine", "agents", "--workers", "1", "--quiet"]
CALIBRATE = ["calibrate", "--pattern", "annual_volunteering", "--pattern", "civic_core",
             "--parameters", "base_participation=-7:-5", "trust_build_rate=0.005:0.06", "--population", "6",
             "--generations", "2", "--replications", "2", "--citizens", "100", "--steps", "24", "--predictive", "2",
             "--seed", "4", "--workers", "1", "--quiet"]
KILLS = 3


def coprod(*argv: str) -> list[str]:
    return [sys.executable, "-m", "coprod.experiments.cli", *argv]


def timed(command: list[str]) -> float:
    """Run ``command`` to the end; its wall time."""
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - start


def kill_after(command: list[str], seconds: float) -> bool:
    """Run ``command`` in its own session and SIGKILL the session after ``seconds``; whether it was
    killed (False when it finished first)."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        proc.wait(timeout=seconds)
        assert proc.returncode == 0, f"{command} failed before it could be killed: {proc.stderr.read()[-2000:]}"
        proc.stderr.close()
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        wait_for_group_to_die(proc.pid)
        proc.stderr.close()
        return True


def killed_and_resumed(command: list[str], out: Path, took: float, seed: int) -> list[float]:
    """Start ``command`` with --out ``out``, kill it ``KILLS`` times at random moments of a run's
    length ``took``, resuming each time; finish with a resume. Returns the moments."""
    moments = []
    rng = random.Random(seed)
    argv = command + ["--out", str(out)]
    for k in range(KILLS):
        # In the first half of the reference run's length: a machine that got quieter since the
        # reference finishes sooner, and a kill drawn near its end would find nothing left to kill.
        moment = rng.uniform(0.5, max(0.6, took / 2))
        while not kill_after(argv + (["--resume"] if k else []), moment):
            if k or moment < 0.5:
                break
            shutil.rmtree(out, ignore_errors=True)  # finished before the first kill: again, sooner
            moment /= 2
        else:
            moments.append(round(moment, 2))
            continue
        break
    assert moments, "the command finished before the first kill: nothing was tested"
    done = subprocess.run(argv + ["--resume"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (moments, done.stderr)
    return moments


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith((".tmp-", ".coprod-probe"))
                  or p.name.endswith(".tmp") or p.name.endswith(".partial"))


@pytest.mark.parametrize("seed", [1])
def test_claims_killed_at_random_moments_resume_to_the_uninterrupted_tables(tmp_path, seed):
    reference = tmp_path / "reference"
    took = timed(coprod(*CLAIMS, "--out", str(reference)))
    out = tmp_path / "killed"
    moments = killed_and_resumed(coprod(*CLAIMS), out, took, seed)
    for table in ("runs", "points", "summary"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{table}.parquet"),
                                      pd.read_parquet(reference / f"{table}.parquet"),
                                      obj=f"{table} after kills at {moments} s")
    assert leftovers(tmp_path) == [], moments


@pytest.mark.parametrize("seed", [2])
def test_calibrate_killed_at_random_moments_resumes_to_the_same_posterior(tmp_path, seed):
    reference = tmp_path / "reference"
    took = timed(coprod(*CALIBRATE, "--out", str(reference)))
    out = tmp_path / "killed"
    moments = killed_and_resumed(coprod(*CALIBRATE), out, took, seed)
    for table in ("posterior", "generations", "parameters", "scorecard", "predictive"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{table}.parquet"),
                                      pd.read_parquet(reference / f"{table}.parquet"),
                                      obj=f"{table} after kills at {moments} s")
    assert leftovers(tmp_path) == [], moments
