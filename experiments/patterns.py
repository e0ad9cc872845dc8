"""``coprod patterns``: measure empirical patterns from model output and score them.

The patterns are data (``experiments/patterns.toml``): a name, a title, the statistic that
measures it (a name in ``STATISTICS`` below; nothing in the file is executed), a target and the
source of the empirical figure. Each replication r runs with seed ``seed + r``; runs that compare
two settings (outreach, NGO relation) use the same seed in both arms (common random numbers), and
the in-silico trials randomise citizens inside one run (``coprod.model.trials``).

Scoring rules (docs/patterns.md):
- a band target ``{ low, high }`` passes when the mean over replications lies inside the band;
- a direction target ``{ direction = "positive" | "negative" }`` passes when the 95% interval of
  the mean excludes 0 on that side.
The 95% interval is the t interval of the mean over replications.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import shlex
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from coprod.analysis.statistics import mean_interval
from coprod.core.errors import InputError
from coprod.experiments.scenarios import load_scenario, parse_set
from coprod.experiments.session import RESERVED, Session
from coprod.core.storage import atomic_directory, write_bytes, write_json, write_tables
from coprod.model.model import resolve_parameters
from coprod.model.records import CitizenRecord, CitizenWindow
from coprod.model.trials import TRIALS, arm_difference, relative_effect, start_trial

PATTERNS_FILE = Path(__file__).resolve().with_name("patterns.toml")
DEFAULTS = {"scenario": "default", "replications": 10, "citizens": 2000, "steps": 120, "seed": 0, "workers": 1}
WINDOW = 12  # months every statistic looks back over ("in the last year")
TRIAL_MONTH = 60  # trials start after this month (burn-in), or earlier in short runs
MIN_BURN_IN = 12
REQUIRED = ("name", "title", "statistic", "target", "source", "note")
DIRECTIONS = ("positive", "negative")
CIVIC_CORE_SHARE = 0.31  # Mohan & Bulloch 2012: the top 31% of citizens


# --- runs ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunSpec:
    """One kind of run per replication: the scenario with ``overrides``, optionally a trial or a
    ``switch`` of parameters after the trial month. A trial, a switch or ``follow_up`` makes the run
    stop ``WINDOW`` months after the trial month, so its window is the follow-up."""

    overrides: dict[str, Any] = field(default_factory=dict)
    trial: str | None = None
    switch: dict[str, Any] = field(default_factory=dict)
    follow_up: bool = False

    @property
    def short(self) -> bool:
        return bool(self.trial or self.switch or self.follow_up)


RUNS: dict[str, RunSpec] = {
    "baseline": RunSpec(),
    "outreach_none": RunSpec({"outreach": 0.0}),
    "outreach_high": RunSpec({"outreach": 0.8}),
    "ngo_supplier": RunSpec({"ngo_relation": "supplier"}),
    "ngo_partner": RunSpec({"ngo_relation": "partner"}),
    "trial_resources": RunSpec(trial="resources"),
    "trial_information": RunSpec(trial="information"),
    "trial_trust": RunSpec(trial="trust"),
    "trial_placebo": RunSpec(trial="placebo"),
    # Contract control lifted at the trial month, against NGOs that were partners all along.
    "ngo_supplier_then_partner": RunSpec({"ngo_relation": "supplier"}, switch={"ngo_relation": "partner"}),
    "ngo_partner_follow_up": RunSpec({"ngo_relation": "partner"}, follow_up=True),
}
# Parameters a switch may change mid-run: only those the model reads afresh every month
# (NGO.control and CoProductionModel._learn read ngo_relation from model.p each month).
SWITCHABLE = ("ngo_relation",)


@dataclass
class RunObservation:
    """What the statistics read from one run: the last ``WINDOW`` months per citizen, the mean
    monthly participation gap over them and, in a trial run, the arms and trust just before."""

    window: CitizenWindow
    participation_gap: float
    labels: np.ndarray | None = None
    trust_before: np.ndarray | None = None


def trial_month(steps: int) -> int:
    """The month after which trials intervene; the follow-up (``WINDOW`` months) fits in ``steps``."""
    return min(TRIAL_MONTH, steps - WINDOW)


def observe_run(parameters: dict[str, Any], seed: int, steps: int, trial: str | None = None,
                switch: dict[str, Any] | None = None, follow_up: bool = False,
                engine: str = "numba") -> RunObservation:
    """Run one model and record it. A trial run intervenes after ``trial_month(steps)``, a switch
    changes parameters then; either (or ``follow_up``) stops the run ``WINDOW`` months later, so
    its window is the follow-up."""
    from coprod.model.model import CoProductionModel

    model = CoProductionModel(seed=seed, engine=engine, **parameters)
    short = bool(trial or switch or follow_up)
    start = trial_month(steps) if short else None
    last = start + WINDOW if short else steps
    record = CitizenRecord(model.p["n_citizens"], WINDOW)
    labels = trust_before = None
    while model.steps < last:
        model.step()
        if model.steps > last - WINDOW:
            record.observe(model.population)
        if model.steps == start and switch:
            unknown = set(switch) - set(SWITCHABLE)
            if unknown:
                raise ValueError(f"switch: cannot change {sorted(unknown)} mid-run; allowed: {', '.join(SWITCHABLE)}")
            model.p.update(switch)
        if model.steps == start and trial:
            trust_before = np.asarray(model.population.citizen_values("trust"), dtype=np.float64).copy()
            labels = start_trial(model.population, TRIALS[trial], model.seed_value, model.steps)
    gaps = model.datacollector.get_model_vars_dataframe()["participation_gap"].to_numpy()
    model.forget()
    return RunObservation(record.summary(), float(np.mean(gaps[-WINDOW:])), labels, trust_before)


def _observe_job(job: tuple) -> RunObservation:
    """``observe_run`` on one job tuple (what the pool maps over). Pool workers step on one numba
    thread each (``executors.local_pool``), as do runs below 5,000 citizens in this process."""
    return observe_run(*job)


def execute(jobs: list[tuple], workers: int) -> list[RunObservation]:
    """Run ``observe_run(*job)`` for every job, in order. The one place runs execute, so a shared
    runner can replace it; a process pool ('spawn', ``executors.local_pool``) for workers > 1."""
    if workers <= 1 or len(jobs) <= 1:
        return [_observe_job(job) for job in jobs]
    from coprod.experiments.executors import local_pool

    with local_pool(workers) as executor:
        return list(executor.map(_observe_job, jobs))


# --- statistics: plain functions of records --------------------------------------------------------

def annual_volunteering_share(window: CitizenWindow) -> float:
    """Share of citizens who volunteered for an NGO or co-produced in a group or collectively in
    at least one month of the window."""
    together = window.months_by_mode[:, 2] + window.months_by_mode[:, 3]
    return float(np.mean((window.volunteering > 0) | (together > 0)))


def top_share(values: np.ndarray, share: float) -> float:
    """Share of the total given by the top ``share`` of citizens (rounded to whole citizens)."""
    values = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    total = values.sum()
    if total <= 0:
        return float("nan")
    return float(values[:int(round(share * len(values)))].sum() / total)


def civic_core_share(window: CitizenWindow) -> float:
    return top_share(window.coproduction_hours + window.volunteer_hours, CIVIC_CORE_SHARE)


def standardised_betas(y: np.ndarray, *xs: np.ndarray) -> np.ndarray:
    """OLS coefficients of z-scored ``y`` on z-scored ``xs`` (with an intercept)."""
    def z(v):
        v = np.asarray(v, dtype=np.float64)
        sd = v.std()
        return (v - v.mean()) / sd if sd > 0 else np.full(len(v), np.nan)
    columns = [z(x) for x in xs]
    target = z(y)
    if np.isnan(target).any() or any(np.isnan(c).any() for c in columns):
        return np.full(len(xs), np.nan)
    design = np.column_stack([np.ones(len(target)), *columns])
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    return coefficients[1:]


def efficacy_over_resources(window: CitizenWindow) -> float:
    """beta(self-efficacy) - beta(resources) for each citizen's share of months taking part."""
    beta_efficacy, beta_resources = standardised_betas(window.participation, window.end["efficacy"],
                                                       window.end["resources"])
    return float(beta_efficacy - beta_resources)


def individual_collective_log_ratio(window: CitizenWindow) -> float:
    """log(individual participant-months / (group + collective participant-months))."""
    individual = window.months_by_mode[:, 1].sum()
    together = window.months_by_mode[:, 2].sum() + window.months_by_mode[:, 3].sum()
    if individual == 0 or together == 0:
        return float("nan")
    return float(np.log(individual / together))


def trial_participation_effect(run: RunObservation) -> float:
    """Treated minus control share of months taking part over the follow-up."""
    return arm_difference(run.labels, run.window.participation)


def trial_relative_effect(run: RunObservation) -> float:
    """Treated over control share of months taking part, minus 1."""
    return relative_effect(run.labels, run.window.participation)


def trial_gap_closed(run: RunObservation) -> float:
    """Share of the participation gap (top quintile minus the bottom quintile's control arm) that
    the treatment closes for the treated: effect / gap (nan when there is no gap)."""
    participation = run.window.participation
    top = participation[run.window.end["quintile"] == 4].mean()
    gap = top - participation[run.labels == 0].mean()
    return trial_participation_effect(run) / gap if gap > 0 else float("nan")


def trust_asymmetry(run: RunObservation) -> float:
    """|bad event's effect on the trust change| - |good event's|, each against the control arm."""
    change = run.window.end["trust"] - run.trust_before
    return abs(arm_difference(run.labels, change, 1)) - abs(arm_difference(run.labels, change, 2))


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """(mean a - mean b) / pooled standard deviation (nan with fewer than two in either)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    pooled = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    return float((a.mean() - b.mean()) / math.sqrt(pooled)) if pooled > 0 else float("nan")


def volunteer_motivation(window: CitizenWindow) -> np.ndarray:
    return window.end["motivation"][window.end["is_volunteer"].astype(bool)]


@dataclass(frozen=True)
class Statistic:
    runs: tuple[str, ...]
    compute: Callable[[dict[str, RunObservation]], float]
    description: str


STATISTICS: dict[str, Statistic] = {
    "annual_volunteering_share": Statistic(
        ("baseline",), lambda o: annual_volunteering_share(o["baseline"].window),
        "share of citizens volunteering or co-producing together in >= 1 of the last 12 months"),
    "civic_core_share": Statistic(
        ("baseline",), lambda o: civic_core_share(o["baseline"].window),
        "share of the last 12 months' co-production and volunteer hours given by the top 31%"),
    "efficacy_minus_resources_beta": Statistic(
        ("baseline",), lambda o: efficacy_over_resources(o["baseline"].window),
        "standardised beta of self-efficacy minus that of resources, for the share of months taking part"),
    "individual_collective_log_ratio": Statistic(
        ("baseline",), lambda o: individual_collective_log_ratio(o["baseline"].window),
        "log of individual over group + collective participant-months in the last 12 months"),
    "resource_trial_effect": Statistic(
        ("trial_resources",), lambda o: trial_participation_effect(o["trial_resources"]),
        "treated minus control participation rate, 12 months after a resource boost in the bottom quintile"),
    "resource_trial_gap_closed": Statistic(
        ("trial_resources",), lambda o: trial_gap_closed(o["trial_resources"]),
        "share of the top-vs-bottom quintile participation gap the resource boost closes for the treated"),
    "information_trial_relative_effect": Statistic(
        ("trial_information",), lambda o: trial_relative_effect(o["trial_information"]),
        "treated over control participation rate minus 1, 12 months after informing half the citizens"),
    "information_weaker_than_resources": Statistic(
        ("trial_resources", "trial_information"),
        lambda o: trial_relative_effect(o["trial_resources"]) - trial_relative_effect(o["trial_information"]),
        "relative effect of the resource trial minus that of the information trial"),
    "outreach_gap_reduction": Statistic(
        ("outreach_none", "outreach_high"),
        lambda o: o["outreach_none"].participation_gap - o["outreach_high"].participation_gap,
        "participation gap (top minus bottom quintile, last 12 months) without outreach minus with outreach 0.8"),
    "crowding_out_d": Statistic(
        ("ngo_supplier", "ngo_partner"),
        lambda o: cohens_d(volunteer_motivation(o["ngo_supplier"].window), volunteer_motivation(o["ngo_partner"].window)),
        "Cohen's d of volunteers' motivation at the end, NGOs as contracted suppliers vs as partners"),
    "crowding_persists_d": Statistic(
        ("ngo_supplier_then_partner", "ngo_partner_follow_up"),
        lambda o: cohens_d(volunteer_motivation(o["ngo_supplier_then_partner"].window),
                           volunteer_motivation(o["ngo_partner_follow_up"].window)),
        "Cohen's d of volunteers' motivation 12 months after contract control is lifted, vs partners all along"),
    "trust_asymmetry": Statistic(
        ("trial_trust",), lambda o: trust_asymmetry(o["trial_trust"]),
        "|trust change after a -0.1 event| - |after a +0.1 event|, each against control, 12 months on"),
    "placebo_trial_effect": Statistic(
        ("trial_placebo",), lambda o: trial_participation_effect(o["trial_placebo"]),
        "the resource trial with a boost of 0 (a check: must be indistinguishable from 0)"),
}


# --- the patterns file ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pattern:
    name: str
    title: str
    statistic: str
    target: dict[str, Any]  # {"low": x, "high": y} or {"direction": "positive" | "negative"}
    source: str
    note: str

    def target_text(self) -> str:
        if "direction" in self.target:
            return "> 0" if self.target["direction"] == "positive" else "< 0"
        return f"[{self.target['low']:g}, {self.target['high']:g}]"


def load_patterns(path: Path | str = PATTERNS_FILE) -> list[Pattern]:
    """Read and check the patterns file; one-line ``InputError`` naming file, pattern and key."""
    path = Path(path)
    where = str(path)
    from coprod.experiments.scenarios import check_entry_keys, read_toml

    data = read_toml(path, "patterns file")
    entries = data.get("pattern")
    if set(data) != {"pattern"} or not isinstance(entries, list) or not entries:
        raise InputError(f"{where}: expected one or more [[pattern]] tables and nothing else")
    patterns, seen = [], set()
    for k, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InputError(f"{where}: pattern #{k + 1}: got {entry!r}; allowed: a [[pattern]] table")
        name = entry.get("name", f"#{k + 1}")
        at = f"{where}: pattern {name!r}"
        check_entry_keys(entry, REQUIRED, (), at)
        for key in ("name", "title", "statistic", "source", "note"):
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise InputError(f"{at}: key {key!r}: got {entry[key]!r}; allowed: a non-empty string")
        if name in seen:
            raise InputError(f"{at}: key 'name': the name is used twice")
        seen.add(name)
        if entry["statistic"] not in STATISTICS:
            raise InputError(f"{at}: key 'statistic': got {entry['statistic']!r}; allowed: {', '.join(STATISTICS)}")
        patterns.append(Pattern(name=name, title=entry["title"], statistic=entry["statistic"],
                                target=check_target(entry["target"], at), source=entry["source"].strip(),
                                note=entry["note"].strip()))
    return patterns


def check_target(target: Any, at: str) -> dict[str, Any]:
    allowed = "{ low = <number>, high = <number> } with low < high, or { direction = \"positive\" | \"negative\" }"
    if not isinstance(target, dict):
        raise InputError(f"{at}: key 'target': got {target!r}; allowed: {allowed}")
    if set(target) == {"direction"}:
        if target["direction"] not in DIRECTIONS:
            raise InputError(f"{at}: key 'target.direction': got {target['direction']!r}; allowed: positive, negative")
        return dict(target)
    if set(target) == {"low", "high"}:
        low, high = target["low"], target["high"]
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (low, high))
        if not numbers or not low < high:
            raise InputError(f"{at}: key 'target': got low = {low!r}, high = {high!r}; allowed: two numbers, low < high")
        return {"low": float(low), "high": float(high)}
    raise InputError(f"{at}: key 'target': got keys {sorted(target)}; allowed: {allowed}")


# --- scoring --------------------------------------------------------------------------------------

def interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and the t-based 95% interval of the mean (nan if any value is undefined or n < 2)."""
    return mean_interval(values, 0.95)


def verdict(target: dict[str, Any], mean: float, low: float, high: float) -> bool:
    """Band: the mean lies inside. Direction: the 95% interval excludes 0 on that side."""
    if "direction" in target:
        return bool(low > 0) if target["direction"] == "positive" else bool(high < 0)
    return bool(target["low"] <= mean <= target["high"])


def score(patterns: list[Pattern], values: pd.DataFrame) -> pd.DataFrame:
    """One row per pattern from the per-replication values (columns pattern, replication, value)."""
    rows = []
    for pattern in patterns:
        mine = values.loc[values["pattern"] == pattern.name, "value"].to_numpy()
        mean, low, high = interval(mine)
        rows.append({"pattern": pattern.name, "title": pattern.title, "statistic": pattern.statistic,
                     "target": pattern.target_text(), "value": mean, "ci_low": low, "ci_high": high,
                     "replications": len(mine), "passed": verdict(pattern.target, mean, low, high),
                     "source": pattern.source, "note": pattern.note})
    return pd.DataFrame(rows)


# --- the whole measurement ---------------------------------------------------------------------------

def plan_jobs(patterns: list[Pattern], base: dict[str, Any], replications: int, steps: int,
              seed: int) -> tuple[list[tuple], dict[tuple[str, int], int]]:
    """The distinct runs the patterns need, and where each (run name, replication) finds its run.

    Two run names with the same parameters and trial (e.g. 'ngo_partner' in a scenario whose NGOs
    are already partners, and 'baseline') share one run: same seed, same run, same numbers."""
    needed = [name for name in RUNS if any(name in STATISTICS[p.statistic].runs for p in patterns)]
    jobs: list[tuple] = []
    index: dict[tuple[str, int], int] = {}
    seen: dict[tuple, int] = {}
    for r in range(replications):
        for name in needed:
            spec = RUNS[name]
            parameters = {**base, **spec.overrides}
            key = (tuple(sorted(resolve_parameters(parameters).items())), spec.trial,
                   tuple(sorted(spec.switch.items())), spec.short, r)
            if key not in seen:
                seen[key] = len(jobs)
                jobs.append((parameters, seed + r, steps, spec.trial, dict(spec.switch), spec.follow_up))
            index[(name, r)] = seen[key]
    return jobs, index


def measure(patterns: list[Pattern], base: dict[str, Any], replications: int, steps: int, seed: int,
            workers: int = 1) -> pd.DataFrame:
    """Per-replication values of every pattern's statistic (columns pattern, replication, value)."""
    jobs, index = plan_jobs(patterns, base, replications, steps, seed)
    observations = execute(jobs, workers)
    rows = []
    for r in range(replications):
        for pattern in patterns:
            statistic = STATISTICS[pattern.statistic]
            runs = {name: observations[index[(name, r)]] for name in statistic.runs}
            # An undefined statistic (no volunteers, no gap) is nan and fails; no warning needed.
            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                value = statistic.compute(runs)
            rows.append({"pattern": pattern.name, "replication": r, "seed": seed + r, "value": float(value)})
    return pd.DataFrame(rows)


def default_out() -> Path:
    return Path("results") / f"patterns-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"


def cmd_patterns(args: argparse.Namespace) -> int:
    # Everything is checked before any run starts or any file is written.
    patterns_path = Path(args.patterns)
    patterns = load_patterns(patterns_path)
    scenario = load_scenario(args.scenario)
    for option in ("replications", "citizens", "steps", "workers"):
        value = getattr(args, option)
        least = {"replications": 2, "citizens": 10, "steps": WINDOW + MIN_BURN_IN, "workers": 1}[option]
        if value < least:
            raise InputError(f"--{option}: got {value}; allowed: an integer >= {least}")
    base = dict(scenario.parameters)
    base.update(parse_set([f"n_citizens={args.citizens}"], where="--citizens"))
    groups = resolve_parameters(base)["n_groups"]
    if groups > args.citizens:
        raise InputError(f"--citizens: got {args.citizens}; allowed: at least n_groups ({groups}) of scenario {scenario.name!r}")
    out = Path(args.out) if args.out else default_out()
    session = Session.for_command("patterns", args, out, layout=RESERVED)
    session.check_folders()

    started = time.perf_counter()
    with session.reserved():  # a second coprod aiming here is refused now, not after its runs
        try:
            values = measure(patterns, base, args.replications, args.steps, args.seed, args.workers)
        except ValueError as err:  # a parameter combination the declarations cannot catch alone
            raise InputError(str(err)) from None
        seconds = time.perf_counter() - started
        card = score(patterns, values)
        info = {"scenario": scenario.name, "citizens": args.citizens, "steps": args.steps,
                "replications": args.replications, "seed": args.seed}
        write_scorecard(out, card, values, info, patterns_path, scenario, base, args.workers, seconds)
    if not args.quiet:
        from coprod.reports import scorecard
        from coprod.reports.render import plural

        print(f"{scenario.name}: {plural(args.citizens, 'citizen')}, {plural(args.steps, 'month')}, "
              f"{plural(args.replications, 'replication')}, seed {args.seed} ({seconds:.1f} s)")
        print(scorecard.text_table(card))
        print(f"scorecard in {out}")
    return 0


def write_scorecard(out: Path, card: pd.DataFrame, values: pd.DataFrame, info: dict, patterns_path: Path,
                    scenario, base: dict, workers: int, seconds: float) -> None:
    from coprod.experiments.run import git_commit, versions
    from coprod.reports import scorecard
    from coprod.reports.render import to_html

    manifest = {
        **info, "scenario_path": str(scenario.path), "parameters": base, "engine": "numba",
        "window_months": WINDOW, "trial_month": trial_month(info["steps"]),
        "patterns_file": str(patterns_path),
        "patterns_sha256": hashlib.sha256(patterns_path.read_bytes()).hexdigest(),
        "scoring": {"band": "pass if the mean over replications lies in [low, high]",
                    "direction": "pass if the t-based 95% interval of the mean excludes 0 on that side"},
        "passed": int(card["passed"].sum()), "patterns": len(card), "workers": workers,
        "seconds": round(seconds, 2), "versions": versions(), "git_commit": git_commit(),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(["coprod", *sys.argv[1:]]),
    }
    with atomic_directory(out) as tmp:
        write_tables(tmp, {"scorecard": card, "replications": values})
        text = scorecard.markdown(card, info, {name: statistic.description for name, statistic in STATISTICS.items()})
        write_bytes(tmp / "scorecard.md", text.encode())
        write_bytes(tmp / "scorecard.html", to_html(text).encode())
        write_json(tmp / "manifest.json", manifest)


def register(cmd: argparse.ArgumentParser) -> None:
    cmd.description = ("Measure each empirical pattern of experiments/patterns.toml from model output over "
                       "replications and write a scorecard (Markdown, HTML, CSV/Parquet, manifest.json).")
    cmd.add_argument("scenario", nargs="?", default=DEFAULTS["scenario"], help="bundled scenario name or path to a .toml file")
    cmd.add_argument("--replications", type=int, default=DEFAULTS["replications"],
                     help=f"replications; replication r uses seed SEED + r (default {DEFAULTS['replications']})")
    cmd.add_argument("--citizens", type=int, default=DEFAULTS["citizens"], help=f"number of citizens (default {DEFAULTS['citizens']})")
    cmd.add_argument("--steps", type=int, default=DEFAULTS["steps"], help=f"months per run (default {DEFAULTS['steps']})")
    cmd.add_argument("--seed", type=int, default=DEFAULTS["seed"], help=f"first seed (default {DEFAULTS['seed']})")
    cmd.add_argument("--workers", type=int, default=DEFAULTS["workers"], help="processes running replications (default 1)")
    cmd.add_argument("--patterns", default=str(PATTERNS_FILE), help="patterns file (default: the bundled experiments/patterns.toml)")
    cmd.add_argument("--out", help="result directory (default results/patterns-<UTC timestamp>)")
    cmd.add_argument("--quiet", action="store_true", help="print nothing on success")
    cmd.set_defaults(func=cmd_patterns)
