"""Results carry checksums written with them and checked on every read: one garbled byte in a chunk,
a table or a manifest is one line naming the file and what to do, and nothing valid is ever
overwritten by something unchecked (a resume reruns a damaged chunk's runs and rebuilds the table
equal to the original)."""

from __future__ import annotations

import contextlib
import math
import sqlite3
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from known_answers import ishigami

from coprod.core import storage
from coprod.core.storage import DamagedFile
from coprod.experiments.cli import main
from coprod.experiments.sweep import run_sweep

PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}


def garble(path: Path, at: int | None = None) -> None:
    """Flip one bit of one byte in the middle of ``path`` (as a failing disk or a bad copy would)."""
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if at is None else at
    data[at] ^= 0x04
    path.write_bytes(bytes(data))


def sweep(out: Path, resume: bool = False) -> pd.DataFrame:
    return run_sweep(out, problem=PROBLEM, method="latin", samples=24, outcomes=["y"], evaluate=ishigami,
                     replications=2, workers=1, chunk_runs=8, progress=False, info={"evaluate": "ishigami"},
                     resume=resume)


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coprod: error: "), lines
    return lines[0]


def test_a_file_carries_its_checksum_in_sha256sum_format(tmp_path):
    storage.write_parquet(tmp_path / "t.parquet", pd.DataFrame({"x": [1.0, 2.0]}))
    done = subprocess.run(["sha256sum", "-c", "t.parquet.sha256"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "t.parquet: OK" in done.stdout
    garble(tmp_path / "t.parquet")
    with pytest.raises(DamagedFile, match=r"t\.parquet: damaged .*; do this"):
        storage.read_parquet(tmp_path / "t.parquet", "do this")


def test_a_file_without_a_checksum_is_not_trusted(tmp_path):
    (tmp_path / "m.json").write_text("{}")
    with pytest.raises(DamagedFile, match="no checksum"):
        storage.read_json(tmp_path / "m.json", "redo it")


def test_a_replacement_interrupted_before_or_after_its_rename_reads_as_intact(tmp_path):
    """The sidecar lists old and new digests while the rename is pending: a kill between the two
    steps leaves the old file (or the new one), each matching."""
    path = tmp_path / "m.json"
    storage.write_json(path, {"v": 1})
    old = storage.file_digest(path)
    new_text = '{"v": 2}\n'
    (tmp_path / "new").write_text(new_text)
    new = storage.file_digest(tmp_path / "new")
    storage.checksum_path(path).write_text(f"{new}  m.json\n{old}  m.json\n")  # killed before the rename
    assert storage.read_json(path, "") == {"v": 1}
    path.write_text(new_text)  # ... or just after it
    assert storage.read_json(path, "") == {"v": 2}
    storage.write_json(path, {"v": 3})
    assert storage.checksum_path(path).read_text().count("m.json") == 1


def test_a_directory_written_whole_has_one_checksum_list(tmp_path):
    with storage.atomic_directory(tmp_path / "out") as tmp:
        storage.write_json(tmp / "manifest.json", {"a": 1})
        storage.write_tables(tmp, {"t": pd.DataFrame({"x": [1]})})
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["SHA256SUMS", "manifest.json", "t.csv", "t.parquet"]
    done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "out", capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    garble(tmp_path / "out" / "manifest.json", at=2)
    with pytest.raises(DamagedFile, match="manifest.json: damaged"):
        storage.read_json(tmp_path / "out" / "manifest.json", "")


def test_analyze_refuses_a_garbled_results_table_and_resume_rebuilds_it(tmp_path, capsys):
    out = tmp_path / "sweep"
    reference = sweep(out)
    garble(out / "results.parquet")
    assert main(["analyze", str(out), "--no-plots"]) == 2
    line = one_error_line(capsys)
    assert "results.parquet: damaged" in line and "--resume" in line and str(out) in line
    assert not (out / "analysis").exists()
    rebuilt = sweep(out, resume=True)
    assert rebuilt.drop(columns="runtime").equals(reference.drop(columns="runtime"))
    assert main(["analyze", str(out), "--no-plots"]) == 0


def test_resume_reruns_a_garbled_chunk_and_keeps_the_table_equal(tmp_path, capsys):
    out = tmp_path / "sweep"
    reference = sweep(out)
    chunk = sorted((out / "results").glob("chunk-*.parquet"))[1]
    garble(chunk)
    again = sweep(out, resume=True)
    assert f"{chunk}: damaged" in capsys.readouterr().err
    assert again.drop(columns="runtime").equals(reference.drop(columns="runtime"))
    assert storage.read_parquet(out / "results.parquet", "").drop(columns="runtime").equals(
        reference.drop(columns="runtime"))


def test_analyze_of_an_unfinished_sweep_names_a_garbled_chunk(tmp_path, capsys):
    out = tmp_path / "sweep"
    sweep(out)
    (out / "results.parquet").unlink()  # as if stopped before the table was consolidated
    chunk = sorted((out / "results").glob("chunk-*.parquet"))[0]
    garble(chunk)
    assert main(["analyze", str(out), "--no-plots"]) == 2
    line = one_error_line(capsys)
    assert chunk.name in line and "--resume" in line


@pytest.mark.parametrize("name", ["manifest.json", "samples.parquet"])
def test_analyze_refuses_a_garbled_manifest_or_sample_table(tmp_path, capsys, name):
    out = tmp_path / "sweep"
    sweep(out)
    garble(out / name, at=3)
    assert main(["analyze", str(out), "--no-plots"]) == 2
    assert f"{name}: damaged" in one_error_line(capsys)


def test_a_garbled_posterior_is_refused(tmp_path):
    from coprod.experiments.posterior import load_posterior

    folder = tmp_path / "calibration"
    with storage.atomic_directory(folder) as tmp:
        storage.write_json(tmp / "manifest.json", {"priors": {"outreach": [0.0, 1.0]}, "scenario": "default"})
        storage.write_tables(tmp, {"posterior": pd.DataFrame({"generation": [0, 0], "weight": [0.5, 0.5],
                                                               "outreach": [0.2, 0.4]})})
    assert load_posterior(folder).names == ["outreach"]
    garble(folder / "posterior.parquet")
    with pytest.raises(DamagedFile, match="posterior.parquet: damaged"):
        load_posterior(folder)


def test_a_calibration_history_that_is_not_a_database_is_one_line(tmp_path):
    from coprod.experiments.calibrate import check_history

    db = tmp_path / "abc.db"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DamagedFile, match="abc.db: damaged"):
        check_history(db, "start afresh")


def test_a_finished_sweep_keeps_no_lock_file(tmp_path):
    sweep(tmp_path / "sweep")
    assert not (tmp_path / "sweep" / ".coprod.lock").exists()



def test_a_calibration_history_killed_before_its_run_was_recorded_is_begun_anew(tmp_path):
    """SIGKILL between pyabc making its tables and writing the run's row leaves an intact database
    without a run (seen in CI): nothing is lost, so the resume starts the history afresh rather
    than refusing it as damaged; a run's row makes it a history to continue."""
    from coprod.experiments.calibrate import check_history

    db = tmp_path / "abc.db"
    with contextlib.closing(sqlite3.connect(db)) as connection:
        connection.execute("CREATE TABLE abc_smc (id INTEGER PRIMARY KEY, start_time TEXT)")
        connection.commit()
    check_history(db, "start afresh")
    assert not db.exists()
    with contextlib.closing(sqlite3.connect(db)) as connection:
        connection.execute("CREATE TABLE abc_smc (id INTEGER PRIMARY KEY, start_time TEXT)")
        connection.execute("INSERT INTO abc_smc (start_time) VALUES ('now')")
        connection.commit()
    check_history(db, "start afresh")
    assert db.exists()
