"""``coprod analyze``: sensitivity indices, replication noise and plots for a finished sweep.

Reads ``manifest.json``, ``samples.parquet`` and the runs, averages the replications of each
sample, runs the SALib analysis that matches the sampling method and writes tables (CSV and
Parquet) and PNG plots into ``<sweep>/analysis/``:

* sobol: ``sobol_indices`` (S1, ST with 95% CIs), ``sobol_s2`` (S2 with CIs, if sampled),
  ``sobol_convergence`` (S1/ST recomputed on the first N/8, N/4, N/2, N base samples);
* morris: ``morris_indices`` (mu, mu*, mu* CI, sigma);
* fast: ``fast_indices`` (S1, ST with CIs);
* latin: ``latin_indices``: standardized rank regression coefficients (SRRC, regression of
  the ranks of the outcome on the ranks of the parameters, all scaled to unit variance;
  R^2 of the rank regression alongside) and Spearman rank correlations with Fisher-z 95% CIs;
* every method: ``replication_noise``: per outcome, the mean standard deviation across
  replications of a sample, the standard deviation of the sample means, their ratio, and the
  ``noise_floor`` (the share of the sample means' variance that is seed noise); Sobol tables
  repeat the floor beside the indices and flag (``above_noise``) parameters that exceed it.

SALib's bootstrap is seeded from the sweep seed (``bootstrap_seed``), so analysing a sweep twice
gives the same intervals; a warning says when N is too small for them to mean anything.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod.experiments.errors import InputError
from coprod.experiments.storage import write_json, write_tables
from coprod.experiments.sweep import MANIFEST, SAMPLES, raw_matrix, read_runs

CONF = 0.95
RESAMPLES = 200


MANIFEST_KEYS = ("problem", "method", "sample_size", "replications", "outcomes")
# An analysis folder holds this file; ``--out`` may be rewritten only when it does (or is new/empty).
ANALYSIS_MARKER = "analysis.json"
# Below these sizes the indices' confidence intervals are too wide to read (a warning says so).
SMALL = {"sobol": 32, "morris": 10, "fast": 65, "latin": 20}
WIDE_CONF = 0.25


def load_sweep(folder: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    folder = Path(folder)
    allowed = "allowed: a folder written by coprod sweep"
    if not folder.exists():
        raise InputError(f"analyze: {folder}: no such folder; {allowed}")
    if not folder.is_dir():
        raise InputError(f"analyze: {folder} is a file; {allowed}")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"analyze: {folder / MANIFEST} not found; {allowed}") from None
    except (OSError, ValueError) as err:
        raise InputError(f"analyze: {folder / MANIFEST} is not valid JSON ({err}); {allowed}") from None
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
    try:
        samples = pd.read_parquet(folder / SAMPLES)
    except Exception as err:  # noqa: BLE001 - pyarrow raises several types
        raise InputError(f"analyze: {folder / SAMPLES} is unreadable ({type(err).__name__}); {allowed}") from None
    runs = read_runs(folder)
    expected = manifest["sample_size"] * manifest["replications"]
    if runs is None or len(runs) < expected:
        have = 0 if runs is None else len(runs)
        raise InputError(f"analyze: {folder} has {have} of {expected} runs; finish it with coprod sweep ... --resume")
    return manifest, samples, runs


def check_analysis_out(out: Path, default: bool) -> None:
    """The analysis folder: new, empty, or an earlier analysis (the default ``<sweep>/analysis`` too)."""
    from coprod.experiments.checks import check_out

    check_out(out, may_exist=True)
    if out.is_dir() and any(out.iterdir()) and not default and not (out / ANALYSIS_MARKER).is_file():
        raise InputError(f"--out {out}: exists, is not empty and holds no earlier analysis; allowed: a new or "
                         "empty folder, or one written by coprod analyze")


def bootstrap_seed(seed: int) -> int:
    """The seed of SALib's bootstrap, derived from the sweep seed: never 0 (which SALib reads as
    'no seed'), below 2**32 (numpy's legacy seeding), so two analyses of a sweep agree exactly."""
    state = int(np.random.SeedSequence(int(seed), spawn_key=(0x5A11B,)).generate_state(1)[0])
    return state % (2**32 - 1) + 1


def sample_means(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    return runs.groupby("sample", sort=True)[outcomes].mean()


def replication_noise(runs: pd.DataFrame, outcomes: list[str], replications: int) -> pd.DataFrame:
    means = sample_means(runs, outcomes)
    rows = []
    for name in outcomes:
        within = runs.groupby("sample")[name].std(ddof=1).mean() if replications > 1 else float("nan")
        within_var = runs.groupby("sample")[name].var(ddof=1).mean() if replications > 1 else float("nan")
        between = float(means[name].std(ddof=1))
        rows.append({"outcome": name, "replications": replications, "within_sample_sd": float(within),
                     "between_sample_sd": between,
                     "noise_ratio": float(within / between) if between > 0 else float("nan"),
                     "noise_floor": noise_floor(within_var, replications, between)})
    return pd.DataFrame(rows)


def noise_floor(within_var: float, replications: int, between_sd: float) -> float:
    """The share of the sample means' variance that is seed noise: (within-sample variance / R) /
    variance of the sample means. A parameter with no effect gets about this total index from seed
    noise when rows have independent seeds; with common seeds in a Saltelli block (this sweep's
    design) it is an upper bound. NaN with one replication (the noise cannot be measured)."""
    if replications < 2 or not np.isfinite(within_var) or not between_sd > 0:
        return float("nan")
    return float(min(1.0, within_var / replications / between_sd**2))


def _sobol(problem, Y, second_order, seed):
    from SALib.analyze import sobol

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return sobol.analyze(problem, Y, calc_second_order=second_order, conf_level=CONF,
                             num_resamples=RESAMPLES, seed=seed)


def _indices(res) -> pd.DataFrame:
    """SALib's first-order and total indices with their intervals, one row per parameter."""
    total, first = res.to_df()[:2]
    return first.join(total)[["S1", "S1_conf", "ST", "ST_conf"]]


def analyze_sobol(problem, Y_by_outcome: dict[str, np.ndarray], options, seed,
                  floors: dict[str, float] | None = None) -> dict[str, pd.DataFrame]:
    """S1/ST (+ S2) per outcome, the convergence table, and beside the indices each outcome's
    ``noise_floor`` with ``above_noise``: whether ST's lower 95% bound exceeds the floor (with one
    replication, whether it exceeds 0)."""
    second = bool(options.get("calc_second_order", True))
    d = problem["num_vars"]
    per_base = 2 * d + 2 if second else d + 2
    first, pairs, conv = [], [], []
    for outcome, Y in Y_by_outcome.items():
        res = _sobol(problem, Y, second, seed)
        floor = (floors or {}).get(outcome, float("nan"))
        for name, row in _indices(res).iterrows():
            low = row.ST - row.ST_conf
            first.append({"outcome": outcome, "parameter": str(name), **row.to_dict(), "noise_floor": floor,
                          "above_noise": bool(low > (floor if np.isfinite(floor) else 0.0))})
        if second:
            s2 = res.to_df()[2]
            for (a, b), row in zip(s2.index, s2[["S2", "S2_conf"]].to_dict("records")):
                pairs.append({"outcome": outcome, "parameter_1": str(a), "parameter_2": str(b), **row})
        n_base = len(Y) // per_base
        for n in sorted({max(1, n_base // 8), max(1, n_base // 4), max(1, n_base // 2), n_base}):
            if n < 4:
                continue
            part = res if n == n_base else _sobol(problem, Y[: n * per_base], second, seed)
            for name, row in _indices(part).iterrows():
                conv.append({"outcome": outcome, "parameter": str(name), "base_samples": n, **row.to_dict()})
    tables = {"sobol_indices": pd.DataFrame(first), "sobol_convergence": pd.DataFrame(conv)}
    if second:
        tables["sobol_s2"] = pd.DataFrame(pairs)
    return tables


def _table(outcome: str, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A SALib result's ``to_df()`` as rows of (outcome, parameter, columns...)."""
    frame = frame[columns].astype(float).rename_axis("parameter").reset_index()
    frame["parameter"] = frame["parameter"].map(str)
    frame.insert(0, "outcome", outcome)
    return frame


def analyze_morris(problem, X, Y_by_outcome, options, seed) -> dict[str, pd.DataFrame]:
    from SALib.analyze import morris

    tables = []
    for outcome, Y in Y_by_outcome.items():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = morris.analyze(problem, X, Y, num_resamples=RESAMPLES, conf_level=CONF,
                                 num_levels=int(options.get("num_levels", 4)), seed=seed)
        tables.append(_table(outcome, res.to_df(), ["mu", "mu_star", "mu_star_conf", "sigma"]))
    return {"morris_indices": pd.concat(tables, ignore_index=True)}


def analyze_fast(problem, Y_by_outcome, options, seed) -> dict[str, pd.DataFrame]:
    from SALib.analyze import fast

    tables = []
    for outcome, Y in Y_by_outcome.items():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = fast.analyze(problem, Y, M=int(options.get("M", 4)), num_resamples=RESAMPLES,
                               conf_level=CONF, seed=seed)
        tables.append(_table(outcome, res.to_df(), ["S1", "S1_conf", "ST", "ST_conf"]))
    return {"fast_indices": pd.concat(tables, ignore_index=True)}


def analyze_latin(problem, X, Y_by_outcome) -> dict[str, pd.DataFrame]:
    from scipy import stats

    n = len(X)
    ranks_x = np.column_stack([stats.rankdata(X[:, j]) for j in range(X.shape[1])])
    zx = (ranks_x - ranks_x.mean(axis=0)) / ranks_x.std(axis=0)
    z_crit = stats.norm.ppf(0.5 + CONF / 2)
    rows = []
    for outcome, Y in Y_by_outcome.items():
        ry = stats.rankdata(Y)
        sd = ry.std()
        zy = (ry - ry.mean()) / sd if sd > 0 else np.zeros(n)
        coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(n), zx]), zy, rcond=None)
        fitted = np.column_stack([np.ones(n), zx]) @ coef
        r2 = 1.0 - float(((zy - fitted) ** 2).sum()) / max(float((zy ** 2).sum()), 1e-300) if sd > 0 else float("nan")
        for j, name in enumerate(problem["names"]):
            rho = float(np.corrcoef(ranks_x[:, j], ry)[0, 1]) if sd > 0 else float("nan")
            half = z_crit / np.sqrt(max(n - 3, 1))
            z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
            rows.append({"outcome": outcome, "parameter": name, "SRRC": float(coef[j + 1]) if sd > 0 else float("nan"),
                         "rank_R2": r2, "spearman_rho": rho, "rho_low": float(np.tanh(z - half)),
                         "rho_high": float(np.tanh(z + half))})
    return {"latin_indices": pd.DataFrame(rows)}


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
    if method == "sobol":
        tables = analyze_sobol(problem, Y_by_outcome, options, seed, floors)
    elif method == "morris":
        tables = analyze_morris(problem, raw_matrix(samples, problem["names"]), Y_by_outcome, options, seed)
    elif method == "fast":
        tables = analyze_fast(problem, Y_by_outcome, options, seed)
    elif method == "latin":
        tables = analyze_latin(problem, raw_matrix(samples, problem["names"]), Y_by_outcome)
    else:
        raise InputError(f"analyze: method {method!r} in {folder / MANIFEST}; allowed: sobol, morris, fast, latin")
    tables["replication_noise"] = noise
    if warn:
        for line in small_sample_warnings(method, int(manifest.get("samples") or 0), tables):
            print(f"coprod analyze: warning: {line}", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    write_tables(out, tables)
    write_json(out / ANALYSIS_MARKER, {"sweep": str(folder.resolve()), "method": method,
                                       "bootstrap_seed": seed, "resamples": RESAMPLES, "confidence": CONF})
    if plots:
        _plots(method, tables, out)
    return tables


def small_sample_warnings(method: str, samples: int, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Say when N is too small for the intervals to mean anything."""
    found = []
    widest = max((float(np.nanmax(np.abs(t[c].to_numpy(dtype=float))))
                  for t in tables.values() for c in t.columns if c.endswith("_conf") and len(t)), default=0.0)
    if samples and samples < SMALL.get(method, 0):
        found.append(f"N = {samples} is small for {method} (widest 95% interval +/-{widest:.3g}); "
                     f"indices mean little below N = {SMALL[method]}: rerun the sweep with a larger --samples")
    elif widest > WIDE_CONF:
        found.append(f"some 95% intervals are +/-{widest:.3g} wide: too wide to rank parameters; rerun the sweep "
                     "with a larger --samples")
    return found


# --- plots ---------------------------------------------------------------------------------------

def _grid(n: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return plt, fig, list(axes.flat[:n])


def _bars(table: pd.DataFrame, columns: list[tuple[str, str | None]], path: Path, title: str) -> None:
    outcomes = list(dict.fromkeys(table["outcome"]))
    plt, fig, axes = _grid(len(outcomes))
    width = 0.8 / len(columns)
    for ax, outcome in zip(axes, outcomes):
        part = table[table["outcome"] == outcome]
        x = np.arange(len(part))
        for k, (col, err) in enumerate(columns):
            ax.bar(x + (k - (len(columns) - 1) / 2) * width, part[col], width,
                   yerr=part[err] if err else None, capsize=3, label=col)
        ax.set_xticks(x, part["parameter"], rotation=45, ha="right", fontsize=8)
        ax.set_title(outcome, fontsize=10)
        ax.axhline(0, color="grey", lw=0.5)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plots(method: str, tables: dict[str, pd.DataFrame], out: Path) -> None:
    if method == "sobol":
        _bars(tables["sobol_indices"], [("S1", "S1_conf"), ("ST", "ST_conf")], out / "sobol_indices.png",
              "Sobol indices (bars: 95% CI)")
        conv = tables["sobol_convergence"]
        if len(conv):
            outcomes = list(dict.fromkeys(conv["outcome"]))
            plt, fig, axes = _grid(len(outcomes))
            for ax, outcome in zip(axes, outcomes):
                part = conv[conv["outcome"] == outcome]
                for k, (name, g) in enumerate(part.groupby("parameter", sort=False)):
                    line, = ax.plot(g["base_samples"], g["ST"], marker="o", label=f"{name} ST")
                    ax.plot(g["base_samples"], g["S1"], marker=".", ls="--", color=line.get_color())
                ax.set_xscale("log", base=2)
                ax.set_xlabel("base samples N")
                ax.set_title(outcome, fontsize=10)
            axes[0].legend(fontsize=7)
            fig.suptitle("Convergence: ST (solid) and S1 (dashed) on growing prefixes")
            fig.tight_layout()
            fig.savefig(out / "sobol_convergence.png", dpi=110)
            plt.close(fig)
        if "sobol_s2" in tables and len(tables["sobol_s2"]):
            s2 = tables["sobol_s2"]
            outcomes = list(dict.fromkeys(s2["outcome"]))
            names = list(dict.fromkeys(tables["sobol_indices"]["parameter"]))
            plt, fig, axes = _grid(len(outcomes))
            for ax, outcome in zip(axes, outcomes):
                m = np.full((len(names), len(names)), np.nan)
                for row in s2[s2["outcome"] == outcome].itertuples():
                    i, j = names.index(row.parameter_1), names.index(row.parameter_2)
                    m[i, j] = m[j, i] = row.S2
                image = ax.imshow(m, cmap="viridis")
                if len(names) <= 8:
                    for (i, j), value in np.ndenumerate(m):
                        if np.isfinite(value):
                            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color="white")
                ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
                ax.set_yticks(range(len(names)), names, fontsize=7)
                ax.set_title(outcome, fontsize=10)
                fig.colorbar(image, ax=ax, shrink=0.8)
            fig.suptitle("Second-order Sobol indices S2")
            fig.tight_layout()
            fig.savefig(out / "sobol_s2.png", dpi=110)
            plt.close(fig)
    elif method == "morris":
        _bars(tables["morris_indices"], [("mu_star", "mu_star_conf"), ("sigma", None)], out / "morris_indices.png",
              "Morris mu* (bars: 95% CI) and sigma")
    elif method == "fast":
        _bars(tables["fast_indices"], [("S1", "S1_conf"), ("ST", "ST_conf")], out / "fast_indices.png",
              "eFAST indices (bars: 95% CI)")
    elif method == "latin":
        t = tables["latin_indices"].copy()
        t["rho_err"] = (t["rho_high"] - t["rho_low"]) / 2
        _bars(t, [("SRRC", None), ("spearman_rho", "rho_err")], out / "latin_indices.png",
              "Standardized rank regression coefficients and Spearman rho (95% CI)")


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
