"""``coprod compare``: strategies side by side, with common random numbers and replications.

Replication ``r`` of every strategy runs with the same seed (``run_seed(--seed, 0, r)``, the
runner's one seed convention). Runs go through the shared runner: in this process by default, on a
local pool with ``--workers N`` or on a dask cluster with ``--scheduler``. The model draws its
citizens' randomness from counters on (seed, step, citizen, stream), so two strategies in the same
replication meet the same citizens and the same luck: their difference is the strategy's effect,
and paired statistics (paired t-test, sign test) on the per-replication differences are sharp.

With ``--robust`` the strategies also run at ``--samples`` Latin-hypercube points over the union of
the scenarios' ``[uncertain]`` ranges (the same points, and seeds, for every strategy); the report
then gives how often each strategy is best per dimension and its worst-case regret (Lempert,
Popper & Bankes 2003, robust decision making), and where in the uncertain ranges each strategy is
best: a PRIM box with quasi-p-values and resampling stability, and a CART tree beside it (``prim``).

With ``--posterior DIR`` (a ``coprod calibrate`` folder of one of the compared scenarios) the
strategies also run under ``--samples`` draws from the calibrated posterior, each draw one particle
and one seed shared by every strategy; the report gives, per dimension, the probability that each
strategy is best and its expected regret over the draws.

Every paired difference is read against the metric's smallest effect size of interest
(``analysis/effect_sizes.py``, ``--sesoi FILE``): smaller ones are "no meaningful difference".

The result directory (``results/compare-<UTC timestamp>`` or ``--out``) is written atomically and
holds the tables (CSV and Parquet), PNG plots, ``report.html`` (self-contained), ``report.md`` and
``manifest.json``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from coprod.analysis.effect_sizes import DEFAULT_SESOI, Sesoi, from_manifest, to_manifest
from coprod.analysis.prim import BoxRule, check_rule, discover
from coprod.analysis.statistics import best_and_regret, effect_category, mean_interval, paired_interval, sd
from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.experiments.checks import check_at_least, check_parameters, check_scheduler_address, check_seed, check_work
from coprod.experiments.claims import load_sesoi
from coprod.experiments.posterior import load_posterior
from coprod.experiments.provenance import git_commit, git_dirty, versions
from coprod.experiments.run import run_model
from coprod.experiments.runner import SEED_CONVENTION, MemorySink, Task, open_executor, run_seed
from coprod.experiments.runner import run_tasks as run_table
from coprod.experiments.scenarios import Scenario, load_scenario, parse_set
from coprod.experiments.session import RESERVED, Session
from coprod.experiments.sweep import latin_hypercube
from coprod.model.model import ENGINES, resolve_parameters
from coprod.model.outcomes import DIMENSIONS, HORIZON_NAMES
from coprod.model.paradigms import paradigm_values
from coprod.reports.compare_report import write_comparison
from coprod.reports.words import RISK_COLUMNS, dimension_name, strategy_names

DEFAULT_REPLICATIONS = 10
DEFAULT_STEPS = 120
DEFAULT_SAMPLES = 20
ALPHA = 0.05
# The seed unit of --posterior: draw k runs with run_seed(--seed, POSTERIOR_UNIT, k), apart from the
# replications (unit 0) and the robust points (units 1 + i); its particles come from the stream
# SeedSequence(--seed, spawn_key=(POSTERIOR_UNIT,)).
POSTERIOR_UNIT = 2**31 - 2


@dataclass
class Strategy:
    label: str                      # unique within one comparison
    scenario: Scenario
    overrides: dict[str, Any]       # scenario parameters + --set + --citizens
    resolved: dict[str, Any] = field(default_factory=dict)


@dataclass
class Comparison:
    """Everything the report needs; built by ``analyse``."""
    strategies: list[Strategy]
    settings: dict[str, Any]
    finals: pd.DataFrame            # one row per (strategy, replication)
    trajectories: pd.DataFrame      # one row per (strategy, replication, step)
    summary: pd.DataFrame           # strategy x metric: mean, sd, CI
    wins: pd.DataFrame              # strategy x dimension: share of replications best / tied
    pairwise: pd.DataFrame          # pair x metric: paired difference, CI, tests
    tradeoffs: list[str]
    robust_runs: pd.DataFrame | None = None
    robust: pd.DataFrame | None = None      # strategy x dimension: best share, worst and mean regret
    robust_points: pd.DataFrame | None = None
    robust_boxes: pd.DataFrame | None = None  # dimension x strategy: where the strategy is best (PRIM, CART)
    posterior_runs: pd.DataFrame | None = None  # --posterior: one row per (strategy, draw)
    posterior: pd.DataFrame | None = None       # strategy x dimension: probability best, expected regret
    posterior_draws: pd.DataFrame | None = None


# --- running -------------------------------------------------------------------------------------

def run_strategy(payload: tuple, seed: int) -> pd.DataFrame:
    """Worker side: one model run; returns the model's monthly time series."""
    parameters, steps, engine = payload
    model, _ = run_model(parameters, steps, seed, engine, False)
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame.insert(0, "step", np.arange(1, len(frame) + 1))
    model.forget()
    return frame


def run_tasks(tasks: list[tuple], workers: int, progress: bool, scheduler: str | None = None) -> dict:
    """Run every ``(key, parameters, steps, seed, engine)`` task through the shared runner: in this
    process when ``workers == 1``, else on a process pool, or on the dask ``scheduler``.
    Returns ``{key: time series}``."""
    table = [Task(key, (parameters, steps, engine), seed, f"{key[0]} {key[1]} #{key[2]} seed={seed}")
             for key, parameters, steps, seed, engine in tasks]
    sink = MemorySink()
    with open_executor(workers, scheduler) as (executor, slots, _):
        run_table(table, run_strategy, sink, executor=executor, slots=slots, scheduler=scheduler,
                  progress=progress, desc="coprod compare")
    return sink.results


def _final_row(frame: pd.DataFrame) -> dict[str, float]:
    row = {name: float(frame[name].iloc[-1]) for name in frame.columns if name != "step"}
    row["total_public_cost"] = float(frame["public_cost"].sum())
    row["total_citizen_hours"] = float(frame["citizen_hours"].sum())
    return row


# --- statistics ----------------------------------------------------------------------------------

def mean_ci(values: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, standard deviation and the t-based 95% confidence interval of the mean."""
    mean, low, high = mean_interval(values, 1 - ALPHA)
    return mean, sd(values), low, high


def paired_test(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Paired difference a - b: mean, 95% CI, paired t-test and exact sign test p-values."""
    d = np.asarray(a, float) - np.asarray(b, float)
    n = len(d)
    mean, spread, low, high = mean_ci(d)
    if n >= 2 and np.isfinite(spread) and spread > 0:
        low, high = paired_interval(a, b, 1 - ALPHA)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-12)
    exact_zero = np.abs(d) <= 1e-12 * scale
    if n < 2 or not np.isfinite(spread) or spread <= 1e-12 * scale:
        # Identical (or constant) differences: no spread to test against.
        t_p = 1.0 if np.all(exact_zero) else (0.0 if n >= 2 else float("nan"))
        if n >= 2 and not np.all(exact_zero):
            low = high = mean
    else:
        t_p = float(stats.ttest_rel(a, b).pvalue)
    pos, neg = int(np.sum((d > 0) & ~exact_zero)), int(np.sum((d < 0) & ~exact_zero))
    sign_p = float(stats.binomtest(pos, pos + neg, 0.5).pvalue) if pos + neg > 0 else 1.0
    return {"n": n, "mean_diff": mean, "ci_low": low, "ci_high": high, "t_p": t_p, "sign_p": sign_p,
            "share_a_higher": pos / n if n else float("nan"), "share_b_higher": neg / n if n else float("nan"),
            "share_tied": float(np.sum(exact_zero)) / n if n else float("nan"),
            "significant": bool(np.isfinite(t_p) and t_p < ALPHA)}


def best_shares(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` is (cases x strategies), higher better: share of cases each is sole best, and tied best."""
    top = values.max(axis=1, keepdims=True)
    scale = np.maximum(np.abs(top), 1e-12)
    at_top = np.abs(values - top) <= 1e-12 * scale
    sole = at_top & (at_top.sum(axis=1, keepdims=True) == 1)
    tied = at_top & (at_top.sum(axis=1, keepdims=True) > 1)
    return sole.mean(axis=0), tied.mean(axis=0)


def metric_names() -> list[str]:
    return [f"{d}_{h}" for d in DIMENSIONS for h in HORIZON_NAMES] + list(RISK_COLUMNS)


def analyse(strategies: list[Strategy], settings: dict, frames: dict, robust_frames: dict | None = None,
            points: pd.DataFrame | None = None, posterior_frames: dict | None = None,
            draws: pd.DataFrame | None = None) -> Comparison:
    """Tables and plain-word trade-offs from the runs."""
    labels = [s.label for s in strategies]
    horizon = settings["horizon"]
    finals, trajectories = _finals(strategies, settings, frames)
    comparison = Comparison(strategies=strategies, settings=settings, finals=finals, trajectories=trajectories,
                            summary=_summary(strategies, finals), wins=_wins(finals, labels, horizon),
                            pairwise=_pairwise(finals, labels, horizon, from_manifest(settings.get("sesoi"))),
                            tradeoffs=[])
    comparison.tradeoffs = tradeoff_sentences(comparison)
    if robust_frames is not None and points is not None:
        comparison.robust_runs, comparison.robust = _robust(strategies, settings, robust_frames, points)
        comparison.robust_points = points
        comparison.robust_boxes = where_best(comparison.robust_runs, points, labels, horizon, settings)
    if posterior_frames is not None and draws is not None:
        comparison.posterior_runs, comparison.posterior = _under_posterior(strategies, settings, posterior_frames,
                                                                           draws)
        comparison.posterior_draws = draws
    return comparison


def _finals(strategies: list[Strategy], settings: dict, frames: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (strategy, replication) at the end of the run, and every month of every run."""
    rows, trajectories = [], []
    for s in strategies:
        for r in range(settings["replications"]):
            frame = frames[("rep", s.label, r)]
            rows.append({"strategy": s.label, "scenario": s.scenario.name, "replication": r,
                         "seed": settings["seeds"][r], **_final_row(frame)})
            traj = frame.copy()
            traj.insert(0, "replication", r)
            traj.insert(0, "strategy", s.label)
            trajectories.append(traj)
    return pd.DataFrame(rows), pd.concat(trajectories, ignore_index=True)


def _summary(strategies: list[Strategy], finals: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and interval of every metric per strategy."""
    rows = []
    for s in strategies:
        sub = finals[finals.strategy == s.label]
        for metric in metric_names():
            mean, spread, low, high = mean_ci(sub[metric].to_numpy())
            rows.append({"strategy": s.label, "metric": metric, "mean": mean, "sd": spread,
                         "ci_low": low, "ci_high": high, "n": len(sub)})
    return pd.DataFrame(rows)


def _by_strategy(runs: pd.DataFrame, labels: list[str], order: str, column: str) -> np.ndarray:
    """``column`` as a matrix: a row per replication or point (sorted by ``order``, the same for every
    strategy: common random numbers), a column per strategy in ``labels`` order."""
    return np.column_stack([runs[runs.strategy == label].sort_values(order)[column].to_numpy() for label in labels])


def _wins(finals: pd.DataFrame, labels: list[str], horizon: str) -> pd.DataFrame:
    """Rank by mean and how often each strategy is best, alone or tied, per dimension."""
    rows = []
    for dim in DIMENSIONS:
        column = f"{dim}_{horizon}"
        matrix = _by_strategy(finals, labels, "replication", column)
        sole, tied = best_shares(matrix)
        means = matrix.mean(axis=0)
        order = np.argsort(-means, kind="stable")
        rank = np.empty(len(labels), dtype=int)
        rank[order] = np.arange(1, len(labels) + 1)
        for i, label in enumerate(labels):
            rows.append({"dimension": dim, "horizon": horizon, "strategy": label, "rank": int(rank[i]),
                         "mean": float(means[i]), "win_share": float(sole[i]), "tie_share": float(tied[i])})
    return pd.DataFrame(rows)


def _pairwise(finals: pd.DataFrame, labels: list[str], horizon: str,
              sesoi_table: dict[str, Sesoi] = DEFAULT_SESOI) -> pd.DataFrame:
    """Paired differences of every pair of strategies on the dimensions and the risks, each read against
    the metric's SESOI (a relative one scales with the two strategies' mean magnitude): ``meaningful`` is
    False where the mean difference is not larger than the SESOI ("no meaningful difference"), and
    ``category`` says whether a is higher by more than it (holds), lower (reversed), equivalent within
    it by TOST (negligible), or unclear (``statistics.effect_category``)."""
    rows = []
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            fa = finals[finals.strategy == a].sort_values("replication")
            fb = finals[finals.strategy == b].sort_values("replication")
            for metric in [f"{d}_{horizon}" for d in DIMENSIONS] + list(RISK_COLUMNS):
                va, vb = fa[metric].to_numpy(), fb[metric].to_numpy()
                result = paired_test(va, vb)
                threshold = sesoi_table[metric].threshold((abs(va.mean()) + abs(vb.mean())) / 2)
                tested = effect_category(va - vb, threshold)
                rows.append({"a": a, "b": b, "metric": metric, **result,
                             "mean_a": float(fa[metric].mean()), "mean_b": float(fb[metric].mean()),
                             "sesoi": threshold, "meaningful": bool(abs(result["mean_diff"]) > threshold),
                             "category": tested["category"], "p_equivalent": tested["p_equivalent"]})
    return pd.DataFrame(rows)


def _robust(strategies: list[Strategy], settings: dict, robust_frames: dict,
            points: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs at the uncertain points, and per dimension each strategy's best share and regret."""
    labels = [s.label for s in strategies]
    horizon = settings["horizon"]
    rows = []
    for s in strategies:
        for i in range(len(points)):
            frame = robust_frames[("robust", s.label, i)]
            rows.append({"strategy": s.label, "point": i, "seed": settings["robust_seeds"][i],
                         **{name: points.iloc[i][name] for name in points.columns}, **_final_row(frame)})
    robust_runs = pd.DataFrame(rows)
    regret_rows = []
    for dim in DIMENSIONS:
        column = f"{dim}_{horizon}"
        matrix = _by_strategy(robust_runs, labels, "point", column)
        sole, tied = best_shares(matrix)
        regret = matrix.max(axis=1, keepdims=True) - matrix
        for j, label in enumerate(labels):
            regret_rows.append({"dimension": dim, "horizon": horizon, "strategy": label,
                                "best_share": float(sole[j]), "tie_share": float(tied[j]),
                                "worst_regret": float(regret[:, j].max()), "mean_regret": float(regret[:, j].mean()),
                                "mean": float(matrix[:, j].mean())})
    return robust_runs, pd.DataFrame(regret_rows)


def _under_posterior(strategies: list[Strategy], settings: dict, frames: dict,
                     draws: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs under the posterior draws (each draw one particle and one seed, the same for every
    strategy), and per dimension each strategy's probability of being best and expected regret."""
    labels = [s.label for s in strategies]
    horizon = settings["horizon"]
    rows = []
    for s in strategies:
        for k in range(len(draws)):
            rows.append({"strategy": s.label, "draw": k, "seed": settings["posterior"]["seeds"][k],
                         **draws.iloc[k].to_dict(), **_final_row(frames[("posterior", s.label, k)])})
    runs = pd.DataFrame(rows)
    table = []
    for dim in DIMENSIONS:
        column = f"{dim}_{horizon}"
        matrix = _by_strategy(runs, labels, "draw", column)
        p_best, mc_se, regret = best_and_regret(matrix)
        worst = (matrix.max(axis=1, keepdims=True) - matrix).max(axis=0)
        for j, label in enumerate(labels):
            table.append({"dimension": dim, "horizon": horizon, "strategy": label, "p_best": float(p_best[j]),
                          "p_best_se": float(mc_se[j]), "expected_regret": float(regret[j]),
                          "worst_regret": float(worst[j]), "mean": float(matrix[:, j].mean()),
                          "q05": float(np.quantile(matrix[:, j], 0.05)), "q95": float(np.quantile(matrix[:, j], 0.95)),
                          "draws": len(matrix)})
    return runs, pd.DataFrame(table)


def posterior_draws(posterior, strategies: list[Strategy], samples: int, seed: int,
                    fixed: set[str]) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """``samples`` weighted draws of the calibrated parameters (integers rounded; parameters fixed on
    the command line are left out), and per strategy the drawn parameters it takes: one it fixes itself
    (its scenario or paradigm) keeps its own value unless its [uncertain] table lists it, as with
    --robust."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(POSTERIOR_UNIT,)))
    names = [name for name in posterior.names if name not in fixed]
    draws = posterior.draw(samples, rng)[names]
    for name in names:
        if PARAMETERS[name].kind == "int":
            draws[name] = np.round(draws[name].to_numpy(dtype=np.float64)).astype(int)
    return draws, {s.label: applied_uncertain(s, names) for s in strategies}


def where_best(robust_runs: pd.DataFrame, points: pd.DataFrame, labels: list[str], horizon: str,
               settings: dict) -> pd.DataFrame:
    """Per dimension and strategy, the region of the uncertain ranges where the strategy is best
    (alone or tied): PRIM's box with its quasi-p-values and stability, and CART's (scenario discovery
    for robust decision making, Lempert, Bryant & Bankes 2008). Resampling draws from a seed derived
    from --seed, the dimension and the strategy, so the table repeats exactly."""
    recorded = settings.get("box_rule") or {}
    rule = BoxRule(density=recorded.get("density", BoxRule.density),
                   coverage=recorded.get("coverage", BoxRule.coverage))
    names = list(points.columns)
    X = points[names].to_numpy(dtype=float)
    rows = []
    for d, dim in enumerate(DIMENSIONS):
        column = f"{dim}_{horizon}"
        matrix = _by_strategy(robust_runs, labels, "point", column)
        best = matrix >= matrix.max(axis=1, keepdims=True) - 1e-12
        for j, label in enumerate(labels):
            holds = best[:, j]
            row = {"dimension": dim, "horizon": horizon, "strategy": label, "best_points": int(holds.sum()),
                   "points": len(holds)}
            if 0 < holds.sum() < len(holds):
                found = discover(X, holds, names, rule, np.random.SeedSequence([settings["seed"], d, j]))
                row.update(found.summary())
            else:
                row.update({"box_status": "none",
                            "holds_when": "everywhere sampled" if holds.all() else "nowhere sampled"})
            rows.append(row)
    return pd.DataFrame(rows)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _change(a: float, b: float) -> float | None:
    """Relative change of a over b; None when b is zero."""
    if abs(b) < 1e-12:
        return None if abs(a) >= 1e-12 else 0.0
    return (a - b) / abs(b)


def _cost_clause(cost_w: float, cost_l: float, significant: bool) -> str:
    change = _change(cost_w, cost_l)
    note = "" if significant else " (cost difference not significant)"
    if change is None:
        return "but costs public money where the other costs none" + note
    if abs(change) < 0.005:
        return "at about the same public cost" + note
    if change > 0:
        return f"but costs {100 * change:.0f}% more public money over the run" + note
    return f"and costs {100 * -change:.0f}% less public money over the run" + note


def _hours_clause(hours_w: float, hours_l: float) -> str:
    change = _change(hours_w, hours_l)
    if change is None:
        return "it asks citizen hours where the other asks none"
    if abs(change) < 0.005:
        return "it asks about the same citizen hours"
    return f"it asks {100 * abs(change):.0f}% {'more' if change > 0 else 'fewer'} citizen hours"


def _difference_interval(low: float, high: float, span: float) -> str:
    """A difference's interval, cut back to what a difference on the scale can be (-span to +span)."""
    cut = low < -span or high > span
    low, high = max(low, -span), min(high, span)
    return f"[{low:+.3f}, {high:+.3f}]" + (f" (cut to the ±{span:g} a difference can reach)" if cut else "")


def tradeoff_sentences(c: Comparison) -> list[str]:
    """Plain-word trade-offs for every pair of strategies, from the paired differences."""
    horizon = c.settings["horizon"]
    names = strategy_names(c.strategies)
    span = 2.0 if horizon == "impact" else 1.0  # a dimension lies in [0, 1] (impact in [-1, 1])
    sentences = []
    for (a_label, b_label), group in c.pairwise.groupby(["a", "b"], sort=False):
        a, b = names[a_label], names[b_label]
        by_metric = group.set_index("metric")
        cost = by_metric.loc["total_public_cost"]
        hours = by_metric.loc["total_citizen_hours"]
        for dim in DIMENSIONS:
            row = by_metric.loc[f"{dim}_{horizon}"]
            name = dimension_name(dim).lower()
            if not row.meaningful:
                shown = (f"equivalence within ±{row.sesoi:.3g} is shown (TOST p = {row.p_equivalent:.2g})"
                         if row.category == "negligible" else
                         f"equivalence within ±{row.sesoi:.3g} is not yet shown (TOST p = {row.p_equivalent:.2g}; "
                         "more replications would tell)")
                sentences.append(
                    f"{a} and {b}: no meaningful difference on {name} ({horizon} horizon): the difference {a} − {b} "
                    f"{row.mean_diff:+.3f} is smaller than the smallest effect size of interest ({row.sesoi:.3g}); "
                    f"{shown}.")
                continue
            if not row.significant:
                sentences.append(
                    f"{a} and {b} do not differ significantly on {name} ({horizon} horizon): {a} is higher in "
                    f"{_pct(row.share_a_higher)} of runs, {b} in {_pct(row.share_b_higher)}, tied in "
                    f"{_pct(row.share_tied)} (difference {a} − {b} {row.mean_diff:+.3f}, 95% CI "
                    f"{_difference_interval(row.ci_low, row.ci_high, span)}; paired t-test p = {row.t_p:.2g}, "
                    f"sign test p = {row.sign_p:.2g}).")
                continue
            flip = row.mean_diff < 0
            winner, loser = (b, a) if flip else (a, b)
            sign = -1.0 if flip else 1.0
            share = row.share_b_higher if flip else row.share_a_higher
            diff, low, high = sign * row.mean_diff, *sorted((sign * row.ci_low, sign * row.ci_high))
            cost_w, cost_l = (cost.mean_b, cost.mean_a) if flip else (cost.mean_a, cost.mean_b)
            hours_w, hours_l = (hours.mean_b, hours.mean_a) if flip else (hours.mean_a, hours.mean_b)
            sentences.append(
                f"{winner} beats {loser} on {name} ({horizon} horizon) in {_pct(share)} of runs "
                f"(difference {diff:+.3f}, 95% CI {_difference_interval(low, high, span)}; "
                f"paired t-test p = {row.t_p:.2g}, sign test p = {row.sign_p:.2g}) "
                f"{_cost_clause(cost_w, cost_l, bool(cost.significant))}; {_hours_clause(hours_w, hours_l)}.")
    return sentences


# --- command line --------------------------------------------------------------------------------

def default_out() -> Path:
    return Path("results") / f"compare-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def build_strategies(names: list[str], set_items: list[str] | None, citizens: int | None) -> list[Strategy]:
    extra = parse_set(set_items)
    if citizens is not None:
        extra.update(parse_set([f"n_citizens={citizens}"], where="--citizens"))
    strategies, seen = [], {}
    for name in names:
        scenario = load_scenario(name)
        overrides = {**scenario.parameters, **extra}
        label = scenario.name
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label}#{seen[label]}"
        try:
            resolved = resolve_parameters(overrides, where=str(scenario.path))
        except ValueError as err:
            raise InputError(str(err)) from None
        if resolved["n_groups"] > resolved["n_citizens"]:
            raise InputError(f"{scenario.path}: n_groups ({resolved['n_groups']}) is more than n_citizens "
                             f"({resolved['n_citizens']}); allowed: at most n_citizens")
        strategies.append(Strategy(label=label, scenario=scenario, overrides=overrides, resolved=resolved))
    refuse_setting_the_difference(strategies, parse_set(set_items))
    return strategies


def refuse_setting_the_difference(strategies: list[Strategy], extra: dict) -> None:
    """A --set of what the strategies differ in (e.g. paradigm) would compare a strategy with itself."""
    own = [resolve_parameters(s.scenario.parameters) for s in strategies]
    for key in extra:
        values = {repr(values[key]) for values in own}
        if len(values) > 1:
            raise InputError(f"--set: key {key!r} is what the strategies differ in ({', '.join(sorted(values))}); "
                             "allowed: a parameter they share (or compare scenarios that differ in it)")


def uncertain_union(strategies: list[Strategy], fixed: set[str]) -> dict[str, tuple[float, float]]:
    """Union of the scenarios' [uncertain] tables; a parameter in several takes the widest range.

    Parameters fixed on the command line (--set, --citizens) are not varied.
    """
    ranges: dict[str, tuple[float, float]] = {}
    for s in strategies:
        for name, (low, high) in s.scenario.uncertain.items():
            if name in fixed:
                continue
            if name in ranges:
                low, high = min(low, ranges[name][0]), max(high, ranges[name][1])
            ranges[name] = (low, high)
    return ranges


def strategy_choices(s: Strategy) -> set[str]:
    """Parameters a strategy fixes itself: its scenario's [parameters] and its paradigm's rule set."""
    return set(s.scenario.parameters) | set(paradigm_values(s.resolved["paradigm"]))


def applied_uncertain(s: Strategy, names) -> list[str]:
    """The sampled parameters that vary for this strategy.

    A parameter the strategy fixes itself (its scenario or paradigm sets it) is a choice, not an
    uncertainty, and keeps its value, unless the strategy's own [uncertain] table lists it.
    """
    own = strategy_choices(s)
    return [name for name in names if name in s.scenario.uncertain or name not in own]


def cmd_compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise InputError(f"compare: got {len(args.scenarios)} scenario; allowed: two or more scenarios")
    for option, value, least in (("--replications", args.replications, 2), ("--steps", args.steps, 1),
                                 ("--samples", args.samples, 2)):
        check_at_least(value, option, least)
    check_work(args.citizens or PARAMETERS["n_citizens"].default, args.steps,
               len(args.scenarios) * args.replications, "compare")
    check_at_least(args.workers, "--workers")
    check_seed(args.seed)
    check_scheduler_address(args.scheduler)
    rule = check_rule(args.box_density, args.box_coverage)
    sesoi_table = load_sesoi(args.sesoi)
    out = Path(args.out) if args.out is not None else default_out()
    session = Session.for_command("compare", args, out, layout=RESERVED)
    session.check_folders()

    strategies = build_strategies(args.scenarios, args.set, args.citizens)
    fixed = set(parse_set(args.set)) | ({"n_citizens"} if args.citizens is not None else set())
    # One seed convention (runner.run_seed): unit 0 is the replication design, unit 1 + i robust point i.
    seeds = [run_seed(args.seed, 0, r) for r in range(args.replications)]
    settings = {"replications": args.replications, "steps": args.steps, "seed": args.seed, "seeds": seeds,
                "engine": args.engine, "horizon": args.horizon, "robust": bool(args.robust),
                "samples": args.samples if args.robust else None, "alpha": ALPHA,
                "sesoi_file": args.sesoi, "sesoi": to_manifest(sesoi_table, metric_names()),
                "set": list(args.set or []), "citizens": args.citizens, "command": command_line(args),
                "box_rule": {"density": rule.density, "coverage": rule.coverage, "significance": rule.significance,
                             "resamples": rule.resamples, "resample_share": rule.resample_share,
                             "stable_share": rule.stable_share} if args.robust else None}

    tasks = [(("rep", s.label, r), s.overrides, args.steps, seed, args.engine)
             for r, seed in enumerate(seeds) for s in strategies]
    points = None
    if args.robust:
        robust, points = robust_tasks(strategies, fixed, args, settings)
        tasks += robust

    draws = None
    if args.posterior is not None:
        draws = posterior_tasks(args, strategies, fixed, settings, tasks)
    for task in tasks:  # every run's parameters, before any run
        check_parameters(task[1], f"compare: strategy {task[0][1]}")
    workers = args.workers or 1
    progress = not args.quiet and sys.stderr.isatty()

    with session.reserved():  # a second coprod aiming here is refused now, not after its runs
        frames = run_tasks(tasks, workers, progress, args.scheduler)
        rep_frames = {k: v for k, v in frames.items() if k[0] == "rep"}
        robust_frames = {k: v for k, v in frames.items() if k[0] == "robust"} if args.robust else None
        posterior_frames = {k: v for k, v in frames.items() if k[0] == "posterior"} if draws is not None else None
        comparison = analyse(strategies, settings, rep_frames, robust_frames, points, posterior_frames, draws)
        write_comparison(out, comparison, manifest(comparison))
    if not args.quiet:
        print(text_summary(comparison))
        print(f"report in {out / 'report.html'}")
    return 0


def posterior_tasks(args: argparse.Namespace, strategies: list[Strategy], fixed: set[str], settings: dict,
                    tasks: list) -> pd.DataFrame:
    """``--posterior DIR``: check the calibration (of one of the compared scenarios, or with one of them
    among its ``--scenarios``), draw ``--samples``
    particles, record them in ``settings`` and add every strategy's run at every draw to ``tasks``.
    Draw k pairs one particle with one seed, the same for every strategy (common random numbers), so
    the spread over draws holds parameter and stochastic uncertainty together."""
    posterior = load_posterior(args.posterior)
    compared = sorted({s.scenario.name for s in strategies})
    if not set(posterior.scenarios) & set(compared):  # a joint calibration (--scenarios) needs one in common
        calibrated = ", ".join(repr(name) for name in posterior.scenarios)
        raise InputError(f"--posterior {args.posterior}: a calibration of scenario {calibrated}; allowed: a "
                         f"calibration of one of the compared scenarios ({', '.join(compared)})")
    draws, applied = posterior_draws(posterior, strategies, args.samples, args.seed, fixed)
    if draws.columns.empty:
        raise InputError(f"--posterior {args.posterior}: every calibrated parameter ({', '.join(posterior.names)}) is "
                         "fixed by --set/--citizens; allowed: leave at least one free")
    seeds = [run_seed(args.seed, POSTERIOR_UNIT, k) for k in range(len(draws))]
    settings["posterior"] = {"folder": str(posterior.folder), "sha256": posterior.digest,
                             "scenario": ", ".join(posterior.scenarios), "parameters": list(draws.columns),
                             "applied": applied,
                             "draws": len(draws), "seeds": seeds}
    for k, seed in enumerate(seeds):
        for s in strategies:
            drawn = {name: draws[name].iloc[k].item() for name in applied[s.label]}
            tasks.append((("posterior", s.label, k), {**s.overrides, **drawn}, args.steps, seed, args.engine))
    return draws


def robust_tasks(strategies: list[Strategy], fixed: set[str], args: argparse.Namespace,
                 settings: dict) -> tuple[list[tuple], pd.DataFrame]:
    """``--robust``: every strategy at the same Latin-hypercube points over the union of the
    scenarios' [uncertain] ranges (point i seeded ``run_seed(--seed, 1 + i, 0)``), with the ranges,
    seeds and applied parameters recorded in ``settings``; returns the tasks and the points."""
    ranges = uncertain_union(strategies, fixed)
    if not ranges:
        raise InputError("--robust: none of the scenarios has an [uncertain] table (outside --set); "
                         "allowed: scenarios with [uncertain] ranges")
    # Sorted names: the points do not depend on the order the scenarios list their ranges in.
    points = latin_hypercube(dict(sorted(ranges.items())), args.samples, args.seed)
    settings["uncertain"] = {k: list(v) for k, v in ranges.items()}
    settings["robust_seeds"] = [run_seed(args.seed, 1 + i, 0) for i in range(len(points))]
    settings["uncertain_applied"] = {s.label: applied_uncertain(s, ranges) for s in strategies}
    tasks = []
    for i in range(len(points)):
        point = {name: (int(v) if PARAMETERS[name].kind == "int" else float(v))
                 for name, v in points.iloc[i].items()}
        for s in strategies:
            varied = {name: point[name] for name in settings["uncertain_applied"][s.label]}
            tasks.append((("robust", s.label, i), {**s.overrides, **varied}, args.steps, settings["robust_seeds"][i],
                          args.engine))
    for s in strategies:  # check every combination before running
        try:
            resolve_parameters({**s.overrides, **{k: points.iloc[0][k].item() for k in points.columns}})
        except ValueError as err:
            raise InputError(str(err)) from None
    return tasks, points


def manifest(c: Comparison) -> dict:
    return {
        "kind": "compare",
        "strategies": [{"label": s.label, "scenario": s.scenario.name, "scenario_path": str(s.scenario.path),
                        "description": s.scenario.description, "overrides": s.overrides,
                        "uncertain": {k: list(v) for k, v in s.scenario.uncertain.items()},
                        "resolved_parameters": s.resolved} for s in c.strategies],
        "settings": c.settings,
        "common_random_numbers": "replication r of every strategy uses run_seed(--seed, 0, r); robust point i uses "
                                 "run_seed(--seed, 1 + i, 0); posterior draw k uses "
                                 f"run_seed(--seed, {POSTERIOR_UNIT}, k) "
                                 "and its particle comes from SeedSequence(--seed, spawn_key=(" f"{POSTERIOR_UNIT},)); "
                                 + SEED_CONVENTION,
        "tests": "paired t-test (significance at alpha 0.05, two-sided) and exact sign test on per-replication "
                 "differences; each difference against the metric's SESOI (settings.sesoi): not larger is 'no "
                 "meaningful difference', and TOST (two one-sided t-tests at 0.05) tells whether equivalence is shown",
        "versions": versions(),
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": c.settings.get("command", ""),
    }


def command_line(args: argparse.Namespace) -> str:
    """The command that repeats this comparison (also when called as ``main([...])``)."""
    words = ["coprod", "compare", *args.scenarios, "--replications", str(args.replications), "--steps", str(args.steps),
             "--seed", str(args.seed), "--engine", args.engine, "--horizon", args.horizon]
    if args.citizens is not None:
        words += ["--citizens", str(args.citizens)]
    for item in args.set or []:
        words += ["--set", item]
    if args.sesoi:
        words += ["--sesoi", args.sesoi]
    if args.posterior:
        words += ["--posterior", args.posterior, "--samples", str(args.samples)]
    if args.robust:
        words += ["--robust", "--samples", str(args.samples), "--box-density", f"{args.box_density:g}",
                  "--box-coverage", f"{args.box_coverage:g}"]
    return shlex.join(words)


def text_summary(c: Comparison) -> str:
    horizon = c.settings["horizon"]
    labels = [s.label for s in c.strategies]
    width = max(12, *(len(x) for x in labels)) + 2
    lines = [f"{'dimension (' + horizon + ')':<30}" + "".join(f"{x:>{width}}" for x in labels)]
    for dim in DIMENSIONS:
        cells = []
        for label in labels:
            row = c.wins[(c.wins.dimension == dim) & (c.wins.strategy == label)].iloc[0]
            cells.append(f"{row['mean']:.3f} ({_pct(row.win_share)})")
        lines.append(f"{dim.replace('_', ' '):<30}" + "".join(f"{x:>{width}}" for x in cells))
    lines.append("(mean, and in brackets the share of replications where the strategy is best alone)")
    return "\n".join(lines)


def register(p: argparse.ArgumentParser) -> None:
    p.description = ("Run every scenario as a strategy over the same seeds and write a comparison report "
                     "(tables, plots, HTML and Markdown) to results/compare-<timestamp>/.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="bundled scenario names or .toml paths (two or more)")
    p.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS,
                   help=f"replications (seeds) per strategy (default {DEFAULT_REPLICATIONS})")
    p.add_argument("--citizens", type=int, help="number of citizens (n_citizens) for every strategy")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"months to simulate (default {DEFAULT_STEPS})")
    p.add_argument("--seed", type=int, default=0,
                   help="seed; replication r of every strategy uses run_seed(seed, 0, r) (default 0)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter in every strategy (repeatable)")
    p.add_argument("--horizon", choices=HORIZON_NAMES, default="long",
                   help="horizon used for ranking, wins, trade-offs and regret (default long)")
    p.add_argument("--robust", action="store_true", help="also run across the scenarios' [uncertain] ranges")
    p.add_argument("--samples", type=int, default=DEFAULT_SAMPLES,
                   help="Latin-hypercube points for --robust, posterior draws for --posterior "
                        f"(default {DEFAULT_SAMPLES})")
    p.add_argument("--box-density", type=float, default=BoxRule.density,
                   help="--robust, where a strategy is best: the least share of a PRIM box's points where it is "
                        "best (default %(default)s)")
    p.add_argument("--box-coverage", type=float, default=BoxRule.coverage,
                   help="--robust: the least share of the points where it is best that the box must hold "
                        "(default %(default)s)")
    p.add_argument("--posterior", metavar="DIR",
                   help="also compare under --samples draws from this `coprod calibrate` posterior (of one of the "
                        "compared scenarios): the probability each strategy is best per dimension, expected regret")
    p.add_argument("--sesoi", metavar="FILE",
                   help="a TOML file of smallest effect sizes of interest, outcome = value, overriding the table in "
                        "analysis/effect_sizes.py; differences smaller are reported as no meaningful difference")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="parallel worker processes (default 1: in this process)")
    where.add_argument("--scheduler", help="address of a dask scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--engine", choices=ENGINES, default="auto", help="citizen engine (default auto)")
    p.add_argument("--out", help="result directory (default results/compare-<timestamp>); must be new or empty")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_compare)
