"""A claims battery killed with SIGKILL keeps its finished pairs; --resume runs only the missing
ones and gives tables identical to an uninterrupted battery. Resuming with other settings, or
starting over an interrupted one, is refused on one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from processes import sigkill_after_chunks

from coprod.experiments.cli import main

SETTINGS = ["--claim", "hybrid_strains_staff", "--claim", "openness_sustains", "--samples", "24",
            "--replications", "1", "--citizens", "100", "--steps", "12", "--engine", "agents", "--quiet"]
PAIRS = 2 * 24 + 2  # two claims x 24 points, plus each claim's documented failing setting (chunks of at most 32)
TABLES = ("runs", "points", "summary", "drivers")


def claims(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coprod.experiments.cli", "claims", *SETTINGS, "--workers", "2",
                           "--out", str(out), *extra], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")  # not module: the slowest tests run first (conftest.py), apart from the rest
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "battery"
    # In this process: a coprod process costs seconds of imports before its pool even starts.
    assert main(["claims", *SETTINGS, "--workers", "2", "--out", str(out)]) == 0
    assert not out.with_name("battery.partial").exists()  # removed once the report is whole
    return out


def test_sigkill_then_resume_equals_uninterrupted(tmp_path, reference):
    out = tmp_path / "battery"
    chunks = tmp_path / "battery.partial" / "results"
    sigkill_after_chunks([sys.executable, "-m", "coprod.experiments.cli", "claims", *SETTINGS, "--workers", "2",
                          "--out", str(out)], chunks, count=1, timeout=300, what="battery")
    assert not out.exists()  # the report directory appears whole or not at all
    before = {p.name: pd.read_parquet(p) for p in sorted(chunks.glob("chunk-*.parquet"))}  # every chunk is whole
    saved = sum(len(part) for part in before.values())
    assert 1 <= saved < PAIRS

    refused = claims(out)  # starting over would throw the finished pairs away
    assert refused.returncode == 2 and "--resume" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1

    done = claims(out, "--resume")
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == PAIRS and not runs.duplicated(["claim", "kind", "point", "replication"]).any()
    for table in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{table}.parquet"),
                                      pd.read_parquet(reference / f"{table}.parquet"))
    assert (runs["effect"].to_numpy() == pd.read_parquet(reference / "runs.parquet")["effect"].to_numpy()).all()
    assert not (tmp_path / "battery.partial").exists()


def test_resume_with_other_settings_is_refused(tmp_path):
    out = tmp_path / "battery"
    partial = tmp_path / "battery.partial"
    partial.mkdir()
    from coprod.core.storage import write_json

    write_json(partial / "manifest.json", {"claims_sha256": "0", "samples": 60})  # with its checksum
    done = claims(out, "--resume")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "was started with claims_sha256" in lines[0] and str(partial) in lines[0]
    assert not out.exists()
    # (--resume with nothing to resume starts the battery: see test_runner_faults.py.)
