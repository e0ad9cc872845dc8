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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod.agents.rules import MODE_COLLECTIVE, MODE_GROUP
from coprod.analysis.statistics import mean_interval, wilson
from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.core.storage import atomic_directory, write_bytes, write_json, write_tables
from coprod.experiments.checks import check_at_least, check_out
from coprod.experiments.executors import local_pool
from coprod.experiments.posterior import load_posterior
from coprod.experiments.provenance import git_commit, versions
from coprod.experiments.scenarios import bundled_scenarios, check_entry_keys, load_scenario, parse_set, read_toml
from coprod.experiments.session import RESERVED, Session
from coprod.experiments.sweep import latin_hypercube
from coprod.model.model import CoProductionModel, resolve_parameters
from coprod.model.records import CitizenRecord, CitizenWindow
from coprod.model.trials import TRIALS, arm_difference, relative_effect, start_trial
from coprod.reports import scorecard
from coprod.reports.render import plural, to_html
from coprod.reports.scorecard import NOT_APPLICABLE

PATTERNS_FILE = Path(__file__).resolve().with_name("patterns.toml")
DEFAULTS = {"scenario": "default", "replications": 10, "citizens": 2000, "steps": 120, "seed": 0, "workers": 1,
            "draws": 20}
WINDOW = 12  # months every statistic looks back over ("in the last year")
HISTORY = 60  # months kept month by month for the statistics over years (persistence, reach, leaving)
TRIAL_MONTH = 60  # trials start after this month (burn-in), or earlier in short runs
MIN_BURN_IN = 12
REQUIRED = ("name", "title", "statistic", "target", "source", "note")
DIRECTIONS = ("positive", "negative")
CORE_SHARE_OF_HOURS = 2.0 / 3.0  # Mohan & Bulloch 2012: a core is who gives two-thirds of the total


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
    history: ActivityHistory | None = None  # runs without a trial or switch: the last HISTORY months


def trial_month(steps: int) -> int:
    """The month after which trials intervene; the follow-up (``WINDOW`` months) fits in ``steps``."""
    return min(TRIAL_MONTH, steps - WINDOW)


def observe_run(parameters: dict[str, Any], seed: int, steps: int, trial: str | None = None,
                switch: dict[str, Any] | None = None, follow_up: bool = False,
                engine: str = "numba") -> RunObservation:
    """Run one model and record it. A trial run intervenes after ``trial_month(steps)``, a switch
    changes parameters then; either (or ``follow_up``) stops the run ``WINDOW`` months later, so
    its window is the follow-up."""
    model = CoProductionModel(seed=seed, engine=engine, **parameters)
    short = bool(trial or switch or follow_up)
    start = trial_month(steps) if short else None
    last = start + WINDOW if short else steps
    record = CitizenRecord(model.p["n_citizens"], WINDOW)
    labels = trust_before = None
    active, volunteer = [], []
    while model.steps < last:
        model.step()
        if model.steps > last - WINDOW:
            record.observe(model.population)
        if not short and model.steps > last - HISTORY:
            # Volunteering as CitizenRecord counts it: in associational life or for the NGO.
            is_volunteer = (np.asarray(model.population.citizen_values("is_volunteer"), dtype=bool)
                            | (np.asarray(model.population.citizen_values("activity")) > 0))
            mode = np.asarray(model.population.citizen_values("mode"))
            volunteer.append(is_volunteer)
            active.append(is_volunteer | (mode == MODE_GROUP) | (mode == MODE_COLLECTIVE))  # as ``volunteers`` counts
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
    history = ActivityHistory(np.array(active), np.array(volunteer)) if not short else None
    return RunObservation(record.summary(), float(np.mean(gaps[-WINDOW:])), labels, trust_before, history)


def _observe_job(job: tuple) -> RunObservation:
    """``observe_run`` on one job tuple (what the pool maps over). Pool workers step on one numba
    thread each (``executors.local_pool``), as do runs below 5,000 citizens in this process."""
    return observe_run(*job)


def execute(jobs: list[tuple], workers: int) -> list[RunObservation]:
    """Run ``observe_run(*job)`` for every job, in order. The one place runs execute, so a shared
    runner can replace it; a process pool ('spawn', ``executors.local_pool``) for workers > 1."""
    if workers <= 1 or len(jobs) <= 1:
        return [_observe_job(job) for job in jobs]

    with local_pool(workers) as executor:
        return list(executor.map(_observe_job, jobs))


# --- statistics: plain functions of records --------------------------------------------------------

def annual_volunteering_share(window: CitizenWindow) -> float:
    """Share of citizens who volunteered for an NGO or co-produced in a group or collectively in
    at least one month of the window."""
    return float(np.mean(volunteers(window)))


def core_size(values: np.ndarray, share_of_total: float) -> float:
    """Smallest share of citizens who together give ``share_of_total`` of the total, the biggest
    givers first: how Mohan & Bulloch (2012) draw a core on one dimension (nan when nobody gives)."""
    values = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    total = values.sum()
    if total <= 0:
        return float("nan")
    given = np.cumsum(values)
    return float((np.searchsorted(given, share_of_total * total * (1.0 - 1e-12)) + 1) / len(values))


def volunteering_core_size(window: CitizenWindow) -> float:
    """Share of citizens who give two-thirds of the last 12 months' volunteer and co-production hours."""
    return core_size(window.coproduction_hours + window.volunteer_hours, CORE_SHARE_OF_HOURS)


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
    """What Parrado et al. 2013 found, both effects positive and self-efficacy's the larger, as one
    number: min(beta(resources), beta(self-efficacy) - beta(resources)) for each citizen's share of
    months taking part; positive only when both hold."""
    beta_efficacy, beta_resources = standardised_betas(window.participation, window.end["efficacy"],
                                                       window.end["resources"])
    return float(min(beta_resources, beta_efficacy - beta_resources))


def hours_per_volunteer_month(window: CitizenWindow) -> float:
    """Hours given to associations and the NGO per month spent volunteering (nan without volunteers)."""
    months = window.volunteering.sum()
    return float(window.volunteer_hours.sum() / months) if months > 0 else float("nan")


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


# --- statistics of the wider scorecard (issue 24, item 8): distributions and dynamics ----------------------
# Each is a small function of a CitizenWindow (the last 12 months) or an ActivityHistory (the last
# HISTORY months, one row a month), so it can be pointed at new model outputs when they arrive.

def volunteers(window: CitizenWindow) -> np.ndarray:
    """Who counts as volunteering in the window: a volunteer (associational life or the NGO), or group
    or collective co-production, in at least one month (as ``annual_volunteering_share``)."""
    together = window.months_by_mode[:, 2] + window.months_by_mode[:, 3]
    return (window.volunteering > 0) | (together > 0)


def association_share(window: CitizenWindow) -> float:
    """Of the citizens who volunteered in the window, the share who did so through an association or
    the NGO (the rest only co-produced together with others)."""
    counted = volunteers(window)
    return float(np.mean(window.volunteering[counted] > 0)) if counted.any() else float("nan")


def volunteering_ratio(window: CitizenWindow, group: np.ndarray, reference: np.ndarray) -> float:
    """Share volunteering in ``group`` over the share in ``reference`` (nan if either is empty or the
    reference share is 0)."""
    counted = volunteers(window)
    if not group.any() or not reference.any():
        return float("nan")
    base = counted[reference].mean()
    return float(counted[group].mean() / base) if base > 0 else float("nan")


def resource_gradient(window: CitizenWindow) -> float:
    """Volunteering share of the top two resource quintiles over that of the bottom three (the
    model's stand-in for graduates against non-graduates)."""
    quintile = window.end["quintile"]
    return volunteering_ratio(window, quintile >= 3, quintile <= 2)


def poorest_over_all(window: CitizenWindow) -> float:
    """Volunteering share of the poorest resource quintile over everyone's."""
    quintile = window.end["quintile"]
    return volunteering_ratio(window, quintile == 0, np.ones(len(quintile), dtype=bool))


def occasional_share(window: CitizenWindow, most: int = 3) -> float:
    """Of the citizens who volunteered in the window, the share active in at most ``most`` months.

    A month is active when hours were given (to an association or the NGO, or in group or
    collective co-production), not when one was a member: the survey asks how often one did
    voluntary work (Frivillighetsbarometeret 2023: "a few times"; episodic volunteering, Cnaan &
    Handy 2005), and a member who gives nothing for months is not volunteering in them."""
    counted = volunteers(window)
    if not counted.any():
        return float("nan")
    together = window.months_by_mode[:, 2] + window.months_by_mode[:, 3]
    months = np.maximum(window.giving, together)  # a month can count once, by the larger of the two
    return float(np.mean(months[counted] <= most))


def trust_volunteering_correlation(window: CitizenWindow) -> float:
    """Pearson correlation between trust at the end and having volunteered in the window."""
    counted = volunteers(window).astype(np.float64)
    trust = np.asarray(window.end["trust"], dtype=np.float64)
    if counted.std() == 0 or trust.std() == 0:
        return float("nan")
    return float(np.corrcoef(trust, counted)[0, 1])


@dataclass(frozen=True)
class ActivityHistory:
    """Per month (rows, oldest first) and citizen: volunteering as ``volunteers`` counts it
    (``active``) and volunteer status, associational life or the NGO (``volunteer``), over the last
    ``HISTORY`` months of a run."""

    active: np.ndarray  # (months, n) bool
    volunteer: np.ndarray  # (months, n) bool

    @property
    def months(self) -> int:
        return len(self.active)


def reach_over_years(history: ActivityHistory, years: int = 5) -> float:
    """Share who volunteered in at least one month of the last ``years`` years, over the share in the
    last year (nan when the run is shorter)."""
    if history.months < 12 * years:
        return float("nan")
    last_year = history.active[-12:].any(axis=0).mean()
    return float(history.active[-12 * years:].any(axis=0).mean() / last_year) if last_year > 0 else float("nan")


def year_to_year_persistence(history: ActivityHistory) -> float:
    """Of those who volunteered in the year before last, the share who volunteered in the last year."""
    if history.months < 24:
        return float("nan")
    before = history.active[-24:-12].any(axis=0)
    return float(history.active[-12:].any(axis=0)[before].mean()) if before.any() else float("nan")


def volunteer_groups_a_year_ago(history: ActivityHistory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(volunteers 12 months before the end, of them those in every one of the 12 months before and
    including then (long-serving), still volunteers at the end)."""
    then = history.volunteer[-13]
    serving = history.volunteer[-24:-12].all(axis=0)
    return then, then & serving, history.volunteer[-1]


def volunteer_retention(history: ActivityHistory) -> float:
    """Of the volunteers (associations or the NGO) 12 months before the end, the share still volunteering at the end."""
    if history.months < 24:
        return float("nan")
    then, _, now = volunteer_groups_a_year_ago(history)
    return float(now[then].mean()) if then.any() else float("nan")


def newcomers_leave_more(history: ActivityHistory) -> float:
    """Share of newcomers (volunteers 12 months before the end who had not served all the 12 months
    before) who left by the end, minus the same share of long-serving volunteers."""
    if history.months < 24:
        return float("nan")
    then, serving, now = volunteer_groups_a_year_ago(history)
    newcomers = then & ~serving
    if not newcomers.any() or not serving.any():
        return float("nan")
    return float(np.mean(~now[newcomers]) - np.mean(~now[serving]))


@dataclass(frozen=True)
class Statistic:
    runs: tuple[str, ...]
    compute: Callable[[dict[str, RunObservation]], float]
    description: str


STATISTICS: dict[str, Statistic] = {
    "annual_volunteering_share": Statistic(
        ("baseline",), lambda o: annual_volunteering_share(o["baseline"].window),
        "share of citizens volunteering or co-producing together in >= 1 of the last 12 months"),
    "volunteering_core_size": Statistic(
        ("baseline",), lambda o: volunteering_core_size(o["baseline"].window),
        "smallest share of citizens who give two-thirds of the last 12 months' co-production and volunteer hours"),
    "efficacy_minus_resources_beta": Statistic(
        ("baseline",), lambda o: efficacy_over_resources(o["baseline"].window),
        "min(beta resources, beta self-efficacy - beta resources), standardised, for the share of months taking part"),
    "hours_per_volunteer_month": Statistic(
        ("baseline",), lambda o: hours_per_volunteer_month(o["baseline"].window),
        "hours given to associations and the NGO per volunteer per month volunteering, last 12 months"),
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
        lambda o: cohens_d(volunteer_motivation(o["ngo_supplier"].window),
                           volunteer_motivation(o["ngo_partner"].window)),
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
    # --- the wider scorecard (issue 24, item 8) ---
    "association_share": Statistic(
        ("baseline",), lambda o: association_share(o["baseline"].window),
        "of those volunteering in the last 12 months, the share who did so through an NGO"),
    "resource_gradient": Statistic(
        ("baseline",), lambda o: resource_gradient(o["baseline"].window),
        "volunteering share of the top two resource quintiles over that of the bottom three"),
    "poorest_over_all": Statistic(
        ("baseline",), lambda o: poorest_over_all(o["baseline"].window),
        "volunteering share of the poorest resource quintile over everyone's"),
    "occasional_share": Statistic(
        ("baseline",), lambda o: occasional_share(o["baseline"].window),
        "of those volunteering in the last 12 months, the share active in at most 3 of the months"),
    "trust_volunteering_correlation": Statistic(
        ("baseline",), lambda o: trust_volunteering_correlation(o["baseline"].window),
        "correlation between trust at the end and having volunteered in the last 12 months"),
    "participation_gap": Statistic(
        ("baseline",), lambda o: o["baseline"].participation_gap,
        "share taking part in the top minus the bottom resource quintile, mean over the last 12 months"),
    "reach_over_five_years": Statistic(
        ("baseline",), lambda o: reach_over_years(o["baseline"].history, 5),
        "share volunteering in >= 1 month of the last 5 years over the share in the last year"),
    "year_to_year_persistence": Statistic(
        ("baseline",), lambda o: year_to_year_persistence(o["baseline"].history),
        "of those volunteering in the year before last, the share volunteering in the last year"),
    "volunteer_retention": Statistic(
        ("baseline",), lambda o: volunteer_retention(o["baseline"].history),
        "of the volunteers (associations or the NGO) 12 months before the end, "
        "the share still volunteering at the end"),
    "newcomers_leave_more": Statistic(
        ("baseline",), lambda o: newcomers_leave_more(o["baseline"].history),
        "share of newer volunteers (associations or the NGO) who left within 12 months minus that of volunteers "
        "serving >= 12 months"),
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
    assumption_check: bool = False  # restates an input: measured and shown, not counted in the score

    def target_text(self) -> str:
        if "direction" in self.target:
            return "> 0" if self.target["direction"] == "positive" else "< 0"
        return f"[{self.target['low']:g}, {self.target['high']:g}]"


def load_patterns(path: Path | str = PATTERNS_FILE) -> list[Pattern]:
    """Read and check the patterns file; one-line ``InputError`` naming file, pattern and key."""
    path = Path(path)
    where = str(path)

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
        check_entry_keys(entry, REQUIRED, ("assumption_check",), at)
        if not isinstance(entry.get("assumption_check", False), bool):
            raise InputError(f"{at}: key 'assumption_check': got {entry['assumption_check']!r}; allowed: true, false")
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
                                note=entry["note"].strip(), assumption_check=entry.get("assumption_check", False)))
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
            raise InputError(f"{at}: key 'target': got low = {low!r}, high = {high!r}; "
                             "allowed: two numbers, low < high")
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


def judge(target: dict[str, Any], values: np.ndarray) -> tuple[float, float, float, str]:
    """Mean, 95% interval and result ("pass", "fail" or ``NOT_APPLICABLE``) of one pattern's values
    over replications. A replication where the statistic is undefined (nan: e.g. no group forms
    on offer, no volunteers) is left out; a pattern undefined in every replication does not apply
    to the scenario and is reported as such, never as a fail."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not len(finite):
        return math.nan, math.nan, math.nan, NOT_APPLICABLE
    mean, low, high = interval(finite)
    return mean, low, high, "pass" if verdict(target, mean, low, high) else "fail"


def score(patterns: list[Pattern], values: pd.DataFrame) -> pd.DataFrame:
    """One row per pattern from the per-replication values (columns pattern, replication, value)."""
    rows = []
    for pattern in patterns:
        mine = values.loc[values["pattern"] == pattern.name, "value"].to_numpy(dtype=np.float64)
        mean, low, high, result = judge(pattern.target, mine)
        rows.append({"pattern": pattern.name, "title": pattern.title, "statistic": pattern.statistic,
                     "target": pattern.target_text(), "value": mean, "ci_low": low, "ci_high": high,
                     "replications": len(mine), "undefined_replications": int((~np.isfinite(mine)).sum()),
                     "result": result, "passed": result == "pass", "counted": not pattern.assumption_check,
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
    return measure_points(patterns, [base], replications, steps, seed, workers)[0]


def measure_points(patterns: list[Pattern], bases: list[dict[str, Any]], replications: int, steps: int, seed: int,
                   workers: int = 1) -> list[pd.DataFrame]:
    """``measure`` at several parameter points (scenarios, or points of a design) in one batch of
    runs, so a pool of workers stays busy across points. Every point uses seeds seed, seed + 1, ...
    (common random numbers: two points differ only where their parameters do)."""
    plans = [plan_jobs(patterns, base, replications, steps, seed) for base in bases]
    observations = execute([job for jobs, _ in plans for job in jobs], workers)
    tables, start = [], 0
    for jobs, index in plans:
        mine = observations[start:start + len(jobs)]
        start += len(jobs)
        rows = []
        for r in range(replications):
            for pattern in patterns:
                statistic = STATISTICS[pattern.statistic]
                runs = {name: mine[index[(name, r)]] for name in statistic.runs}
                # An undefined statistic (no volunteers, no gap) is nan: "not applicable" if it is
                # undefined in every replication (``judge``); no warning needed.
                with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    value = statistic.compute(runs)
                rows.append({"pattern": pattern.name, "replication": r, "seed": seed + r, "value": float(value)})
        tables.append(pd.DataFrame(rows))
    return tables


def default_out() -> Path:
    return Path("results") / f"patterns-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def scenario_names(args: argparse.Namespace, posterior=None) -> list[str]:
    """The scenarios to score: the positional names, or ``--scenarios all`` / ``A,B,...``, or (with
    ``--posterior`` and neither) the calibration's own scenarios, or the default."""
    if args.scenario and args.scenarios:
        raise InputError("--scenarios: scenarios are also named before it; allowed: names, or --scenarios, not both")
    if args.scenarios:
        names = bundled_scenarios() if args.scenarios.strip() == "all" else [
            n.strip() for n in args.scenarios.split(",") if n.strip()]
        if not names:
            raise InputError(f"--scenarios: got {args.scenarios!r}; allowed: all, or names separated by commas")
    else:
        names = list(args.scenario) or (list(posterior.scenarios) if posterior is not None else [DEFAULTS["scenario"]])
    if len(set(names)) != len(names):
        raise InputError(f"scenarios: {', '.join(names)} names one twice; allowed: each scenario once")
    return names


@dataclass
class PatternsPlan:
    """Everything ``coprod patterns`` will do, checked before the first run or file."""

    patterns: list[Pattern]
    patterns_path: Path
    scenarios: list  # Scenario
    bases: list[dict[str, Any]]  # one per scenario
    out: Path
    design: str = "scorecard"  # "scorecard" | "prior" | "posterior"
    points: list[pd.DataFrame] = field(default_factory=list)  # per scenario: parameter values per point
    posterior: Any = None


def check_patterns_inputs(args: argparse.Namespace) -> PatternsPlan:
    """Every input of ``coprod patterns``: a one-line ``InputError`` on the first problem."""
    patterns_path = Path(args.patterns)
    patterns = load_patterns(patterns_path)
    posterior = None
    if args.prior is not None and args.posterior is not None:
        raise InputError("--prior: given with --posterior; allowed: one of them")
    if args.posterior is not None:
        posterior = load_posterior(args.posterior)
    elif args.draws is not None:
        raise InputError("--draws: given without --posterior; allowed: --draws N with --posterior DIR")
    names = scenario_names(args, posterior)
    scenarios = [load_scenario(name) for name in names]
    least = {"replications": 2, "citizens": 10, "steps": WINDOW + MIN_BURN_IN, "workers": 1}
    for option, at_least in least.items():
        check_at_least(getattr(args, option), f"--{option}", at_least)
    check_at_least(args.prior, "--prior")
    check_at_least(args.draws, "--draws")
    bases = []
    for scenario in scenarios:
        base = dict(scenario.parameters)
        base.update(parse_set([f"n_citizens={args.citizens}"], where="--citizens"))
        groups = resolve_parameters(base)["n_groups"]
        if groups > args.citizens:
            raise InputError(f"--citizens: got {args.citizens}; allowed: at least n_groups ({groups}) of scenario "
                             f"{scenario.name!r}")
        bases.append(base)
    plan = PatternsPlan(patterns, patterns_path, scenarios, bases, Path(args.out) if args.out else default_out())
    if args.prior is not None:
        plan.design = "prior"
        plan.points = [prior_points(scenario, args.prior, args.seed) for scenario in scenarios]
    elif posterior is not None:
        plan.design, plan.posterior = "posterior", posterior
        plan.points = [posterior_points(posterior, scenario, args.draws or DEFAULTS["draws"], args.seed)
                       for scenario in scenarios]
    check_out(plan.out)
    return plan


def prior_points(scenario, points: int, seed: int) -> pd.DataFrame:
    """``points`` Latin-hypercube points over the scenario's ``[uncertain]`` ranges, seeded by ``seed``."""
    if not scenario.uncertain:
        raise InputError(f"--prior: scenario {scenario.name!r} has no [uncertain] table; allowed: a scenario with one")
    return latin_hypercube(dict(scenario.uncertain), points, np.random.default_rng(seed))


def posterior_points(posterior, scenario, draws: int, seed: int) -> pd.DataFrame:
    """``draws`` weighted draws of the posterior's parameters (integers rounded), seeded by ``seed``;
    a posterior calibrated on other scenarios is refused."""
    if scenario.name not in posterior.scenarios:
        raise InputError(f"--posterior {posterior.folder}: calibrated on {', '.join(posterior.scenarios)}, not on "
                         f"scenario {scenario.name!r}; allowed: a calibration of the scenario scored")
    table = posterior.draw(draws, np.random.default_rng(seed))
    for name in posterior.names:
        if PARAMETERS[name].kind == "int":
            table[name] = table[name].round().astype(int)
    return table


def cmd_patterns(args: argparse.Namespace) -> int:
    plan = check_patterns_inputs(args)  # everything, before any run starts or any file is written
    started = time.perf_counter()
    session = Session.for_command("patterns", args, plan.out, layout=RESERVED)
    session.check_folders()
    with session.reserved():  # a second coprod aiming here is refused now, not after its runs
        try:
            if plan.design == "scorecard":
                result = score_scenarios(plan, args)
            else:
                result = score_points(plan, args)
        except ValueError as err:  # a parameter combination the declarations cannot catch alone
            raise InputError(str(err)) from None
        seconds = time.perf_counter() - started
        info = {"scenario": ", ".join(s.name for s in plan.scenarios), "scenarios": [s.name for s in plan.scenarios],
                "citizens": args.citizens, "steps": args.steps, "replications": args.replications, "seed": args.seed,
                "design": plan.design, "points": len(plan.points[0]) if plan.points else None,
                "posterior": str(plan.posterior.folder) if plan.posterior is not None else None}
        write_scorecard(plan, result, info, args.workers, seconds)
    if not args.quiet:
        print(f"{info['scenario']}: {plural(args.citizens, 'citizen')}, {plural(args.steps, 'month')}, "
              f"{plural(args.replications, 'replication')}, seed {args.seed} ({seconds:.1f} s)")
        print(scorecard.text_table(result["scorecard"]) if plan.design == "scorecard"
              else scorecard.text_informativeness(result["informativeness"]))
        print(f"scorecard in {plan.out}")
    return 0


def score_scenarios(plan: PatternsPlan, args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    """The scorecard of every scenario at its own values: one table with a ``scenario`` column."""
    values = measure_points(plan.patterns, plan.bases, args.replications, args.steps, args.seed, args.workers)
    cards = [score(plan.patterns, v).assign(scenario=s.name) for s, v in zip(plan.scenarios, values)]
    values = [v.assign(scenario=s.name) for s, v in zip(plan.scenarios, values)]
    return {"scorecard": _scenario_first(pd.concat(cards, ignore_index=True)),
            "replications": _scenario_first(pd.concat(values, ignore_index=True))}


def _scenario_first(table: pd.DataFrame) -> pd.DataFrame:
    return table[["scenario", *[c for c in table.columns if c != "scenario"]]]


# A pattern passing at this share of the prior's points or more cannot tell parameter values apart;
# at this share or less it fits only a corner of the ranges (issue 24).
CANNOT_DISCRIMINATE, ONLY_A_CORNER = 0.95, 0.05


def score_points(plan: PatternsPlan, args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    """The scorecard at every point (prior Latin hypercube or posterior draws) of every scenario,
    and per scenario and pattern the share of points where it passes (``informativeness``)."""
    bases, where = [], []
    for k, (scenario, base) in enumerate(zip(plan.scenarios, plan.bases)):
        for i, point in enumerate(plan.points[k].to_dict("records")):
            bases.append({**base, **point})
            where.append((scenario.name, i, point))
    values = measure_points(plan.patterns, bases, args.replications, args.steps, args.seed, args.workers)
    cards, replications = [], []
    for (name, i, point), table in zip(where, values):
        cards.append(score(plan.patterns, table)[["pattern", "value", "ci_low", "ci_high", "result"]]
                     .assign(scenario=name, point=i, **point))
        replications.append(table.assign(scenario=name, point=i))
    points = _scenario_first(pd.concat(cards, ignore_index=True))
    return {"informativeness": informativeness(plan.patterns, points, flags=plan.design == "prior"),
            "points": points, "replications": _scenario_first(pd.concat(replications, ignore_index=True))}


def informativeness(patterns: list[Pattern], points: pd.DataFrame, flags: bool = True) -> pd.DataFrame:
    """Per scenario and pattern: the share of points (where the pattern applies) at which it
    passes, its Wilson 95% interval, and the 5-95% range of the value's per-point mean. With
    ``flags``, >= 95% is "cannot discriminate", <= 5% "fits only a corner" (and no pass at all "fits
    nowhere in these ranges")."""
    rows = []
    for scenario, table in points.groupby("scenario", sort=False):
        for pattern in patterns:
            mine = table[table["pattern"] == pattern.name]
            applicable = mine[mine["result"] != NOT_APPLICABLE]
            passes, n = int((applicable["result"] == "pass").sum()), len(applicable)
            low, high = wilson(passes, n) if n else (math.nan, math.nan)
            share = passes / n if n else math.nan
            finite = applicable["value"].to_numpy(dtype=np.float64)
            finite = finite[np.isfinite(finite)]
            flag = ""
            if not n:
                flag = NOT_APPLICABLE
            elif flags and share >= CANNOT_DISCRIMINATE:
                flag = "cannot discriminate"
            elif flags and passes == 0:
                flag = "fits nowhere in these ranges"
            elif flags and share <= ONLY_A_CORNER:
                flag = "fits only a corner"
            rows.append({"scenario": scenario, "pattern": pattern.name, "title": pattern.title,
                         "target": pattern.target_text(), "points": len(mine), "applicable_points": n,
                         "passes": passes, "pass_share": share, "pass_low": low, "pass_high": high,
                         "value_p05": float(np.quantile(finite, 0.05)) if len(finite) else math.nan,
                         "value_p95": float(np.quantile(finite, 0.95)) if len(finite) else math.nan,
                         "flag": flag})
    return pd.DataFrame(rows)


def write_scorecard(plan: PatternsPlan, tables: dict[str, pd.DataFrame], info: dict, workers: int,
                    seconds: float) -> None:
    statistics = {name: statistic.description for name, statistic in STATISTICS.items()}
    if plan.design == "scorecard":
        card = tables["scorecard"]
        name, text = "scorecard", scorecard.markdown(card, info, statistics)
        counted = card[card["counted"]]
        counts = {"passed": int(counted["passed"].sum()),
                  "not_applicable": int((counted["result"] == NOT_APPLICABLE).sum()),
                  "patterns": sum(not p.assumption_check for p in plan.patterns),
                  "assumption_checks": sum(p.assumption_check for p in plan.patterns)}
    else:
        name, text = "informativeness", scorecard.informativeness_markdown(tables["informativeness"], info)
        counts = {"patterns": len(plan.patterns)}
    manifest = {
        **info, "scenario_paths": [str(s.path) for s in plan.scenarios],
        "parameters": (plan.bases[0] if len(plan.bases) == 1
                       else {s.name: b for s, b in zip(plan.scenarios, plan.bases)}),
        "engine": "numba", "window_months": WINDOW, "trial_month": trial_month(info["steps"]),
        "patterns_file": str(plan.patterns_path),
        "patterns_sha256": hashlib.sha256(plan.patterns_path.read_bytes()).hexdigest(),
        "scoring": {"band": "pass if the mean over replications lies in [low, high]",
                    "direction": "pass if the t-based 95% interval of the mean excludes 0 on that side",
                    "not applicable": "the statistic is undefined in every replication; neither pass nor fail",
                    "assumption check": "restates an input of the model; shown, never counted in the score"},
        **counts, "workers": workers, "seconds": round(seconds, 2), "versions": versions(),
        "git_commit": git_commit(), "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["coprod", *sys.argv[1:]]),
    }
    if plan.design == "prior":
        manifest["prior"] = {s.name: {k: list(v) for k, v in s.uncertain.items()} for s in plan.scenarios}
        manifest["design_rule"] = ("Latin hypercube over each scenario's [uncertain] ranges seeded by --seed; every "
                                   "point runs seeds seed..seed + replications - 1")
    with atomic_directory(plan.out) as tmp:
        write_tables(tmp, tables)
        write_bytes(tmp / f"{name}.md", text.encode())
        write_bytes(tmp / f"{name}.html", to_html(text).encode())
        write_json(tmp / "manifest.json", manifest)


def register(cmd: argparse.ArgumentParser) -> None:
    cmd.description = ("Measure each empirical pattern of experiments/patterns.toml from model output over "
                       "replications and write a scorecard (Markdown, HTML, CSV/Parquet, manifest.json): for one "
                       "or several scenarios, over the prior (--prior N) or under a calibration's posterior.")
    cmd.add_argument("scenario", nargs="*", help="bundled scenario names or paths to .toml files (default: default)")
    cmd.add_argument("--scenarios", metavar="all|A,B,...", help="score these scenarios (all = every bundled one)")
    cmd.add_argument("--prior", type=int, metavar="N",
                     help="score at N Latin-hypercube points over each scenario's [uncertain] ranges and report per "
                          "pattern the share of points where it passes")
    cmd.add_argument("--posterior", metavar="DIR", help="score under posterior draws of a `coprod calibrate` folder")
    cmd.add_argument("--draws", type=int, help=f"posterior draws with --posterior (default {DEFAULTS['draws']})")
    cmd.add_argument("--replications", type=int, default=DEFAULTS["replications"],
                     help="replications (per point); replication r uses seed SEED + r "
                          f"(default {DEFAULTS['replications']})")
    cmd.add_argument("--citizens", type=int, default=DEFAULTS["citizens"],
                     help=f"number of citizens (default {DEFAULTS['citizens']})")
    cmd.add_argument("--steps", type=int, default=DEFAULTS["steps"],
                     help=f"months per run (default {DEFAULTS['steps']})")
    cmd.add_argument("--seed", type=int, default=DEFAULTS["seed"], help=f"first seed (default {DEFAULTS['seed']})")
    cmd.add_argument("--workers", type=int, default=DEFAULTS["workers"],
                     help="processes running replications (default 1)")
    cmd.add_argument("--patterns", default=str(PATTERNS_FILE),
                     help="patterns file (default: the bundled experiments/patterns.toml)")
    cmd.add_argument("--out", help="result directory (default results/patterns-<UTC timestamp>)")
    cmd.add_argument("--quiet", action="store_true", help="print nothing on success")
    cmd.set_defaults(func=cmd_patterns)
