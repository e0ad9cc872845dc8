"""``coprod run``: the result directory, its files, determinism and atomicity."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coprod.core.parameters import PARAMETERS
from coprod.experiments import cli
from coprod.model.model import CoProductionModel
from coprod.model.outcomes import DIMENSIONS, reporter_names
from tests.processes import loaded_by_command

SMALL = ["--citizens", "200", "--steps", "12", "--engine", "agents", "--quiet"]


def run(tmp_path, name, *extra):
    out = tmp_path / name
    assert cli.main(["run", *extra, *SMALL, "--out", str(out)]) == 0
    return out


def test_run_writes_the_four_files(tmp_path):
    out = run(tmp_path, "a", "npg_collective", "--seed", "3")
    assert sorted(p.name for p in out.iterdir()) == ["SHA256SUMS", "dimensions.png", "manifest.json", "summary.json",
                                                    "timeseries.parquet"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "npg_collective"
    assert manifest["seed"] == 3 and manifest["steps"] == 12
    assert set(manifest["parameters"]) == set(PARAMETERS)
    assert manifest["parameters"]["cp_level"] == "collective"
    assert manifest["parameters"]["n_citizens"] == 200
    assert {"mesa", "numpy", "numba", "coprod", "python"} <= set(manifest["versions"])
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"outcomes", "step_loop_seconds"}
    assert summary["step_loop_seconds"] > 0
    assert set(reporter_names()) <= set(summary["outcomes"])
    frame = pd.read_parquet(out / "timeseries.parquet")
    assert len(frame) == 12 and list(frame["step"]) == list(range(1, 13))
    for dim in DIMENSIONS:
        assert frame[f"{dim}_long"].iloc[-1] == pytest.approx(summary["outcomes"][f"{dim}_long"])
    assert (out / "dimensions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_default_location_is_results_under_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", *SMALL]) == 0
    made = list((tmp_path / "results").iterdir())
    assert len(made) == 1 and made[0].name.endswith("-default")


def test_same_seed_same_numbers_and_different_seed_differs(tmp_path):
    a = pd.read_parquet(run(tmp_path, "a", "--seed", "5") / "timeseries.parquet")
    b = pd.read_parquet(run(tmp_path, "b", "--seed", "5") / "timeseries.parquet")
    c = pd.read_parquet(run(tmp_path, "c", "--seed", "6") / "timeseries.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_set_overrides_the_scenario(tmp_path):
    out = run(tmp_path, "a", "npm", "--set", "outreach=0.9", "--set", "cp_level=group")
    params = json.loads((out / "manifest.json").read_text())["parameters"]
    assert params["outreach"] == 0.9 and params["cp_level"] == "group" and params["paradigm"] == "npm"


def test_failed_run_leaves_nothing(tmp_path, monkeypatch):
    calls = {"n": 0}
    original = CoProductionModel.step

    def failing_step(self):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("simulated crash")
        return original(self)

    monkeypatch.setattr(CoProductionModel, "step", failing_step)
    with pytest.raises(RuntimeError):
        cli.main(["run", *SMALL, "--out", str(tmp_path / "crashed")])
    assert list(tmp_path.iterdir()) == []


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    from coprod.experiments import run as run_module

    def broken_plot(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(run_module, "plot_dimensions", broken_plot)
    with pytest.raises(OSError):
        cli.main(["run", *SMALL, "--out", str(tmp_path / "half")])
    assert list(tmp_path.iterdir()) == []


def test_refuses_non_empty_out(tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert cli.main(["run", *SMALL, "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_impossible_combination_is_an_input_error(tmp_path, capsys):
    assert cli.main(["run", "--citizens", "20", "--set", "n_groups=50", "--steps", "1", "--quiet",
                     "--out", str(tmp_path / "x")]) == 2
    assert "n_groups" in capsys.readouterr().err


def test_params_and_scenarios_commands(capsys):
    assert cli.main(["params"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in PARAMETERS)
    assert cli.main(["scenarios"]) == 0
    assert "npg_collective" in capsys.readouterr().out


@pytest.mark.parametrize("scenario, extra", [("npg_collective", ["--set", "outreach=0.37"]), ("default", [])])
def test_run_from_a_manifest_repeats_the_result_exactly(tmp_path, scenario, extra):
    first = run(tmp_path, "first", scenario, "--seed", "11", *extra)
    manifest = json.loads((first / "manifest.json").read_text())
    assert "git_dirty" in manifest and manifest["git_dirty"] in (True, False, None)
    again = tmp_path / "again"
    assert cli.main(["run", "--from", str(first / "manifest.json"), "--out", str(again), "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(first / "timeseries.parquet"),
                                  pd.read_parquet(again / "timeseries.parquet"))
    repeated = json.loads((again / "manifest.json").read_text())
    assert repeated["parameters"] == manifest["parameters"] and repeated["seed"] == 11


@pytest.mark.parametrize("content, fragment", [
    (None, "no such file"), ("{not json", "unreadable"), ('{"kind": "compare"}', "not a `coprod run` manifest")])
def test_run_from_a_bad_manifest_is_one_line(tmp_path, capsys, content, fragment):
    from coprod.core.storage import write_bytes

    path = tmp_path / "manifest.json"
    if content is not None:
        write_bytes(path, content.encode())  # with its checksum: the content is what is refused
    assert cli.main(["run", "--from", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--from" in err[0] and fragment in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra, unloaded, files", [
    # batch use: the tables without the picture, and without matplotlib's import
    (["--no-plots"], "matplotlib", ["SHA256SUMS", "manifest.json", "summary.json", "timeseries.parquet"]),
    # the picture drawn with matplotlib's object API: pyplot's import was half a second
    ([], "matplotlib.pyplot", ["SHA256SUMS", "dimensions.png", "manifest.json", "summary.json", "timeseries.parquet"]),
])
def test_run_imports_no_more_of_matplotlib_than_it_draws_with(tmp_path, extra, unloaded, files):
    out = tmp_path / "run"
    assert loaded_by_command(["run", *SMALL, *extra, "--out", str(out)], [unloaded]) == (0, [])
    assert sorted(p.name for p in out.iterdir()) == files


@pytest.mark.parametrize("argv, expected_code", [
    (["run", *SMALL], 0),
    (["run", *SMALL, "--steps", "0"], 2),  # bad input leaves at once too, with its exit code
    (["scenarios"], 0),
    # with a progress bar (more than PROGRESS_ABOVE citizen-months): no semaphore left for the tracker
    (["run", "--citizens", "17000", "--steps", "12", "--engine", "numba"], 0),
])
def test_installed_command_leaves_at_once_with_its_exit_code_and_complete_output(tmp_path, argv, expected_code):
    """``console_main`` skips the interpreter's teardown after a finished run: the exit code, what
    was printed and the files written must all be there as with a normal exit."""
    import subprocess
    import sys

    out = tmp_path / "leave"
    argv = [*argv, "--out", str(out)] if argv[0] == "run" else argv
    code = (f"import sys; sys.argv = ['coprod', *{argv!r}]; "
            "from coprod.experiments.cli import console_main; console_main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == expected_code, done.stderr
    assert "leaked" not in done.stderr and "Traceback" not in done.stderr
    if argv[0] == "scenarios":
        assert "npg_collective" in done.stdout
    elif expected_code == 0:
        frame = pd.read_parquet(out / "timeseries.parquet")
        assert len(frame) == 12
        assert json.loads((out / "summary.json").read_text())["outcomes"]
    else:
        assert not out.exists() and done.stderr.count("\n") == 1


@pytest.mark.parametrize("argv", [
    ["claims", "--claim", "openness_sustains", "--samples", "4", "--replications", "2", "--citizens", "120",
     "--steps", "12", "--workers", "2"],
    ["sweep", "default", "--method", "latin", "--samples", "4", "--citizens", "120", "--steps", "12", "--workers", "2"],
])
def test_battery_and_sweep_leave_at_once_after_closing_their_pool(tmp_path, argv):
    """A battery and a sweep also skip the teardown (``cli.LEAVE_AT_ONCE``): with a pool and a progress
    bar, every file is whole and checksummed, and no semaphore is left for multiprocessing's resource
    tracker to report as leaked (tqdm's default lock is one)."""
    import subprocess
    import sys

    from coprod.core.storage import CHECKSUM_LIST, CHECKSUM_SUFFIX, is_intact

    out = tmp_path / argv[0]
    code = (f"import sys; sys.argv = ['coprod', *{[*argv, '--out', str(out)]!r}]; "
            "from coprod.experiments.cli import console_main; console_main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "leaked" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("%|") > 0  # the progress bar was shown
    table = pd.read_parquet(out / ("runs.parquet" if argv[0] == "claims" else "results.parquet"))
    assert len(table) == (10 if argv[0] == "claims" else 4)
    written = [path for path in out.iterdir()
               if path.is_file() and path.name != CHECKSUM_LIST and not path.name.endswith(CHECKSUM_SUFFIX)]
    assert len(written) >= 3 and all(is_intact(path) for path in written), written


@pytest.mark.parametrize("bad", [["--samples", "0"], ["--claim", "no_such_claim"]])
def test_bad_input_to_a_battery_on_a_pool_is_one_line_also_when_it_leaves_at_once(tmp_path, bad):
    """The pool started before the checks (``cli.early_pool``) is ended on bad input, and its queues'
    semaphores are let go before the command leaves at once: the one line is the whole of stderr
    (not the resource tracker's warnings after it), exit 2, nothing written."""
    import subprocess
    import sys

    out = tmp_path / "battery"
    argv = ["claims", "--workers", "2", "--quiet", *bad, "--out", str(out)]
    code = (f"import sys; sys.argv = ['coprod', *{argv!r}]; "
            "from coprod.experiments.cli import console_main; console_main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("coprod: error:"), done.stderr
    assert not out.exists() and not out.with_name("battery.partial").exists()
