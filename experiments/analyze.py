"""``coprod analyze``: sensitivity indices, replication noise and plots for a finished sweep.

Reads ``manifest.json``, ``samples.parquet`` and the runs, averages the replications of each
sample, runs the analysis of the sweep's design (``coprod.analysis.designs``: one module per design) and
writes its tables (CSV and Parquet) and the plots it asks for (drawn by ``coprod.reports.sensitivity_plots``)
into ``<sweep>/analysis/``.

SALib's bootstrap is seeded from the sweep seed (``bootstrap_seed``), so analysing a sweep twice
gives the same intervals; a warning says when N is too small for them to mean anything.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod.analysis.designs import DESIGNS
from coprod.analysis.sensitivity import (
    CONF,
    RESAMPLES,
    bootstrap_seed,
    replication_noise,
    sample_means,
    small_sample_warnings,
)
from coprod.core.errors import InputError
from coprod.core.storage import read_json, read_parquet, write_json, write_tables
from coprod.experiments.checks import check_out
from coprod.experiments.sweep import MANIFEST, SAMPLES, raw_matrix, read_runs, resume_remedy
from coprod.reports.sensitivity_plots import draw

MANIFEST_KEYS = ("problem", "method", "sample_size", "replications", "outcomes")
# An analysis folder holds this file; ``--out`` may be rewritten only when it does (or is new/empty).
ANALYSIS_MARKER = "analysis.json"


def load_sweep(folder: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    folder = Path(folder)
    allowed = "allowed: a folder written by coprod sweep"
    if not folder.exists():
        raise InputError(f"analyze: {folder}: no such folder; {allowed}")
    if not folder.is_dir():
        raise InputError(f"analyze: {folder} is a file; {allowed}")
    if not (folder / MANIFEST).is_file():
        raise InputError(f"analyze: {folder / MANIFEST} not found; {allowed}")
    manifest = read_json(folder / MANIFEST, "it records the design the indices need: restore it from a copy, or "
                                            "run the sweep again in a new folder")
    if not isinstance(manifest, dict) or manifest.get("kind", "coprod-sweep") != "coprod-sweep":
        kind = manifest.get("kind") if isinstance(manifest, dict) else None
        raise InputError(f"analyze: {folder} holds a {kind or 'non-sweep'} result, not a sweep; {allowed}")
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        what = "a `coprod run` result" if "timeseries.parquet" in {p.name for p in folder.iterdir()} else "no sweep"
        raise InputError(f"analyze: {folder / MANIFEST} has no {', '.join(missing)} ({what}); {allowed}")
    problem = manifest["problem"]
    if not isinstance(problem, dict) or not {"names", "bounds", "num_vars"} <= set(problem):
        raise InputError(f"analyze: {folder / MANIFEST}: key 'problem' lacks names/bounds/num_vars; {allowed}")
    if not (folder / SAMPLES).is_file():
        raise InputError(f"analyze: {folder / SAMPLES} not found; {allowed}")
    samples = read_parquet(folder / SAMPLES, resume_remedy(folder))
    runs = read_runs(folder)
    expected = manifest["sample_size"] * manifest["replications"]
    if runs is None or len(runs) < expected:
        have = 0 if runs is None else len(runs)
        raise InputError(f"analyze: {folder} has {have} of {expected} runs; finish it with coprod sweep ... --resume")
    return manifest, samples, runs


def check_analysis_out(out: Path, default: bool) -> None:
    """The analysis folder: new, empty, or an earlier analysis (the default ``<sweep>/analysis`` too)."""
    check_out(out, may_exist=True)
    if out.is_dir() and any(out.iterdir()) and not default and not (out / ANALYSIS_MARKER).is_file():
        raise InputError(f"--out {out}: exists, is not empty and holds no earlier analysis; allowed: a new or "
                         "empty folder, or one written by coprod analyze")


def analyze_sweep(folder: Path | str, out: Path | str | None = None, plots: bool = True,
                  warn: bool = True) -> dict[str, pd.DataFrame]:
    """Compute the method's indices for every outcome; write tables and plots; return the tables.
    Everything is read and checked before the output folder is created."""
    folder = Path(folder)
    manifest, samples, runs = load_sweep(folder)
    if out is not None and str(out).strip() == "":
        raise InputError("--out: got an empty path; allowed: a folder path")
    out = Path(out) if out is not None else folder / "analysis"
    check_analysis_out(out, default=out == folder / "analysis")
    problem = {k: manifest["problem"][k] for k in ("num_vars", "names", "bounds")}
    outcomes = manifest["outcomes"]
    means = sample_means(runs, outcomes)
    Y_by_outcome = {name: means[name].to_numpy(dtype=np.float64) for name in outcomes}
    method, options = manifest["method"], manifest.get("method_options") or {}
    seed = bootstrap_seed(int(manifest.get("seed", 0)))
    noise = replication_noise(runs, outcomes, int(manifest["replications"]))
    floors = dict(zip(noise["outcome"], noise["noise_floor"]))
    if method not in DESIGNS:
        raise InputError(f"analyze: method {method!r} in {folder / MANIFEST}; allowed: {', '.join(DESIGNS)}")
    design = DESIGNS[method]
    tables = design.analyse(problem, raw_matrix(samples, problem["names"]), Y_by_outcome, options, seed, floors)
    tables["replication_noise"] = noise
    if warn:
        for line in small_sample_warnings(method, int(manifest.get("samples") or 0), tables, design.small):
            print(f"coprod analyze: warning: {line}", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    write_tables(out, tables)
    write_json(out / ANALYSIS_MARKER, {"sweep": str(folder.resolve()), "method": method,
                                       "bootstrap_seed": seed, "resamples": RESAMPLES, "confidence": CONF})
    if plots:
        for plot in design.plots(tables):
            draw(plot, out)
    return tables


def cmd_analyze(args: argparse.Namespace) -> int:
    tables = analyze_sweep(args.sweep_dir, args.out, plots=not args.no_plots)
    out = Path(args.out) if args.out is not None else Path(args.sweep_dir) / "analysis"
    print(f"analyze: wrote {', '.join(sorted(tables))} (.csv, .parquet) and plots to {out}")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Run the SALib analysis matching the sweep's method and write "
                          "tables (CSV, Parquet) and PNG plots into <sweep>/analysis/.")
    parser.add_argument("sweep_dir", help="folder written by coprod sweep")
    parser.add_argument("--out", help="output folder (default <sweep>/analysis)")
    parser.add_argument("--no-plots", action="store_true", help="tables only")
    parser.set_defaults(func=cmd_analyze)
