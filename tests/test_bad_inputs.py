"""Every bad input is one line naming the option or key and what is allowed, exit 2, and nothing
written: no folder, no manifest, no .partial, no probe left behind (and no simulation run)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from known_answers import ishigami

from coprod.experiments.cli import main
from coprod.experiments.sweep import run_sweep

SWEEP = ["sweep", "default", "--method", "latin", "-N", "4", "--citizens", "60", "--steps", "2", "--workers", "1",
         "--quiet"]
CLAIMS = ["claims", "--claim", "hybrid_strains_staff", "--samples", "2", "--replications", "1", "--citizens", "60",
          "--steps", "2", "--workers", "1", "--quiet"]
RUN = ["run", "default", "--citizens", "60", "--steps", "2", "--quiet"]
COMPARE = ["compare", "npm", "npg_collective", "--citizens", "60", "--steps", "2", "--replications", "2", "--quiet"]
BIG_SEED = str(2**64)


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")}


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A working folder with a file, a folder of other files and bad TOML files to point at."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("x")
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "binary.toml").write_bytes(b"\x00\x01\x02\xff")
    (tmp_path / "latin1.toml").write_bytes('description = "caf\xe9"\n'.encode("latin-1"))
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + b'description = "x"\nparadigm = "npm"\n')
    return tmp_path


def without(argv: list[str], option: str) -> list[str]:
    """``argv`` without ``option`` and its value."""
    if option not in argv:
        return list(argv)
    at = argv.index(option)
    return argv[:at] + argv[at + 2:]


def expect_refusal(argv: list[str], place: Path, capsys, *fragments: str) -> str:
    before = snapshot(place)
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coprod: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert snapshot(place) == before, "something was written"
    return lines[0]


OUT_CASES = {
    "an existing file": (["--out", "a_file"], ["--out", "is a file"]),
    "inside a file": (["--out", "a_file/inside"], ["--out", "inside a file"]),
    "unwritable": (["--out", "/proc/coprod-test/x"], ["--out", "cannot create files"]),
    "empty string": (["--out", ""], ["--out", "empty path"]),
}


@pytest.mark.parametrize("command", [SWEEP, CLAIMS, RUN, COMPARE], ids=["sweep", "claims", "run", "compare"])
@pytest.mark.parametrize("case", list(OUT_CASES))
def test_bad_out(place, capsys, command, case):
    extra, fragments = OUT_CASES[case]
    expect_refusal(command + extra, place, capsys, *fragments)


@pytest.mark.parametrize("command", [SWEEP, CLAIMS], ids=["sweep", "claims"])
def test_out_that_holds_other_files(place, capsys, command):
    expect_refusal(command + ["--out", "taken"], place, capsys, "--out", "taken")


@pytest.mark.parametrize("command", [SWEEP, CLAIMS, RUN, COMPARE], ids=["sweep", "claims", "run", "compare"])
@pytest.mark.parametrize("seed", ["-1", BIG_SEED])
def test_bad_seed(place, capsys, command, seed):
    expect_refusal(command + ["--seed", seed, "--out", "new"], place, capsys, "--seed", "2**64 - 1")


@pytest.mark.parametrize("command", [SWEEP, CLAIMS, COMPARE], ids=["sweep", "claims", "compare"])
@pytest.mark.parametrize("workers", ["0", "-1"])
def test_bad_workers(place, capsys, command, workers):
    expect_refusal(without(command, "--workers") + ["--workers", workers, "--out", "new"], place, capsys, "--workers",
                   ">= 1")


@pytest.mark.parametrize("command", [SWEEP, CLAIMS, COMPARE], ids=["sweep", "claims", "compare"])
@pytest.mark.parametrize("address", ["notaurl", "tcp://127.0.0.1:99999", "http://x:1"])
def test_malformed_scheduler(place, capsys, command, address):
    expect_refusal(without(command, "--workers") + ["--scheduler", address, "--out", "new"], place, capsys,
                   "--scheduler")


@pytest.mark.parametrize("argv, fragments", [
    (SWEEP[:2] + ["--method", "morris", "-N", "4", "--levels", "0"] + SWEEP[6:], ["--levels", ">= 2"]),
    (SWEEP[:2] + ["--method", "morris", "-N", "4", "--levels", "1"] + SWEEP[6:], ["--levels", ">= 2"]),
    (SWEEP + ["--chunk-seconds", "nan"], ["--chunk-seconds", "finite"]),
    (SWEEP + ["--chunk-seconds", "inf"], ["--chunk-seconds", "finite"]),
    (SWEEP + ["--chunk-runs", "0"], ["--chunk-runs"]),
    (SWEEP + ["--batch", "0"], ["--batch"]),
    (SWEEP + ["--replications", "0"], ["--replications"]),
], ids=["levels0", "levels1", "chunk-seconds-nan", "chunk-seconds-inf", "chunk-runs", "batch", "replications"])
def test_bad_sweep_options(place, capsys, argv, fragments):
    expect_refusal(argv + ["--out", "new"], place, capsys, *fragments)


@pytest.mark.parametrize("name, fragment", [
    ("folder.toml", "is a folder"), ("binary.toml", "binary"), ("latin1.toml", "not UTF-8"),
    ("bom.toml", "byte-order mark"), ("missing.toml", "no such claims file")])
def test_bad_claims_file(place, capsys, name, fragment):
    expect_refusal(CLAIMS + ["--claims-file", name, "--out", "new"], place, capsys, name, fragment)


def test_scenario_with_byte_order_mark(place, capsys):
    expect_refusal(["run", "bom.toml", "--steps", "2", "--out", "new", "--quiet"], place, capsys,
                   "bom.toml", "byte-order mark")


@pytest.mark.parametrize("settings, fragment", [
    (["--set", "nk_k=12"], "nk_k = 12 with nk_n = 12"),
    (["--set", "nk_n=4", "--set", "perspective_width=5", "--set", "nk_k=2"], "perspective_width = 5 with nk_n = 4"),
    (["--set", "n_ngos=20", "--set", "n_groups=10"], "n_ngos = 20 with n_groups = 10"),
    (["--set", "mean_degree=30", "--set", "n_groups=5", "--citizens", "20"], "mean_degree = 30 with n_citizens = 20"),
], ids=["nk_k", "perspective_width", "n_ngos", "mean_degree"])
@pytest.mark.parametrize("command", ["run", "compare"])
def test_impossible_combination(place, capsys, settings, fragment, command):
    base = RUN if command == "run" else COMPARE
    argv = without(base, "--citizens") if "--citizens" in settings else base
    expect_refusal(argv + settings + ["--out", "new"], place, capsys, fragment, "allowed")


def test_impossible_combination_in_a_sweep_sample(place, capsys):
    expect_refusal(SWEEP + ["--uncertain", "nk_k=8:15", "--out", "new"], place, capsys, "nk_k", "nk_n")


# --- analyze ----------------------------------------------------------------------------------------

@pytest.fixture
def folders(place):
    # Written through storage, with their checksums: what is refused is their content, not damage.
    from coprod.core.storage import write_bytes, write_json

    run = place / "a_run"
    run.mkdir()
    write_json(run / "manifest.json", {"scenario": "default", "seed": 0, "steps": 2})
    write_bytes(run / "timeseries.parquet", b"PAR1")
    comparison = place / "a_compare"
    comparison.mkdir()
    write_json(comparison / "manifest.json", {"kind": "compare", "settings": {}})
    keyless = place / "keyless"
    keyless.mkdir()
    write_json(keyless / "manifest.json", {"kind": "coprod-sweep", "method": "latin"})
    return place


@pytest.mark.parametrize("target, fragment", [
    ("a_run", "a `coprod run` result"), ("a_compare", "holds a compare result"), ("a_file", "is a file"),
    ("keyless", "has no problem"), ("nowhere", "no such folder")])
def test_analyze_refuses_what_is_not_a_sweep(folders, capsys, target, fragment):
    expect_refusal(["analyze", target], folders, capsys, target, fragment, "allowed")


def test_analyze_out_must_be_new_empty_or_an_analysis(place, capsys):
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    run_sweep(place / "sweep", problem=problem, method="latin", samples=30, outcomes=["y"], evaluate=ishigami,
              workers=1, progress=False, info={"evaluate": "ishigami"})
    expect_refusal(["analyze", "sweep", "--out", "taken"], place, capsys, "--out", "taken")
    assert main(["analyze", "sweep", "--out", "mine", "--no-plots"]) == 0
    assert main(["analyze", "sweep", "--out", "mine", "--no-plots"]) == 0  # an earlier analysis may be redone


def test_analyze_bootstrap_is_reproducible(tmp_path):
    from coprod.experiments.analyze import analyze_sweep

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    run_sweep(tmp_path / "sweep", problem=problem, method="sobol", samples=64, outcomes=["y"], evaluate=ishigami,
              workers=1, progress=False, info={"evaluate": "ishigami"}, seed=0)
    first = analyze_sweep(tmp_path / "sweep", tmp_path / "a", plots=False, warn=False)["sobol_indices"]
    second = analyze_sweep(tmp_path / "sweep", tmp_path / "b", plots=False, warn=False)["sobol_indices"]
    assert first.equals(second)


def test_analyze_warns_when_n_is_too_small(tmp_path, capsys):
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    run_sweep(tmp_path / "sweep", problem=problem, method="sobol", samples=4, outcomes=["y"], evaluate=ishigami,
              workers=1, progress=False, info={"evaluate": "ishigami"})
    assert main(["analyze", str(tmp_path / "sweep"), "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "N = 4" in err


def test_results_respect_the_umask(tmp_path):
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    old = os.umask(0o022)
    try:
        run_sweep(tmp_path / "sweep", problem=problem, method="latin", samples=8, outcomes=["y"], evaluate=ishigami,
                  workers=1, progress=False, info={"evaluate": "ishigami"})
    finally:
        os.umask(old)
    for name in ("manifest.json", "samples.parquet", "results.parquet"):
        assert (tmp_path / "sweep" / name).stat().st_mode & 0o777 == 0o644, name


@pytest.mark.parametrize("fps", ["nan", "inf", "0", "-1"])
def test_bad_animation_speed(place, capsys, fps):
    expect_refusal(["animate", "default", "--steps", "2", "--citizens", "60", "--fps", fps, "--out", "a.gif"],
                   place, capsys, "--fps", "finite number > 0")


# --- run --from: the manifest is an input like any other -------------------------------------------

@pytest.fixture(scope="session")  # not module: the slowest tests run first (conftest.py), apart from the rest
def recorded(tmp_path_factory) -> dict:
    """The manifest of a small `coprod run`."""
    out = tmp_path_factory.mktemp("recorded") / "run"
    assert main(RUN + ["--set", "outreach=0.4", "--out", str(out)]) == 0
    return json.loads((out / "manifest.json").read_text())


def edited(place: Path, manifest: dict, **changes) -> str:
    """``manifest`` with ``changes``, written with a fresh checksum (as a careful editor would)."""
    from coprod.core.storage import write_json

    folder = place / "edited"
    folder.mkdir(exist_ok=True)
    write_json(folder / "manifest.json", {**manifest, **changes})
    return str(folder / "manifest.json")


@pytest.mark.parametrize("changes, fragment", [
    ({"parameters": "EDIT"}, "parameters disagree with its overrides (outreach)"),
    ({"overrides": "EDIT", "parameters": "EDIT"}, "parameters disagree with their recorded hash"),
    ({"engine": "turbo"}, "engine is 'turbo'; allowed: one of auto, agents, numba"),
    ({"seed": "abc"}, "seed is 'abc'; allowed: an integer"),
    ({"seed": True}, "seed is True; allowed: an integer"),
    ({"steps": 2**70}, "steps: got"),
    ({"overrides": [1, 2]}, "overrides is [1, 2]; allowed: dict"),
    ({"overrides": {"outreach": "lots"}}, "outreach"),
], ids=["parameters", "hash", "engine", "seed-text", "seed-bool", "steps-huge", "overrides-list", "override-value"])
def test_run_from_checks_the_manifest(place, capsys, recorded, changes, fragment):
    manifest = json.loads(json.dumps(recorded))
    for key, value in changes.items():
        if value == "EDIT":
            value = {**manifest[key], "outreach": 0.9}
        manifest[key] = value
    path = edited(place, manifest)
    expect_refusal(["run", "--from", path, "--out", "new", "--quiet"], place, capsys, "--from", fragment)


def test_run_from_refuses_a_manifest_edited_behind_its_checksum(place, capsys, recorded):
    path = Path(edited(place, recorded))
    path.write_text(path.read_text().replace('"outreach": 0.4', '"outreach": 0.9'))
    expect_refusal(["run", "--from", str(path), "--out", "new", "--quiet"], place, capsys, "--from", "damaged")


@pytest.mark.parametrize("extra, fragment", [
    (["npm"], "scenario: cannot be combined with --from"), (["--steps", "3"], "--steps: cannot be combined"),
    (["--seed", "1"], "--seed: cannot be combined"), (["--engine", "agents"], "--engine: cannot be combined")])
def test_run_from_refuses_what_would_change_the_run(place, capsys, recorded, extra, fragment):
    path = edited(place, recorded)
    expect_refusal(["run", *extra, "--from", path, "--out", "new", "--quiet"], place, capsys, fragment)


def test_run_from_warns_on_one_line_when_the_commit_differs(place, capsys, recorded):
    path = edited(place, recorded, git_commit="0" * 40)
    assert main(["run", "--from", path, "--out", "again", "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "warning" in err[0] and "git commit" in err[0], err


# --- upper bounds, booleans, names given twice, output paths (issue 27) -------------------------------

HUGE = str(2**70)
CALIBRATE = ["calibrate", "default", "--population", "4", "--generations", "1", "--replications", "2",
             "--citizens", "60", "--steps", "40", "--predictive", "1", "--workers", "1", "--quiet"]
PATTERNS = ["patterns", "default", "--replications", "2", "--citizens", "60", "--steps", "40", "--workers", "1"]
ANIMATE = ["animate", "default", "--steps", "2", "--citizens", "60"]


@pytest.mark.parametrize("argv, fragments", [
    (RUN[:2] + ["--steps", HUGE, "--quiet"], ["--steps", "at most", "64 cores"]),
    (RUN[:2] + ["--steps", "100000000000", "--quiet"], ["--steps", "at most"]),
    (RUN[:2] + ["--steps", "50000000", "--citizens", "20000000", "--quiet"], ["run", "citizen-months", "a day"]),
    (without(COMPARE, "--steps") + ["--steps", HUGE], ["--steps", "at most"]),
    (without(SWEEP, "-N") + ["-N", HUGE], ["--samples", "at most"]),
    (without(SWEEP, "--workers") + ["--workers", "100000"], ["--workers", "at most 256"]),
    (SWEEP + ["--chunk-seconds", "1e30"], ["--chunk-seconds", "at most"]),
    (without(CLAIMS, "--replications") + ["--replications", HUGE], ["--replications", "at most"]),
    (without(CALIBRATE, "--population") + ["--population", HUGE], ["--population", "at most"]),
    (without(PATTERNS, "--replications") + ["--replications", HUGE], ["--replications", "at most"]),
    (ANIMATE + ["--fps", "1e30", "--out", "a.gif"], ["--fps", "at most 1000"]),
    (without(ANIMATE, "--steps") + ["--steps", HUGE, "--out", "a.gif"], ["--steps", "at most"]),
], ids=["run-steps", "run-steps-1e11", "run-work", "compare-steps", "sweep-samples", "sweep-workers",
        "chunk-seconds", "claims-replications", "calibrate-population", "patterns-replications", "animate-fps",
        "animate-steps"])
def test_numbers_beyond_a_day_of_work_are_refused_before_anything_starts(place, capsys, argv, fragments):
    if argv[0] not in ("animate",):
        argv = argv + ["--out", "new"]
    line = expect_refusal(argv, place, capsys, *fragments)
    assert not (place / "new").exists() and not (place / "new.partial").exists(), line


def test_a_refused_sweep_prints_no_plan_first(place, capsys):
    before = snapshot(place)
    assert main(without(SWEEP, "-N") + ["-N", "6", "--method", "sobol", "--out", "new"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert snapshot(place) == before


@pytest.mark.parametrize("value", ["1", "yes", "on", "True", "0", "no"])
def test_booleans_are_true_or_false_only(place, capsys, value):
    expect_refusal(RUN + ["--set", f"phase_design={value}", "--out", "new"], place, capsys,
                   "phase_design", "true or false")


@pytest.mark.parametrize("argv, fragment", [
    (RUN + ["--set", "outreach=0.2", "--set", "outreach=0.3"], "'outreach' given twice"),
    (SWEEP + ["--uncertain", "outreach=0:1", "outreach=0.2:0.4"], "'outreach' given twice"),
    (SWEEP + ["--outcomes", "wellbeing_long,wellbeing_long"], "'wellbeing_long' given twice"),
    (SWEEP + ["--outcomes", ""], "--outcomes"),
    (COMPARE + ["--set", "paradigm=npm"], "what the strategies differ in"),
], ids=["set-twice", "uncertain-twice", "outcomes-twice", "outcomes-empty", "compare-set-difference"])
def test_names_given_twice_and_empty_lists(place, capsys, argv, fragment):
    expect_refusal(argv + ["--out", "new"], place, capsys, fragment)


def test_an_empty_scenario_file_is_refused(place, capsys):
    (place / "empty.toml").write_text("")
    expect_refusal(["run", "empty.toml", "--steps", "2", "--out", "new", "--quiet"], place, capsys,
                   "empty.toml", "is empty")


@pytest.mark.parametrize("argv, fragments", [
    (["new-scenario", "/proc/coprod-test.toml", "--quiet"], ["new-scenario", "cannot create files"]),
    (["new-scenario", "a_file/x.toml", "--quiet"], ["new-scenario", "a_file is a file"]),
    (ANIMATE + ["--out", "/proc/coprod-test.gif"], ["--out", "cannot create files"]),
    (ANIMATE + ["--out", "a_file/x.gif"], ["--out", "a_file is a file"]),
    (ANIMATE + ["--out", "taken"], ["--out", "is a folder"]),
    (PATTERNS + ["--out", "/proc/coprod-test/x"], ["--out", "cannot create files"]),
    (PATTERNS + ["--out", "a_file/x"], ["--out", "inside a file"]),
], ids=["new-scenario-proc", "new-scenario-under-file", "animate-proc", "animate-under-file", "animate-folder",
        "patterns-proc", "patterns-under-file"])
def test_output_paths_are_checked_before_the_work(place, capsys, argv, fragments):
    expect_refusal(argv, place, capsys, *fragments)


def test_a_resumed_calibration_whose_history_is_garbage_is_one_line(place, capsys):
    """A calibration folder holding a garbage abc.db (and no manifest) is one line, not pyabc's traceback."""
    partial = place / "cal.partial"
    partial.mkdir()
    (partial / "abc.db").write_bytes(b"garbage" * 1000)
    expect_refusal(CALIBRATE + ["--out", "cal", "--resume"], place, capsys, "cal.partial")


@pytest.mark.parametrize("host, fragment", [("192.0.2.1", "--host 192.0.2.1: cannot listen there"),
                                            ("no-such-host.invalid", "--host no-such-host.invalid")])
def test_a_dashboard_host_that_is_not_this_machine_names_the_host(place, capsys, host, fragment):
    pytest.importorskip("solara")
    expect_refusal(["dashboard", "--host", host, "--port", "18999"], place, capsys, fragment)


def test_patterns_out_naming_a_file_says_it_is_a_file(place, capsys):
    expect_refusal(PATTERNS + ["--out", "a_file"], place, capsys, "--out", "is a file")


def test_an_unreachable_scheduler_is_the_only_line(place, capsys):
    pytest.importorskip("distributed")
    before = snapshot(place)
    assert main(without(SWEEP, "--workers") + ["--scheduler", "tcp://127.0.0.1:9", "--out", "new"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1, captured
    assert "--scheduler" in captured.err and snapshot(place) == before
