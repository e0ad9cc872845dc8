"""``coprod claims``: test the literature's claims across parameter space, and say where they hold.

Claims are data (``experiments/claims.toml``): a base scenario, two arms that differ in a lever,
an outcome and the expected direction, and the uncertain ranges to sample. For each claim a Latin
hypercube of points is drawn; at every point both arms run with the same seed per replication
(common random numbers); the effect is (treatment - control), signed so that positive means "as
claimed". Each point's effect is read against the outcome's smallest effect size of interest
(SESOI, ``analysis/effect_sizes.py``) over the replications: the claim *holds* there, is
*reversed*, *negligible* (equivalent to no effect, TOST) or *unclear* (``statistics.effect_category``).
The battery reports the share of parameter space in each category (the share where it holds with
a Wilson 95% interval), the verdict from them, the distribution of effects, which parameters decide it
(standardized rank regression coefficients for a Latin hypercube, Sobol first-order and total
indices for a Saltelli sample), the box where it holds (PRIM, with quasi-p-values, resampling
stability and a CART tree beside it; see ``prim``) and a verdict. Each claim's
documented failing setting (``fails_when``) is run in the same battery, so the report shows that
the claim can fail rather than asserting it.

While it runs, finished pairs go to ``<out>.partial/results/chunk-*.parquet``, each written
atomically; the report directory ``<out>`` appears whole at the end. A killed battery keeps every
finished chunk, and ``--resume`` runs only the missing pairs, giving tables identical to an
uninterrupted battery.
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod.analysis.designs.latin import analyze_latin
from coprod.analysis.designs.sobol import analyze_sobol
from coprod.analysis.effect_sizes import DEFAULT_SESOI, Sesoi, from_manifest, read_overrides, to_manifest
from coprod.analysis.prim import BoxRule, Discovery, box_rule, check_rule, discover
from coprod.analysis.statistics import CATEGORIES, effect_category, wilson
from coprod.analysis.verdicts import failure_kind, verdict
from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.core.storage import atomic_directory, write_bytes, write_json, write_tables
from coprod.experiments.checks import check_at_least, check_parameters, check_scheduler_address, check_seed, check_work
from coprod.experiments.evaluation import evaluate_pair
from coprod.experiments.posterior import claim_points, load_posterior, under_posterior
from coprod.experiments.provenance import git_commit, git_dirty, versions
from coprod.experiments.runner import (
    CHUNK_DIR,
    SEED_CONVENTION,
    ChunkFolder,
    Interrupted,
    StorageFailed,
    Task,
    open_executor,
    run_seed,
    run_tasks,
)
from coprod.experiments.scenarios import check_entry_keys, check_uncertain, check_values, load_scenario, read_toml
from coprod.experiments.session import STAGED, Session
from coprod.experiments.sweep import generate_samples, latin_hypercube, model_problem
from coprod.model.outcomes import reporter_names
from coprod.reports.claims_report import effect_plot, markdown_report, settings
from coprod.reports.render import to_html

CLAIMS_FILE = Path(__file__).resolve().with_name("claims.toml")
REQUIRED = ("name", "title", "source", "scenario", "operationalisation", "treatment", "control", "outcome",
            "expect", "uncertain")
OPTIONAL = ("fails_when", "fails_why", "cannot_fail")
EXPECT = {"higher": 1.0, "lower": -1.0}
# Verdict thresholds on the share of sampled parameter space where the claim holds.
# The default size runs the whole battery in about 5 minutes on 2 cores (see README). 24 points x 4
# replications, the same number of runs (and wall time) as the 48 x 2 used before 2026-12-02: at 2
# replications most points were "unclear", too few to tell a small effect from none (docs/findings.md).
DEFAULTS = {"samples": 24, "replications": 4, "citizens": 300, "steps": 60, "method": "latin"}
CLAIM_METHODS = ("latin", "sobol")
# The point index of the documented failing setting in the runs table (never a sample index).
FAILS_WHEN_POINT = 2**31 - 1
RUN_KEY = ("claim", "kind", "point", "replication")
RUN_COLUMNS = (*RUN_KEY, "seed", "parameters", "treatment", "control", "effect")
# Manifest fields a resumed battery must share with the one it finishes.
PLAN_FIELDS = ("claims_sha256", "claims", "samples", "replications", "citizens", "steps", "seed", "engine", "method",
               "seeds", "posterior")
# A chunk of finished pairs is written after this many pairs or seconds, whichever comes first.
CHUNK_PAIRS, CHUNK_SECONDS = 32, 10.0
# The spawn key of a claim's scenario-discovery stream (resamples, CART folds), beside its sampling seed.
BOX_STREAM = 1


@dataclass(frozen=True)
class Claim:
    name: str
    title: str
    source: str
    scenario: str
    operationalisation: str
    treatment: dict[str, Any]
    control: dict[str, Any]
    outcome: str
    expect: str
    uncertain: dict[str, tuple[float, float]]
    fails_when: dict[str, Any] = field(default_factory=dict)
    fails_why: str = ""
    cannot_fail: str = ""
    # --posterior: this claim's twin draws the calibrated parameters from a posterior (posterior.py).
    posterior: Any = field(default=None, compare=False, repr=False)

    def swapped(self) -> Claim:
        """The same comparison with the arms exchanged (a check: its verdict must flip). It keeps
        the name, so it samples the same points with the same seeds."""
        return Claim(**{**self.__dict__, "title": f"{self.title} (arms swapped)", "treatment": self.control,
                        "control": self.treatment})

    def base_parameters(self) -> dict[str, Any]:
        return dict(load_scenario(self.scenario).parameters)


def load_claims(path: Path | str = CLAIMS_FILE) -> list[Claim]:
    """Read and check the claims file; one-line ``InputError`` naming file, claim and key."""
    path = Path(path)
    where = str(path)

    data = read_toml(path, what="claims file")
    entries = data.get("claim")
    if set(data) != {"claim"} or not isinstance(entries, list) or not entries:
        raise InputError(f"{where}: expected one or more [[claim]] tables and nothing else")
    claims, seen = [], set()
    outcomes = set(reporter_names())
    for k, entry in enumerate(entries):
        name = entry.get("name", f"#{k + 1}")
        at = f"{where}: claim {name!r}"
        check_entry_keys(entry, REQUIRED, OPTIONAL, at)
        if name in seen:
            raise InputError(f"{at}: key 'name': the name is used twice")
        seen.add(name)
        if entry["outcome"] not in outcomes:
            raise InputError(f"{at}: key 'outcome': got {entry['outcome']!r}; "
                             "allowed: an outcome of `coprod params`/reporter_names()")
        if entry["expect"] not in EXPECT:
            raise InputError(f"{at}: key 'expect': got {entry['expect']!r}; allowed: 'higher' or 'lower'")
        if ("fails_when" in entry) == ("cannot_fail" in entry):
            raise InputError(f"{at}: give exactly one of 'fails_when' (with 'fails_why') or 'cannot_fail'")
        try:
            load_scenario(entry["scenario"])
        except InputError as err:
            raise InputError(f"{at}: key 'scenario': {err}") from None
        treatment = check_values(_table(entry, "treatment", at), f"{at}, key 'treatment'")
        control = check_values(_table(entry, "control", at), f"{at}, key 'control'")
        uncertain = check_uncertain(_table(entry, "uncertain", at), at)
        fails_when = check_values(_table(entry, "fails_when", at),
                                  f"{at}, key 'fails_when'") if "fails_when" in entry else {}
        claims.append(Claim(name=name, title=entry["title"], source=entry["source"], scenario=entry["scenario"],
                            operationalisation=entry["operationalisation"], treatment=treatment, control=control,
                            outcome=entry["outcome"], expect=entry["expect"], uncertain=uncertain,
                            fails_when=fails_when, fails_why=entry.get("fails_why", ""),
                            cannot_fail=entry.get("cannot_fail", "")))
    return claims


def _table(entry: dict, key: str, at: str) -> dict:
    value = entry.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{at}: key {key!r}: got {value!r}; allowed: a table of parameter = value")
    return value


# --- running ------------------------------------------------------------------------------------

def arm_values(claim: Claim, base: dict[str, Any], point: dict[str, Any], citizens: int) -> tuple[dict, dict]:
    """The two arms' parameters at one sample point (the lever always wins over the sample)."""
    common = {**base, **point, "n_citizens": citizens}
    return {**common, **claim.treatment}, {**common, **claim.control}


def claim_seed(claim: Claim, seed: int) -> int:
    """The sampling seed of one claim: depends on the battery seed and the claim's name only."""
    stream = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(claim.name.encode()),))
    return int(stream.generate_state(1)[0])


def sample_points(claim: Claim, samples: int, seed: int, method: str = "latin") -> pd.DataFrame:
    """The claim's sample of its uncertain ranges (integers rounded), seeded per claim.

    ``latin``: ``samples`` Latin-hypercube points. ``sobol``: a Saltelli sample with ``samples``
    base points (a power of 2), ``samples * (d + 2)`` points in all, for first-order and total
    Sobol indices of the effect."""
    names = list(claim.uncertain)
    if method not in CLAIM_METHODS:
        raise InputError(f"--method: got {method!r}; allowed: {', '.join(CLAIM_METHODS)}")
    if claim.posterior is not None:  # --posterior
        return claim_points(claim, samples, claim_seed(claim, seed))
    if not names:
        return pd.DataFrame(index=range(samples))
    if method == "latin":
        return latin_hypercube(claim.uncertain, samples, np.random.default_rng(claim_seed(claim, seed)))
    problem = model_problem(claim.uncertain, f"claim {claim.name!r}: key 'uncertain'")
    X = generate_samples(problem, "sobol", samples, claim_seed(claim, seed), {"calc_second_order": False})
    table = pd.DataFrame(X, columns=names)
    for name in names:
        if PARAMETERS[name].kind == "int":
            table[name] = table[name].round().astype(int)
    return table


def claim_tasks(claims: list[Claim], *, samples: int, replications: int, citizens: int, steps: int, seed: int,
                engine: str = "auto", method: str = "latin") -> list:
    """Every (claim, kind, point, replication) as a runner ``Task``; both arms of a pair share its seed.

    The seed unit is the sample point (latin) or the Saltelli base block of d + 2 points (sobol),
    so all points of one block meet the same randomness; the documented failing setting is its
    own unit, ``FAILS_WHEN_POINT``."""
    tasks = []
    for claim in claims:
        base = claim.base_parameters()
        points = sample_points(claim, samples, seed, method)
        per_block = len(claim.uncertain) + 2 if method == "sobol" else 1
        for i, point in enumerate(points.to_dict("records")):
            treatment, control = arm_values(claim, base, point, citizens)
            for r in range(replications):
                tasks.append(Task((claim.name, "sample", i, r), (treatment, control, claim.outcome, steps, engine),
                                  run_seed(seed, i // per_block, r), f"claim={claim.name} point={i} replication={r}"))
        if claim.fails_when:
            treatment, control = arm_values(claim, base, claim.fails_when, citizens)
            for r in range(replications):
                tasks.append(Task((claim.name, "fails_when", FAILS_WHEN_POINT, r),
                                  (treatment, control, claim.outcome, steps, engine),
                                  run_seed(seed, FAILS_WHEN_POINT, r),
                                  f"claim={claim.name} fails_when replication={r}"))
    return tasks


class _FrameSink:
    """Rows of finished pairs, handed to ``sink`` (a callable taking a DataFrame) in chunks."""

    def __init__(self, claims: list[Claim], sink: Callable[[pd.DataFrame], None] | None, points: dict,
                 analyses: ClaimAnalyses | None = None):
        self.expect = {c.name: EXPECT[c.expect] for c in claims}
        self.points, self.sink, self.analyses = points, sink, analyses
        self.rows: list[dict] = []
        self.buffer: list[dict] = []
        self.saved = 0
        self.last = time.monotonic()

    def add(self, task, result, seconds) -> None:
        name, kind, i, r = task.key
        treated, controlled = result
        row = {"claim": name, "kind": kind, "point": i, "replication": r, "seed": task.seed,
               "parameters": settings(self.points[(name, kind, i)]), "treatment": treated, "control": controlled,
               "effect": self.expect[name] * (treated - controlled)}
        self.rows.append(row)
        self.buffer.append(row)
        if self.analyses is not None:
            self.analyses.add(row)

    def due(self) -> bool:
        return bool(self.buffer) and (len(self.buffer) >= CHUNK_PAIRS or time.monotonic() - self.last >= CHUNK_SECONDS)

    def flush(self) -> None:
        if self.sink is not None and self.buffer:
            try:
                self.sink(pd.DataFrame(self.buffer))
            except OSError as err:
                raise StorageFailed(f"cannot write a result chunk: {err.strerror or err}") from None
            self.saved += len(self.buffer)
        self.buffer, self.last = [], time.monotonic()


def run_claims(claims: list[Claim], *, samples: int, replications: int, citizens: int, steps: int, seed: int,
               engine: str = "auto", method: str = "latin", workers: int | None = None,
               scheduler: str | None = None, progress: bool = False, done: frozenset = frozenset(),
               sink: Callable[[pd.DataFrame], None] | None = None, executor=None, slots: int = 1,
               analyses: ClaimAnalyses | None = None) -> pd.DataFrame:
    """Every (claim, point, replication) not in ``done``: both arms, one row each with the signed effect.

    Rows of kind ``fails_when`` run each claim at its documented failing setting (uncertain
    parameters at the scenario's values), so the report can show the claim failing there.
    ``sink`` receives finished rows in chunks as they come (also when stopped, before the
    runner's exception propagates). Runs go through ``runner.run_tasks``: in this process for
    ``workers=1``, else on a pool or dask (or on ``executor`` when the caller opened one).
    ``analyses`` is told every pair there is and handed every finished row (``ClaimAnalyses``)."""
    tasks = claim_tasks(claims, samples=samples, replications=replications, citizens=citizens, steps=steps,
                        seed=seed, engine=engine, method=method)
    points = {}
    for claim in claims:
        for i, point in enumerate(sample_points(claim, samples, seed, method).to_dict("records")):
            points[(claim.name, "sample", i)] = point
        points[(claim.name, "fails_when", FAILS_WHEN_POINT)] = claim.fails_when
    total = len(tasks)
    if analyses is not None:
        analyses.expect(tasks)
    tasks = [task for task in tasks if task.key not in done]
    collector = _FrameSink(claims, sink, points, analyses)
    common = dict(total=total, progress=progress, desc="coprod claims", unit="pair")
    try:
        if executor is not None or not tasks:
            run_tasks(tasks, evaluate_pair, collector, executor=executor, slots=slots, scheduler=scheduler, **common)
        else:
            with open_executor(workers, scheduler) as (opened, n, _):
                run_tasks(tasks, evaluate_pair, collector, executor=opened, slots=n, scheduler=scheduler, **common)
    except Interrupted:
        raise Interrupted(total - len(tasks) + collector.saved, total) from None  # earlier sessions' pairs too
    if not collector.rows:
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    return pd.DataFrame(collector.rows).sort_values(["claim", "point", "replication"]).reset_index(drop=True)


# --- analysis -----------------------------------------------------------------------------------

def point_categories(runs: pd.DataFrame, sesoi: Sesoi) -> pd.DataFrame:
    """Per point of ``runs`` (one claim's pairs): mean effect, its standard error, the SESOI there (a
    relative SESOI scales with the mean magnitude of the two arms at that point) and the category of
    the effect over the replications (``statistics.effect_category``), indexed by point."""
    rows = {}
    for point, pairs in runs.groupby("point", sort=True):
        scale = float((pairs["treatment"].abs().mean() + pairs["control"].abs().mean()) / 2)
        effects = pairs["effect"].to_numpy(dtype=np.float64)
        tested = effect_category(effects, sesoi.threshold(scale))
        rows[point] = {"effect_mean": float(effects.mean()),
                       "effect_se": float(pairs["effect"].sem()) if len(effects) > 1 else float("nan"),
                       **{k: tested[k] for k in ("sesoi", "category", "p_above", "p_below", "p_equivalent")}}
    columns = ["effect_mean", "effect_se", "sesoi", "category", "p_above", "p_below", "p_equivalent"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def claim_drivers(claim: Claim, X: np.ndarray, effects: np.ndarray, seed: int,
                  method: str) -> tuple[pd.DataFrame, str, str]:
    """The parameters driving a claim's effect over its points (total Sobol indices or SRRC; empty
    when there are no uncertain parameters, three points or fewer, or no spread in the effect), with
    the strongest as ``"name (index +0.00)"`` and its name."""
    names = list(claim.uncertain)
    drivers = pd.DataFrame()
    if names and len(effects) > 3 and np.ptp(effects) > 0:
        if method == "sobol":
            drivers = analyze_sobol(model_problem(claim.uncertain), {"effect": effects},
                                    {"calc_second_order": False}, claim_seed(claim, seed))["sobol_indices"]
        else:
            drivers = analyze_latin({"names": names}, X, {"effect": effects})["latin_indices"]
        drivers.insert(0, "claim", claim.name)
    top, top_parameter = "", ""
    index = "ST" if method == "sobol" else "SRRC"
    if not drivers.empty and drivers[index].notna().any():
        row = drivers.loc[drivers[index].abs().idxmax()]
        top_parameter = row["parameter"]
        top = f"{top_parameter} ({index} {row[index]:+.2f})"
    return drivers, top, top_parameter


def analyse_claim(claim: Claim, runs: pd.DataFrame, samples: int, seed: int, method: str = "latin",
                  rule: BoxRule = BoxRule(), sesoi_table: dict[str, Sesoi] = DEFAULT_SESOI,
                  ) -> tuple[dict, pd.DataFrame, pd.DataFrame, Discovery | None]:
    """Summary row, per-point table, parameter drivers and scenario discovery (None when the
    estimated effect exceeds the SESOI everywhere or nowhere sampled) of one claim."""
    mine = runs[(runs["claim"] == claim.name) & (runs["kind"] == "sample")]
    check = runs[(runs["claim"] == claim.name) & (runs["kind"] == "fails_when")]
    sesoi = sesoi_table[claim.outcome]
    points = sample_points(claim, samples, seed, method)
    per_point = points.copy()
    per_point.insert(0, "point", range(len(points)))
    tested = point_categories(mine, sesoi).reindex(per_point["point"])
    for column in ("effect_mean", "effect_se", "sesoi", "category", "p_above", "p_below", "p_equivalent"):
        per_point[column] = tested[column].to_numpy()
    # PRIM's label: the estimated effect beyond +SESOI (a point's confidence is its category; at one
    # replication no point has any, yet the estimate still says where the claim points).
    per_point["beyond_sesoi"] = per_point["effect_mean"] > per_point["sesoi"]
    per_point.insert(0, "claim", claim.name)
    n = len(per_point)
    counts = per_point["category"].value_counts()
    shares = {category: int(counts.get(category, 0)) / n if n else 0.0 for category in CATEGORIES}
    low, high = wilson(int(counts.get("holds", 0)), n)
    holds = int(per_point["beyond_sesoi"].sum())  # points where the estimate exceeds +SESOI (PRIM's label)
    failing = point_categories(check.assign(point=FAILS_WHEN_POINT), sesoi) if len(check) else None
    names = list(claim.uncertain)
    X = points[names].to_numpy(dtype=float) if names else np.zeros((n, 0))
    effects = per_point["effect_mean"].to_numpy()
    drivers, top, top_parameter = claim_drivers(claim, X, effects, seed, method)
    found = None
    if names and 0 < holds < n:
        found = discover(X, per_point["beyond_sesoi"].to_numpy(), names, rule,
                         np.random.SeedSequence([claim_seed(claim, seed), BOX_STREAM]))
    summary = {
        "claim": claim.name, "title": claim.title, "source": claim.source, "scenario": claim.scenario,
        "outcome": claim.outcome, "expect": claim.expect, "points": n,
        "replications": int(mine["replication"].nunique()),
        **{f"share_{category}": share for category, share in shares.items()}, "share_low": low, "share_high": high,
        "share_beyond_sesoi": holds / n if n else 0.0, "sesoi": sesoi.describe(), "sesoi_reason": sesoi.reason,
        "effect_mean": float(np.mean(effects)) if n else float("nan"),
        "effect_q05": float(np.quantile(effects, 0.05)) if n else float("nan"),
        "effect_median": float(np.median(effects)) if n else float("nan"),
        "effect_q95": float(np.quantile(effects, 0.95)) if n else float("nan"),
        "verdict": verdict(shares), "failure_kind": failure_kind(shares),
        **(found.summary() if found else no_box_fields("everywhere sampled" if holds == n else "nowhere sampled")),
        "decided_by": top, "decided_by_parameter": top_parameter,
        "fails_when_effect": float(check["effect"].mean()) if len(check) else float("nan"),
        "fails_when_seeds": int(len(check)),
        "fails_when_sesoi": float(failing["sesoi"].iloc[0]) if failing is not None else float("nan"),
        "fails_when_category": str(failing["category"].iloc[0]) if failing is not None else "",
        "fails_when_confirmed": (failing is not None and failing["category"].iloc[0] in ("reversed", "negligible")),
    }
    return summary, per_point, drivers, found


def no_box_fields(holds_when: str) -> dict:
    """The box columns of a claim that holds everywhere or nowhere: nothing to search."""
    fields = Discovery(rule=BoxRule(), names=[], n=0, holding=0, trajectory=pd.DataFrame(), box=None).summary()
    return {**fields, "box_status": "none", "holds_when": holds_when, "box_rule": "", "methods_agree": ""}


# --- the battery's folder (its report: reports/claims_report.py) ------------------------------

def analyse_and_draw(claim: Claim, runs: pd.DataFrame, samples: int, seed: int, method: str, rule: BoxRule,
                     sesoi_table: dict[str, Sesoi]) -> tuple[dict, pd.DataFrame, pd.DataFrame, Discovery | None, bytes]:
    """``analyse_claim`` and the claim's picture (``effect_plot``): one claim's share of the report."""
    summary, per_point, driver, found = analyse_claim(claim, runs, samples, seed, method, rule, sesoi_table)
    return summary, per_point, driver, found, effect_plot(claim, per_point, summary["decided_by_parameter"], found)


def claim_runs(rows: list[dict]) -> pd.DataFrame:
    """One claim's finished pairs as the table its analysis reads, sorted by point and replication
    (their order in the battery's runs table), whichever session and process ran them and in
    whatever order they finished."""
    table = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
    return table.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)


def claim_job(claim: Claim, runs: pd.DataFrame, manifest: dict) -> tuple:
    """``analyse_and_draw``'s arguments for one claim's rows (``claim_runs``) of a battery."""
    return (claim, runs, manifest["samples"], manifest["seed"], manifest["method"], box_rule(manifest, claim.name),
            from_manifest(manifest.get("sesoi")))


class ClaimAnalyses:
    """Each claim's share of the report (``analyse_and_draw``), begun as soon as its last pair is in.

    With workers running the pairs (``overlap``), a claim is analysed in a thread of this process
    while the workers run the later claims' pairs: this process only waits for results then, has
    the analysis modules loaded already, and after the last pair only the last claim is left to
    analyse (analysed after the runs, the claims took a fifth of a battery on one worker). Alone
    (``--workers 1``: the runs hold this process) the claims are analysed after the runs, in order.
    Either way a claim is analysed from its own rows (``claim_runs``): the same numbers and
    pictures whatever ran the pairs, and a resumed battery's are those of an uninterrupted one."""

    def __init__(self, claims: list[Claim], manifest: dict, overlap: bool, earlier: list[dict] | None = None):
        self.claims, self.manifest = claims, manifest
        self.earlier = list(earlier or [])  # rows of earlier sessions (a resumed battery), read from their chunks
        self.rows: dict[str, list[dict]] = {claim.name: [] for claim in claims}
        self.left: Counter[str] = Counter()
        self.started: dict[str, Future] = {}
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="coprod-claims-analysis") if overlap else None

    def expect(self, tasks: list[Task]) -> None:
        """Every pair of the battery (done in an earlier session or not), before any row comes; the
        earlier sessions' rows are added now."""
        self.left.update(task.key[0] for task in tasks)
        earlier, self.earlier = self.earlier, []
        for row in earlier:
            self.add(row)

    def add(self, row: dict) -> None:
        """A finished pair (this session's, or an earlier one's read back from its chunk)."""
        name = row["claim"]
        self.rows[name].append(row)
        self.left[name] -= 1
        if self.left[name] == 0 and self.thread is not None:
            self.started[name] = self.thread.submit(self._analyse, name)

    def _analyse(self, name: str) -> tuple:
        claim = next(claim for claim in self.claims if claim.name == name)
        return analyse_and_draw(*claim_job(claim, claim_runs(self.rows[name]), self.manifest))

    def results(self) -> list[tuple]:
        """Every claim's ``analyse_and_draw``, in the claims' order (waiting for those begun)."""
        missing = [name for name, left in self.left.items() if left]
        if missing:  # a pair never came back: the runner raises before this, so this is a bug
            raise RuntimeError(f"claims analysed before all their pairs were in: {', '.join(missing)}")
        return [self.started[claim.name].result() if claim.name in self.started else self._analyse(claim.name)
                for claim in self.claims]

    def close(self) -> None:
        """Drop the analyses not begun (after a stop) and wait for the one under way."""
        if self.thread is not None:
            self.thread.shutdown(wait=True, cancel_futures=True)


def write_battery(out: Path, claims: list[Claim], runs: pd.DataFrame, manifest: dict,
                  analysed: list[tuple] | None = None) -> pd.DataFrame:
    """The battery's folder, whole or not at all: tables, pictures, report. ``analysed`` holds each
    claim's ``analyse_and_draw`` (``ClaimAnalyses``); without it the claims are analysed here."""
    if analysed is None:
        analysed = [analyse_and_draw(*claim_job(claim, claim_runs(runs[runs["claim"] == claim.name].to_dict("records")),
                                                manifest)) for claim in claims]
    summaries, points, drivers, trajectories, images = [], [], [], [], {}
    for claim, (summary, per_point, driver, found, image) in zip(claims, analysed):
        summaries.append(summary)
        points.append(per_point)
        drivers.append(driver)
        if found is not None:
            trajectories.append(found.trajectory.assign(claim=claim.name)[["claim", *found.trajectory.columns]])
        images[claim.name] = image
    summary = pd.DataFrame(summaries)
    report = markdown_report(claims, summary, manifest)
    with atomic_directory(out) as tmp:
        write_json(tmp / "manifest.json", manifest)
        tables = {"runs": runs, "points": pd.concat(points, ignore_index=True), "summary": summary,
                  "drivers": pd.concat(drivers, ignore_index=True),
                  "prim_trajectory": (pd.concat(trajectories, ignore_index=True) if trajectories else
                                      pd.DataFrame(columns=["claim", "step", "coverage", "density", "support",
                                                            "points", "restricted"]))}
        write_tables(tmp, tables)
        for name, png in images.items():
            write_bytes(tmp / f"{name}.png", png)
        write_bytes(tmp / "report.md", report.encode())
        write_bytes(tmp / "report.html", to_html(report, {f"{name}.png": png for name, png in images.items()}).encode())
    return summary


def check_arms(claims: list[Claim], samples: int, seed: int, method: str, citizens: int) -> None:
    """Every arm at every point is a combination the model runs as given (checked before any work)."""
    for claim in claims:
        base = claim.base_parameters()
        points = sample_points(claim, samples, seed, method).to_dict("records")
        where = f"claim {claim.name!r}"
        for point in points + ([claim.fails_when] if claim.fails_when else []):
            for arm in arm_values(claim, base, point, citizens):
                check_parameters(arm, where)


def cmd_claims(args: argparse.Namespace) -> int:
    claims_path = Path(args.claims_file) if args.claims_file else CLAIMS_FILE
    claims, posterior = chosen_claims(args, claims_path)
    rule, box_steps, sesoi_table = check_options(args, claims)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out) if args.out is not None else Path("results") / f"claims-{stamp}"
    session = Session.for_command("claims", args, out, layout=STAGED, unit="pairs", plan_fields=PLAN_FIELDS,
                                  holds=_holds_pairs)
    session.check_folders()
    if session.is_complete():
        return session.finish_complete("battery")
    session.refuse_occupied("battery")
    manifest = battery_manifest(args, claims_path, claims, posterior, rule, box_steps, sesoi_table, stamp)
    session.resumed(manifest)  # other settings are refused before a kernel compiles or a worker starts
    with open_executor(args.workers, args.scheduler, started=getattr(args, "pool", None)) as (executor, slots, _):
        with session.working(manifest) as manifest:
            runs, analysed = run_resumable(session.folder, claims, args, manifest, executor=executor, slots=slots)
            with session.writing_report():
                summary = write_battery(out, claims, runs, manifest, analysed)
    if not args.quiet:
        for row in summary.itertuples():
            print(f"{row.claim:<26} holds {row.share_holds:>4.0%} [{row.share_low:.0%}, {row.share_high:.0%}] "
                  f"reversed {row.share_reversed:>4.0%} negligible {row.share_negligible:>4.0%} "
                  f"unclear {row.share_unclear:>4.0%}  {row.verdict}")
        print(f"report in {out / 'report.html'}")
    return 0


def chosen_claims(args: argparse.Namespace, claims_path: Path) -> tuple[list[Claim], Any]:
    """The claims ``--claim`` picks from the claims file, with (``--posterior``) each one's twin
    under the calibrated posterior, and that posterior (None without it)."""
    claims = load_claims(claims_path)
    if args.claim:
        known = {c.name for c in claims}
        unknown = [name for name in args.claim if name not in known]
        if unknown:
            raise InputError(f"--claim: unknown {unknown[0]!r}; allowed: {', '.join(sorted(known))}")
        claims = [c for c in claims if c.name in args.claim]
    posterior = None
    if args.posterior is not None:  # each claim also runs under the calibrated posterior (posterior.py)
        if args.method != "latin":
            raise InputError(f"--posterior: got --method {args.method}; allowed: --method latin (posterior draws are "
                             "not a Saltelli design)")
        posterior = load_posterior(args.posterior)
        claims = claims + [under_posterior(claim, posterior) for claim in claims]
    return claims, posterior


def check_options(args: argparse.Namespace, claims: list[Claim]) -> tuple[BoxRule, dict[str, int], dict[str, Sesoi]]:
    """Every option, sample size and arm checked before anything is written; the box rule, the
    hand-picked box steps and the SESOI table (``--sesoi``)."""
    for option in ("samples", "replications", "citizens", "steps"):
        check_at_least(getattr(args, option), f"--{option}")
    if not PARAMETERS["n_citizens"].low <= args.citizens <= PARAMETERS["n_citizens"].high:
        raise InputError(f"--citizens: got {args.citizens}; allowed: {PARAMETERS['n_citizens'].allowed()}")
    check_seed(args.seed)
    check_at_least(args.workers, "--workers")
    check_work(args.citizens, args.steps, 2 * len(claims) * args.samples * args.replications, "claims")
    check_scheduler_address(args.scheduler)
    for claim in claims:  # sample sizes are checked before anything is written
        sample_points(claim, args.samples, args.seed, args.method)
    rule = check_rule(args.box_density, args.box_coverage)
    sesoi_table = load_sesoi(args.sesoi)
    box_steps = parse_box_steps(args.box_step, [c.name for c in claims])
    check_arms(claims, args.samples, args.seed, args.method, args.citizens)
    return rule, box_steps, sesoi_table


def battery_manifest(args: argparse.Namespace, claims_path: Path, claims: list[Claim], posterior, rule: BoxRule,
                     box_steps: dict[str, int], sesoi_table: dict[str, Sesoi], stamp: str) -> dict:
    """What the battery's manifest records: the claims file itself, sizes, seeds, the box rule, versions."""
    text = claims_path.read_text(encoding="utf-8")
    return {"claims_file": str(claims_path), "claims_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "claims_toml": text, "claims": [c.name for c in claims], "samples": args.samples,
            "replications": args.replications, "citizens": args.citizens, "steps": args.steps,
            "seed": args.seed, "engine": args.engine, "method": args.method,
            "sampling": ("Latin hypercube (scipy.stats.qmc)" if args.method == "latin"
                         else "Saltelli/Sobol sequence (SALib), first-order and total indices") + ", per claim",
            "seeds": SEED_CONVENTION + "; unit = the point (latin) or the Saltelli block of d + 2 points "
                     "(sobol); both arms share it",
            "versions": versions(), "git_commit": git_commit(), "git_dirty": git_dirty(),
            "created_utc": stamp, "command": shlex.join(["coprod", *sys.argv[1:]]),
            "scenario_discovery": {"density": rule.density, "coverage": rule.coverage, "steps": box_steps,
                                   "significance": rule.significance, "resamples": rule.resamples,
                                   "resample_share": rule.resample_share, "stable_share": rule.stable_share,
                                   "seeds": "SeedSequence([claim sampling seed, 1]) per claim"},
            "sesoi_file": args.sesoi, "sesoi": to_manifest(sesoi_table, sorted({c.outcome for c in claims})),
            "posterior": ({"folder": str(posterior.folder), "sha256": posterior.digest,
                           "parameters": posterior.names, "scenario": posterior.scenario}
                          if posterior is not None else None)}


def _holds_pairs(partial: Path) -> str | None:
    """What a battery's working folder without a manifest holds: finished pairs a fresh start would lose."""
    chunks = partial / CHUNK_DIR
    return "results" if chunks.is_dir() and any(chunks.glob("chunk-*.parquet")) else None


def load_sesoi(path: str | None) -> dict[str, Sesoi]:
    """The SESOI table (analysis/effect_sizes.py), with ``--sesoi FILE``'s entries when given."""
    if path is None:
        return dict(DEFAULT_SESOI)

    return read_overrides(read_toml(Path(path), what="SESOI file"), f"--sesoi {path}")


def parse_box_steps(items: list[str] | None, claims: list[str]) -> dict[str, int]:
    """``--box-step CLAIM=STEP`` values: a trajectory step chosen by hand for a claim."""
    steps = {}
    for item in items or []:
        name, _, value = item.partition("=")
        if name not in claims:
            raise InputError(f"--box-step: got {item!r}; allowed: CLAIM=STEP with CLAIM one of {', '.join(claims)}")
        try:
            step = int(value)
        except ValueError:
            step = -1
        if step < 0:
            raise InputError(f"--box-step: got {item!r}; allowed: CLAIM=STEP with STEP an integer >= 0 "
                             "(a step of the claim's PRIM trajectory, prim_trajectory.csv)")
        steps[name] = step
    return steps


def run_resumable(partial: Path, claims: list[Claim], args: argparse.Namespace, manifest: dict,
                  executor=None, slots: int = 1) -> tuple[pd.DataFrame, list[tuple]]:
    """Run the missing pairs, writing chunks to ``partial`` (whose lock the caller's session holds);
    return every finished pair and each claim's ``analyse_and_draw`` (``ClaimAnalyses``: with an
    executor, begun while the later claims run). Raises the runner's ``Interrupted``/``RunFailed``/
    ``ExecutorLost``/``StorageFailed`` with the finished pairs saved."""
    chunks = ChunkFolder(partial, RUN_KEY)
    chunks.prepare()
    earlier = chunks.read()
    done = frozenset() if earlier is None else frozenset(earlier[list(RUN_KEY)].itertuples(index=False, name=None))
    analyses = ClaimAnalyses(claims, manifest, overlap=executor is not None,
                             earlier=None if earlier is None else earlier.to_dict("records"))
    try:
        run_claims(claims, samples=args.samples, replications=args.replications, citizens=args.citizens,
                   steps=args.steps, seed=args.seed, engine=args.engine, method=args.method, workers=args.workers,
                   scheduler=args.scheduler, progress=not args.quiet, done=done, sink=chunks.write,
                   executor=executor, slots=slots, analyses=analyses)
        # The final table is read back from the chunks, so a resumed battery equals an uninterrupted one.
        runs = chunks.read()
        runs = runs.sort_values(["claim", "point", "replication"], kind="stable").reset_index(drop=True)
        return runs, analyses.results()
    finally:
        analyses.close()


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Evaluate claims (experiments/claims.toml) over their uncertain "
                          "parameters with common random numbers; write tables and a report.")
    parser.add_argument("--claim", action="append", metavar="NAME", help="only this claim (repeatable)")
    parser.add_argument("--claims-file", help="a claims TOML file (default: the bundled experiments/claims.toml)")
    parser.add_argument("--method", choices=CLAIM_METHODS, default=DEFAULTS["method"],
                        help="latin: Latin hypercube, drivers by rank regression; sobol: Saltelli sample, "
                             "drivers by Sobol indices (samples must be a power of 2)")
    parser.add_argument("--samples", type=int, default=DEFAULTS["samples"],
                        help="sample points per claim (sobol: base points, each costing d + 2 runs; "
                             "default %(default)s)")
    parser.add_argument("--replications", type=int, default=DEFAULTS["replications"],
                        help="seeds per point and arm (default %(default)s)")
    parser.add_argument("--citizens", type=int, default=DEFAULTS["citizens"],
                        help="citizens per run (default %(default)s)")
    parser.add_argument("--steps", type=int, default=DEFAULTS["steps"], help="months per run (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="battery seed: sample points and run seeds derive from it (default 0)")
    parser.add_argument("--engine", choices=("auto", "agents", "numba"), default="auto",
                        help="citizen engine: Mesa agents, compiled numba kernels, or auto by size (default auto)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: all cores)")
    where.add_argument("--scheduler", help="a dask scheduler address, tcp://HOST:PORT")
    parser.add_argument("--out", help="result directory (default results/claims-<timestamp>)")
    parser.add_argument("--resume", action="store_true",
                        help="finish an interrupted battery in --out (runs only the missing pairs)")
    parser.add_argument("--box-density", type=float, default=BoxRule.density,
                        help="PRIM box: the least share of its points where the claim holds (default %(default)s)")
    parser.add_argument("--box-coverage", type=float, default=BoxRule.coverage,
                        help="PRIM box: the least share of all holding points it must hold (default %(default)s)")
    parser.add_argument("--box-step", action="append", metavar="CLAIM=STEP",
                        help="take this step of the claim's PRIM trajectory instead (see prim_trajectory.csv)")
    parser.add_argument("--sesoi", metavar="FILE",
                        help="a TOML file of smallest effect sizes of interest, outcome = value, overriding the "
                             "table in analysis/effect_sizes.py (see README)")
    parser.add_argument("--posterior", metavar="DIR",
                        help="also run every claim with the calibrated parameters drawn from this `coprod calibrate` "
                             "posterior; the report shows both verdicts side by side")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    parser.set_defaults(func=cmd_claims)
