"""A warm ``coprod run`` imports only what it uses: Mesa without its unused sub-packages
(``core.mesa_core``), no pandas (the table is written by pyarrow, byte for byte as pandas writes it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.core.storage import write_columns_parquet, write_parquet
from coprod.experiments import cli
from coprod.experiments.run import run_model, timeseries
from coprod.model.outcomes import DIMENSIONS
from coprod.reports import run_picture
from coprod.reports.run_picture import Painter, draw_dimensions
from tests.processes import loaded_by_command, printed_by_fresh_python

SMALL = ["--citizens", "200", "--steps", "6", "--quiet", "--no-plots"]
UNUSED = ("pandas", "mesa.experimental", "mesa.space", "mesa.batchrunner", "mesa.discrete_space", "networkx",
          "scipy.spatial", "scipy.sparse", "scipy._lib._array_api", "scipy.linalg._basic", "scipy.special._basic",
          "yaml")


def test_run_imports_none_of_the_libraries_it_does_not_use(tmp_path):
    out = tmp_path / "run"
    assert loaded_by_command(["run", *SMALL, "--out", str(out)], UNUSED) == (0, [])
    assert pd.read_parquet(out / "timeseries.parquet")["step"].tolist() == [1, 2, 3, 4, 5, 6]


def test_mesa_core_completes_the_package_when_more_is_asked():
    code = ("import sys; from coprod.core.mesa_core import load_mesa_core\n"
            "assert load_mesa_core() and not load_mesa_core()\n"
            "import mesa, mesa.model, mesa.datacollection\n"
            "assert mesa.Model is mesa.model.Model and mesa.DataCollector is mesa.datacollection.DataCollector\n"
            "assert 'mesa.space' not in sys.modules and 'pandas' not in sys.modules\n"
            "assert mesa.datacollection.pd.DataFrame is sys.modules['pandas'].DataFrame\n"
            "assert mesa.__version__ and callable(mesa.batch_run) and mesa.space.PropertyLayer\n"
            "from mesa import experimental\n"
            "try:\n    mesa.no_such_name\nexcept AttributeError:\n    print('ok')\n")
    assert printed_by_fresh_python(code) == ["ok"]


def test_scipy_parts_are_the_complete_packages_objects_and_the_packages_complete_on_use():
    code = ("import sys; from coprod.core.lean_imports import load_scipy_parts\n"
            "assert load_scipy_parts() and not load_scipy_parts()\n"
            "import scipy.special, scipy.linalg\n"
            "lean = scipy.special.betaincinv\n"
            "assert 'scipy.special._basic' not in sys.modules and 'scipy.linalg._basic' not in sys.modules\n"
            "import numba.np.arraymath\n"  # numba's BLAS check finds scipy.linalg.cython_blas
            "assert 'scipy.linalg._basic' not in sys.modules\n"
            "from scipy.special import gammaln\n"  # a name the lean package lacks: its __init__ runs
            "assert scipy.special.betaincinv is lean and callable(gammaln)\n"
            "assert callable(scipy.linalg.solve)\n"
            "assert scipy.linalg.cython_blas is sys.modules['scipy.linalg.cython_blas']\n"
            "try:\n    scipy.special.no_such_name\nexcept AttributeError:\n    print('ok')\n")
    assert printed_by_fresh_python(code) == ["ok"]


def test_numba_loads_without_yaml_unless_a_numba_config_file_is_there(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)  # the environment would override the file
    code = ("import sys; from coprod.core.lean_imports import load_numba_without_yaml\n"
            "assert load_numba_without_yaml() and not load_numba_without_yaml()\n"
            "import numba.core.config as config, yaml\n"  # PyYAML stays importable
            "print(config._HAVE_YAML, config.NUMBA_NUM_THREADS, callable(yaml.safe_load))\n")
    assert printed_by_fresh_python(code) == ["False", str(printed_threads()), "True"]
    # a config file in the working directory is read as without the lean import
    (tmp_path / ".numba_config.yaml").write_text("num_threads: 1\n")
    monkeypatch.chdir(tmp_path)
    assert printed_by_fresh_python(code.replace("assert load_numba_without_yaml() and", "assert")) == [
        "True", "1", "True"]


def printed_threads() -> int:
    """numba's thread count in a fresh interpreter imported as usual."""
    return int(printed_by_fresh_python("import numba; print(numba.config.NUMBA_NUM_THREADS)")[0])


def test_columns_are_written_byte_for_byte_as_pandas_writes_them(tmp_path):
    columns = {"step": np.arange(1, 6, dtype=np.int64), "a": np.linspace(0.0, 1.0, 5),
               "b": np.array([np.nan, 1.0, 2.0, np.nan, 4.5]), "c": np.arange(20.0).reshape(5, 4)[:, 1]}
    write_columns_parquet(tmp_path / "ours.parquet", columns)
    write_parquet(tmp_path / "pandas.parquet", pd.DataFrame(columns))
    assert (tmp_path / "ours.parquet").read_bytes() == (tmp_path / "pandas.parquet").read_bytes()


def test_the_run_table_is_the_data_collectors_frame(tmp_path):
    model, _ = run_model({"n_citizens": 150}, steps=5, seed=2, engine="agents")
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame.insert(0, "step", range(1, len(frame) + 1))
    write_columns_parquet(tmp_path / "ours.parquet", timeseries(model))
    write_parquet(tmp_path / "frame.parquet", frame)
    assert (tmp_path / "ours.parquet").read_bytes() == (tmp_path / "frame.parquet").read_bytes()


def test_the_helper_draws_the_same_picture_as_this_process(tmp_path):
    model, _ = run_model({"n_citizens": 150}, steps=5, seed=2, engine="agents")
    columns = timeseries(model)
    painter = Painter(5, DIMENSIONS)
    try:
        painter.draw(columns, tmp_path / "helper.png", "a title", DIMENSIONS)
    finally:
        painter.close()
    draw_dimensions(columns, tmp_path / "here.png", "a title", DIMENSIONS)
    assert (tmp_path / "helper.png").read_bytes() == (tmp_path / "here.png").read_bytes()


def test_the_helpers_lines_over_kept_pixels_are_the_picture_drawn_in_one_go(tmp_path):
    """The helper draws the lines, frames and legend over the pixels it drew before the run
    (``DimensionsFigure.rehearse``): lines at the panels' edges, through the legend and jumping
    across the whole value axis must give the bytes of a picture drawn in one go."""
    rng = np.random.default_rng(3)
    steps = 120
    columns = {"step": list(range(1, steps + 1))}
    for k, dim in enumerate(DIMENSIONS):
        jumps = rng.choice([0.0, 1.0, -0.02, 1.02], size=steps) if k % 2 else rng.random(steps)
        columns[f"{dim}_output"] = [float(v) for v in jumps]
        columns[f"{dim}_long"] = [float(v) for v in np.linspace(k % 2, 1 - k % 2, steps)]
    painter = Painter()  # started before its shape is known, as ``coprod run`` starts it
    try:
        painter.prepare(steps, DIMENSIONS)
        painter.draw(columns, tmp_path / "helper.png", "a longer title: seed 3, 2000 citizens", DIMENSIONS)
    finally:
        painter.close()
    draw_dimensions(columns, tmp_path / "here.png", "a longer title: seed 3, 2000 citizens", DIMENSIONS)
    assert (tmp_path / "helper.png").read_bytes() == (tmp_path / "here.png").read_bytes()


def test_the_early_helper_is_started_only_for_a_picture_and_ends_with_a_run_that_stops(tmp_path, monkeypatch):
    assert run_picture.early_painter(["run", "--no-plots"]) is None
    assert run_picture.early_painter(["run", "--help"]) is None
    started = []

    class Recorded(Painter):
        def __init__(self, *args):
            super().__init__(*args)
            started.append(self)

    monkeypatch.setattr(run_picture, "Painter", Recorded)
    # bad input: the run stops before its picture; its helper, started first, must not outlive it
    assert cli.main(["run", "--steps", "0", "--quiet", "--out", str(tmp_path / "bad")]) == 2
    assert len(started) == 1 and started[0]._process.returncode is not None
    with pytest.raises(SystemExit):
        cli.main(["run", "--no-such-option"])
    assert len(started) == 2 and started[1]._process.returncode is not None


def test_a_failing_helper_fails_the_picture_and_an_unused_one_ends(tmp_path):
    painter = Painter(2, ["innovation"])
    with pytest.raises(RuntimeError, match="drawing missing.png failed"):
        columns = {"step": [1, 2], "innovation_output": [0.1, 0.2], "innovation_long": [0.1, 0.15]}
        painter.draw(columns, tmp_path / "no-such-folder" / "missing.png", "t", ["innovation"])
    painter.close()
    unused = Painter(2, ["innovation"])
    unused.close()
    assert unused._process.returncode is not None
