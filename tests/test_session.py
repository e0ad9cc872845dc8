"""The session every long command writes its folder through: what a stop keeps and says, the
command that resumes, the working folder's life, the plan check, and the reservation that keeps a
second coprod out. Fast: the runner is replaced where a command would run the model."""

from __future__ import annotations

import json
import shlex

import pytest

from coprod.core.errors import CommandStopped, InputError
from coprod.core.storage import write_json
from coprod.experiments import claims as claims_module
from coprod.experiments import compare as compare_module
from coprod.experiments.cli import main
from coprod.experiments.runner import Interrupted, RunFailed
from coprod.experiments.session import IN_PLACE, RESERVED, STAGED, Session, reserved_folder

CLAIMS = ["claims", "--claim", "hybrid_strains_staff", "--samples", "3", "--replications", "1", "--citizens", "60",
          "--steps", "2", "--engine", "agents", "--workers", "1", "--quiet"]


def test_the_resume_command_repeats_the_words_with_out_and_resume_last(tmp_path):
    out = tmp_path / "sweep"
    given = Session("sweep", out, layout=IN_PLACE, argv=["sweep", "default", "--resume", "--quiet"])
    assert shlex.split(given.resume_command()) == ["coprod", "sweep", "default", "--quiet", "--resume"]
    default = Session("sweep", out, layout=IN_PLACE, argv=["sweep", "default"], explicit_out=False)
    assert shlex.split(default.resume_command()) == ["coprod", "sweep", "default", "--out", str(out), "--resume"]


def test_a_stop_is_one_line_with_what_is_kept_and_how_to_resume(tmp_path):
    session = Session("claims", tmp_path / "battery", layout=STAGED, argv=["claims"], unit="pairs")
    with pytest.raises(CommandStopped) as stop, session.stops():
        raise Interrupted(3, 10)
    assert stop.value.code == 130 and len(str(stop.value).splitlines()) == 1
    assert f"3 of 10 pairs kept in {tmp_path / 'battery.partial'}" in str(stop.value)
    assert str(stop.value).endswith("resume with: coprod claims --resume")
    with pytest.raises(CommandStopped) as fault, session.stops():
        raise RunFailed("run x seed=1 failed: ValueError: no")
    assert fault.value.code == 1 and "stopped: run x seed=1 failed" in str(fault.value)
    reserved = Session("compare", tmp_path / "cmp", layout=RESERVED, argv=["compare"])
    with pytest.raises(CommandStopped) as ctrl_c, reserved.stops():
        raise KeyboardInterrupt
    assert str(ctrl_c.value) == "coprod compare: interrupted; nothing was written" and ctrl_c.value.code == 130


def test_the_working_folder_is_locked_written_and_removed_when_the_result_is_in_place(tmp_path):
    out = tmp_path / "battery"
    session = Session("claims", out, layout=STAGED, argv=["claims"], plan_fields=("seed",))
    (tmp_path / "battery.partial").mkdir()
    (tmp_path / "battery.partial" / ".manifest.json.x.tmp").write_text("{")
    (tmp_path / ".tmp-battery-abc").mkdir()  # a report folder a killed command left
    manifest = {"seed": 1, "created_utc": "now", "command": "coprod claims"}
    with session.working(manifest) as written:
        partial = tmp_path / "battery.partial"
        assert json.loads((partial / "manifest.json").read_text()) == written
        assert not (partial / ".manifest.json.x.tmp").exists() and not (tmp_path / ".tmp-battery-abc").exists()
        with pytest.raises(InputError, match="in use by another coprod"):
            Session("claims", out, layout=STAGED).working(manifest).__enter__()
    assert not (tmp_path / "battery.partial").exists()
    with pytest.raises(CommandStopped), session.working(manifest):
        raise Interrupted(0, 1)
    assert (tmp_path / "battery.partial" / "manifest.json").is_file()  # a stop keeps the work


def test_resume_refuses_another_plan_and_keeps_the_history(tmp_path):
    out = tmp_path / "battery"
    (tmp_path / "battery.partial").mkdir()
    old = {"seed": 1, "created_utc": "then", "command": "coprod claims --seed 1"}
    write_json(tmp_path / "battery.partial" / "manifest.json", old)  # with its checksum, as the session writes it
    session = Session("claims", out, layout=STAGED, resume=True, plan_fields=("seed",))
    with pytest.raises(InputError, match="was started with seed = 1, not 2"):
        session.resumed({"seed": 2, "created_utc": "now", "command": "x"})
    resumed = session.resumed({"seed": 1, "created_utc": "now", "command": "x"})
    assert resumed["created_utc"] == "then" and resumed["resumed_utc"] == ["now"]
    assert resumed["command"] == "coprod claims --seed 1"


def test_ctrl_c_in_claims_keeps_the_pairs_and_names_the_resume_command(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise Interrupted(2, 8)

    monkeypatch.setattr(claims_module, "run_claims", interrupted)
    out = tmp_path / "battery"
    assert main(CLAIMS + ["--out", str(out)]) == 130
    line, = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("coprod claims: interrupted; 2 of 8 pairs kept in ")
    assert shlex.split(line.split("resume with: ")[1]) == ["coprod", *CLAIMS, "--out", str(out), "--resume"]
    assert (tmp_path / "battery.partial" / "manifest.json").is_file() and not out.exists()


def test_a_failed_run_in_compare_leaves_nothing_and_says_so(tmp_path, capsys, monkeypatch):
    def failing(*args, **kwargs):
        raise RunFailed("run rep npm #0 seed=1 failed: ValueError: no")

    monkeypatch.setattr(compare_module, "run_tasks", failing)
    out = tmp_path / "cmp"
    assert main(["compare", "npm", "traditional", "--replications", "2", "--steps", "2", "--quiet",
                 "--out", str(out)]) == 1
    line, = capsys.readouterr().err.strip().splitlines()
    assert line == "coprod compare: stopped: run rep npm #0 seed=1 failed: ValueError: no; nothing was written"
    assert list(tmp_path.iterdir()) == []


def test_patterns_refuses_a_folder_another_coprod_is_writing(tmp_path, capsys):
    out = tmp_path / "card"
    with reserved_folder(out):
        assert main(["patterns", "--replications", "2", "--citizens", "60", "--out", str(out), "--quiet"]) == 2
    assert "in use by another coprod" in capsys.readouterr().err
    assert not out.exists()
