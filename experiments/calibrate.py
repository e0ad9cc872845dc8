"""``coprod calibrate``: fit a scenario's uncertain parameters to the empirical patterns by ABC-SMC.

Approximate Bayesian computation with sequential Monte Carlo (Toni et al. 2009; Beaumont et al.
2009) as implemented by pyabc (Klinger, Rickert & Hasenauer 2018), with the pattern scorecard as
the data: a particle is the scorecard's runs at proposed parameter values, and its distance says
how far it is from passing each pattern, in units of that pattern's tolerance
(``pattern_abc.PatternDistance``). Priors are uniform over the scenario's ``[uncertain]`` ranges
(or ``--parameters``). Particles run on the runner's executors (this process, a local pool, dask)
through a deterministic sampler, so the same seed gives the same posterior with any workers.

While it runs, ``<out>.partial/`` holds pyabc's SQLite history (``abc.db``: every finished
generation) and the plan (``manifest.json``); ``--resume`` continues from the last finished
generation. The result folder ``<out>`` appears whole at the end (see ``docs/calibration.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import math
import shlex
import sqlite3
import sys
import time
import warnings
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.core.storage import DamagedFile, read_json, write_json
from coprod.experiments.checks import check_at_least, check_parameters, check_scheduler_address, check_seed, check_work
from coprod.experiments.patterns import (
    MIN_BURN_IN,
    NOT_APPLICABLE,
    PATTERNS_FILE,
    WINDOW,
    Pattern,
    judge,
    load_patterns,
    measure,
    plan_jobs,
)
from coprod.experiments.posterior import summarise
from coprod.experiments.provenance import git_commit, git_dirty, versions
from coprod.experiments.runner import SEED_CONVENTION, MemorySink, Task, open_executor, run_tasks
from coprod.experiments.scenarios import load_scenario
from coprod.experiments.session import STAGED, Session
from coprod.reports.calibration_report import console_summary, sample_quality, write_calibration

DEFAULTS = {"scenario": "default", "population": 50, "generations": 4, "replications": 3, "citizens": 2000,
            "steps": 120, "seed": 0, "predictive": 20}
DB_NAME = "abc.db"
STATE_NAME = "state.json"
# Fields a resumed calibration must share with the one it continues.
PLAN_FIELDS = ("scenario_path", "scenario_paths", "holdout", "patterns_sha256", "patterns", "priors", "base_parameters",
               "population",
               "generations", "budget", "replications", "citizens", "steps", "seed", "predictive")
# Seed units beside the generations' (t + 1): the posterior-predictive draws.
PREDICTIVE_UNIT = 2**31 - 1
SEEDS = ("proposal j of generation t: SeedSequence(seed, spawn_key=(t + 1, j)) seeds numpy's global generator "
         "for pyabc's proposal; its scorecard runs use first model seed SeedSequence(particle seed) (replication r: "
         "+ r). Posterior-predictive draw k: SeedSequence(seed, spawn_key=(2**31 - 1, k)). The scorecard at the "
         "scenario's values uses seed, seed + 1, ... as `coprod patterns --seed`.")


# --- inputs -------------------------------------------------------------------------------------

def parse_priors(items: list[str] | None, scenario) -> dict[str, tuple[float, float]]:
    """``--parameters name=lo:hi ...`` (else the scenario's ``[uncertain]``), checked against the
    declarations: a numeric parameter, lo < hi inside its declared range."""
    if not items:
        if not scenario.uncertain:
            raise InputError(f"{scenario.path}: no [uncertain] table to calibrate; allowed: a scenario with one, or "
                             "--parameters name=lo:hi ...")
        return dict(scenario.uncertain)
    priors: dict[str, tuple[float, float]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        low_text, sep2, high_text = text.partition(":")
        declared = PARAMETERS.get(name)
        if not sep or declared is None:
            raise InputError(f"--parameters: got {item!r}; allowed: name=lo:hi with name a parameter listed by "
                             "`coprod params`")
        if declared.kind not in ("float", "int"):
            raise InputError(f"--parameters: {name} is a {declared.kind} parameter; allowed: a float or int parameter")
        try:
            if not sep2:
                raise ValueError
            low, high = float(low_text), float(high_text)
        except ValueError:
            raise InputError(f"--parameters: got {item!r}; allowed: name=lo:hi with two numbers") from None
        if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
            raise InputError(f"--parameters: got {item!r}; allowed: an interval with lo < hi")
        bound_low, bound_high = declared.widest_uncertain()  # the declared uncertain range, if any
        if low < bound_low or high > bound_high:
            raise InputError(f"--parameters: got {item!r}; allowed: inside [{bound_low}, {bound_high}]")
        if name in priors:
            raise InputError(f"--parameters: {name} is given twice; allowed: each parameter once")
        priors[name] = (low, high)
    return priors


def select_patterns(patterns: list[Pattern], names: list[str] | None) -> list[Pattern]:
    if not names:
        return patterns
    known = [p.name for p in patterns]
    for name in names:
        if name not in known:
            raise InputError(f"--pattern: unknown {name!r}; allowed: {', '.join(known)}")
    return [p for p in patterns if p.name in names]


def split_holdout(patterns: list[Pattern], names: list[str] | None) -> tuple[list[Pattern], list[Pattern]]:
    """(patterns to fit, held-out patterns): ``--holdout`` names patterns of the scorecard that the
    fit never sees; the posterior predictive scores them apart, out of sample."""
    if not names:
        return patterns, []
    known = [p.name for p in patterns]
    for name in names:
        if name not in known:
            raise InputError(f"--holdout: unknown pattern {name!r}; allowed: {', '.join(known)}")
    if len(set(names)) != len(names):
        raise InputError(f"--holdout: {' '.join(names)} names a pattern twice; allowed: each pattern once")
    fitted = [p for p in patterns if p.name not in names]
    if not fitted:
        raise InputError("--holdout: holds out every pattern; allowed: at least one pattern left to fit")
    return fitted, [p for p in patterns if p.name in names]


def calibrated_scenarios(args: argparse.Namespace) -> list:
    """The scenario, or with ``--scenarios A,B,...`` every listed one (the same parameters fitted to all)."""
    if args.scenarios is None:
        return [load_scenario(args.scenario or DEFAULTS["scenario"])]
    if args.scenario:
        raise InputError("--scenarios: a scenario is also named before it; allowed: a scenario, or --scenarios, "
                         "not both")
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    if not names:
        raise InputError(f"--scenarios: got {args.scenarios!r}; allowed: scenario names separated by commas")
    if len(set(names)) != len(names):
        raise InputError(f"--scenarios: {args.scenarios} names a scenario twice; allowed: each scenario once")
    return [load_scenario(name) for name in names]


def shared_priors(scenarios: list) -> dict[str, tuple[float, float]]:
    """Without ``--parameters``: the parameters every scenario declares uncertain, each over the
    intersection of their ranges (a joint calibration fits one value for all the scenarios)."""
    if len(scenarios) == 1:
        return parse_priors(None, scenarios[0])
    for scenario in scenarios:
        parse_priors(None, scenario)  # each has an [uncertain] table
    names = [n for n in scenarios[0].uncertain if all(n in s.uncertain for s in scenarios[1:])]
    priors = {n: (max(s.uncertain[n][0] for s in scenarios), min(s.uncertain[n][1] for s in scenarios)) for n in names}
    priors = {n: bounds for n, bounds in priors.items() if bounds[0] < bounds[1]}
    if not priors:
        raise InputError(f"--scenarios: {', '.join(s.name for s in scenarios)} share no [uncertain] parameter with "
                         "overlapping ranges; allowed: scenarios that do, or --parameters name=lo:hi ...")
    return priors


def check_inputs(args: argparse.Namespace) -> dict[str, Any]:
    """Every input, before any folder, executor or run: a one-line ``InputError`` on the first problem."""
    patterns_path = Path(args.patterns)
    patterns, holdout = split_holdout(select_patterns(load_patterns(patterns_path), args.pattern), args.holdout)
    scenarios = calibrated_scenarios(args)
    priors = parse_priors(args.parameters, scenarios[0]) if args.parameters else shared_priors(scenarios)
    check_at_least(args.population, "--population", 4)
    check_at_least(args.generations, "--generations")
    check_at_least(args.budget, "--budget")
    check_at_least(args.replications, "--replications", 2)
    check_at_least(args.steps, "--steps", WINDOW + MIN_BURN_IN)
    check_at_least(args.predictive, "--predictive")
    check_at_least(args.workers, "--workers")
    check_seed(args.seed)
    check_scheduler_address(args.scheduler)
    declared = PARAMETERS["n_citizens"]
    if not declared.low <= args.citizens <= declared.high:
        raise InputError(f"--citizens: got {args.citizens}; allowed: {declared.allowed()}")
    runs = args.budget if args.budget is not None else args.population * (args.generations or 1) * args.replications
    check_work(args.citizens, args.steps * len(scenarios), runs + args.predictive * args.replications, "calibrate")
    bases = {}
    for scenario in scenarios:
        base = {**scenario.parameters, "n_citizens": args.citizens}
        for end, corner in enumerate(("low", "high")):  # both ends of every prior: combinations the model runs as given
            values = {name: (int(round(bounds[end])) if PARAMETERS[name].kind == "int" else bounds[end])
                      for name, bounds in priors.items()}
            check_parameters({**base, **values}, f"--parameters ({corner} ends) in scenario {scenario.name!r}")
        check_parameters(base, f"scenario {scenario.name!r} with --citizens {args.citizens}")
        bases[scenario.name] = base
    text = patterns_path.read_text(encoding="utf-8")
    runs = sum(len(plan_jobs(patterns, base, 1, args.steps, 0)[0]) for base in bases.values())
    return {"patterns": patterns, "holdout": holdout, "patterns_path": patterns_path, "patterns_text": text,
            "scenario": scenarios[0], "scenarios": scenarios, "priors": priors, "base": bases[scenarios[0].name],
            "bases": bases, "runs_per_replication": runs}


# --- running ----------------------------------------------------------------------------------------

def score_point(payload: tuple, seed: int) -> pd.DataFrame:
    """Worker side: the scorecard's per-replication values at one parameter point."""
    patterns, parameters, replications, steps = payload
    return measure(patterns, parameters, replications, steps, seed)


def predictive_seed(seed: int, draw: int) -> int:
    return int(np.random.SeedSequence(seed, spawn_key=(PREDICTIVE_UNIT, draw)).generate_state(1, dtype=np.uint32)[0])


def evaluate_on(executor, slots: int, scheduler: str | None):
    """``tasks -> results in order`` on the opened executor (the runner's ``run_tasks``)."""
    def evaluate(tasks: list, function=None) -> list:
        from coprod.experiments.pattern_abc import simulate_particle  # noqa: PLC0415 - pyabc: see build_abc

        sink = MemorySink()
        run_tasks(tasks, function or simulate_particle, sink, executor=executor, slots=slots, scheduler=scheduler,
                  progress=False)
        return [sink.results[task.key] for task in tasks]
    return evaluate


def build_abc(inputs: dict, args: argparse.Namespace, evaluate, slots: int):
    # pyabc (with SQLAlchemy and its own pandas stack) costs 6.9 s to import on top of this module, and
    # pattern_abc (which imports it) 9.9 s (python -X importtime, under load): the inputs are checked
    # and `--help` answers before the first ABC object is built, without it.
    import pyabc  # noqa: PLC0415 - start-up cost, above

    from coprod.experiments.pattern_abc import (  # noqa: PLC0415 - start-up cost, above
        ExecutorSampler,
        PatternDistance,
        PatternModel,
        ResumableQuantileEpsilon,
        keyed_patterns,
    )

    priors = inputs["priors"]
    prior = pyabc.Distribution(**{name: pyabc.RV("uniform", low, high - low) for name, (low, high) in priors.items()})
    integers = [name for name in priors if PARAMETERS[name].kind == "int"]
    model = PatternModel(inputs["patterns"], inputs["bases"], integers, args.replications, args.steps)
    sampler = ExecutorSampler(evaluate, args.seed, slots=slots, progress=not args.quiet)
    keyed = keyed_patterns(list(inputs["bases"]), inputs["patterns"])
    abc = pyabc.ABCSMC(model, prior, PatternDistance(keyed), population_size=args.population,
                       sampler=sampler, eps=ResumableQuantileEpsilon())
    return abc, sampler


def quiet_pyabc() -> None:
    """pyabc logs every generation at INFO; the progress bar says what matters."""
    logging.getLogger("ABC").setLevel(logging.WARNING)


def run_abc(partial: Path, inputs: dict, args: argparse.Namespace, evaluate, slots: int) -> dict:
    """Run (or continue) the ABC-SMC in ``partial``; return the state written when it ended.
    Raises the runner's ``Interrupted`` and friends with every finished generation in ``abc.db``."""
    from coprod.experiments.pattern_abc import (  # noqa: PLC0415 - pyabc: see build_abc
        MIN_ACCEPTANCE,
        keyed_patterns,
        observed_targets,
    )

    quiet_pyabc()
    state_path = partial / STATE_NAME
    fresh = f"remove {partial} and start the calibration afresh"
    if state_path.is_file():
        return read_json(state_path, fresh)
    if args.generations == 1 and args.budget is None and not args.quiet:
        print("coprod calibrate: warning: with --generations 1 the posterior is the prior (generation 0 accepts "
              "every prior draw); use 2 or more to learn from the patterns", file=sys.stderr)
    abc, sampler = build_abc(inputs, args, evaluate, slots)
    db_url = f"sqlite:///{(partial / DB_NAME).resolve()}"
    # A history here was checked before the workers started (``cmd_calibrate``: ``check_history``
    # refuses a damaged one and removes one that never recorded the run).
    if (partial / DB_NAME).is_file():
        history = abc.load(db_url, 1)
    else:
        history = abc.new(db_url, observed_targets(keyed_patterns(list(inputs["bases"]), inputs["patterns"])))
    done = history.max_t + 1
    budget = math.inf if args.budget is None else args.budget // (inputs["runs_per_replication"] * args.replications)
    evaluated_before = read_json(partial / "evaluated.json", fresh) if (partial / "evaluated.json").is_file() else 0
    if done < args.generations and history.total_nr_simulations < budget:
        try:
            with warnings.catch_warnings():  # pyabc compares the first tolerance (inf) with none before it
                warnings.simplefilter("ignore", RuntimeWarning)
                abc.run(minimum_epsilon=0.0, max_nr_populations=args.generations - done,
                        min_acceptance_rate=MIN_ACCEPTANCE, max_total_nr_simulations=budget)
        finally:
            write_json(partial / "evaluated.json", evaluated_before + sampler.evaluated)
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    generations = len(populations)
    last_eps = float(populations["epsilon"].iloc[-1]) if generations else math.nan
    if generations >= args.generations:
        reason = f"{args.generations} generations done"
    elif last_eps == 0:
        reason = "tolerance 0 reached: every accepted particle passes every pattern"
    elif history.total_nr_simulations >= budget:
        reason = f"budget of {args.budget} model runs spent"
    else:
        reason = f"acceptance would fall below {MIN_ACCEPTANCE:.0%}; the last whole generation is the posterior"
    state = {"finished": True, "stopped": reason, "particles_evaluated": evaluated_before + sampler.evaluated}
    write_json(state_path, state)
    return state


def check_history(db: Path, remedy: str) -> None:
    """pyabc's history (SQLite, written by pyabc a generation at a time, so it carries no checksum of
    ours) must be an intact SQLite database: SQLite's own ``quick_check`` finds torn pages and garbage;
    a damaged file is one line, not pyabc's traceback. A history killed before pyabc recorded the run
    (its tables made, no run row yet) holds nothing to lose: it is removed, and the run begins anew.
    Opened read-write so that SQLite rolls back a transaction a kill left half done (its hot journal)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=rw", uri=True)) as connection:
            ok = connection.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            begun = ok and connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'abc_smc'").fetchone()[0] == 1
            begun = begun and connection.execute("SELECT count(*) FROM abc_smc").fetchone()[0] >= 1
    except sqlite3.Error:
        ok = False
    if not ok:
        raise DamagedFile(f"{db}: damaged (not an intact pyabc history); {remedy}")
    if not begun:
        db.unlink()


def read_history(partial: Path, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(posterior: every generation's particles; generations: tolerance and acceptance per generation)."""
    import pyabc  # noqa: PLC0415 - start-up cost: see build_abc

    history = pyabc.History(f"sqlite:///{(partial / DB_NAME).resolve()}", _id=1)
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0].reset_index(drop=True)
    rows = []
    for t in populations["t"]:
        population = history.get_population(t=int(t))
        for particle in population.particles:
            rows.append({"generation": int(t), "weight": float(particle.weight), "distance": float(particle.distance),
                         **{name: float(particle.parameter[name]) for name in names}})
    posterior = pd.DataFrame(rows).sort_values(["generation", "distance", *names], kind="stable")
    posterior.insert(1, "particle", posterior.groupby("generation").cumcount())
    generations = pd.DataFrame({"generation": populations["t"].astype(int), "tolerance": populations["epsilon"],
                                "accepted": populations["particles"].astype(int),
                                "proposed": populations["samples"].astype(int)})
    generations["acceptance_rate"] = generations["accepted"] / generations["proposed"]
    generations["effective_sample_size"] = [effective_sample_size(posterior.loc[posterior["generation"] == t, "weight"])
                                            for t in generations["generation"]]
    return posterior.reset_index(drop=True), generations


def predictive_checks(inputs: dict, args: argparse.Namespace, last: pd.DataFrame, names: list[str],
                      evaluate) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scorecard (fitted and held-out patterns) at ``--predictive`` posterior draws and at the
    scenario's own values, in every calibrated scenario; draw k runs the same seeds in each."""
    rng = np.random.default_rng(np.random.SeedSequence(args.seed, spawn_key=(PREDICTIVE_UNIT,)))
    weights = last["weight"].to_numpy() / last["weight"].sum()
    draws = last.iloc[rng.choice(len(last), size=args.predictive, replace=True,
                                 p=weights)][names].reset_index(drop=True)
    patterns = inputs["patterns"] + inputs["holdout"]
    integers = [n for n in names if PARAMETERS[n].kind == "int"]
    tasks = []
    for scenario, base in inputs["bases"].items():
        for k, row in enumerate(draws.to_dict("records")):
            point = {n: (int(round(v)) if n in integers else float(v)) for n, v in row.items()}
            tasks.append(Task(("predictive", scenario, k), (patterns, {**base, **point}, args.replications, args.steps),
                              predictive_seed(args.seed, k), f"{scenario}: posterior draw {k}"))
        tasks.append(Task(("scenario", scenario, 0), (patterns, base, args.replications, args.steps), args.seed,
                          f"{scenario}: scenario values"))
    results = iter(evaluate(tasks, score_point))
    frames, at_scenario = [], []
    for scenario in inputs["bases"]:
        for k in range(args.predictive):
            frames.append(next(results).assign(draw=k, **draws.iloc[k].to_dict(), scenario=scenario))
        at_scenario.append(next(results).assign(scenario=scenario))
    return pd.concat(frames, ignore_index=True), pd.concat(at_scenario, ignore_index=True)


def posterior_scorecard(patterns: list[Pattern], predictive: pd.DataFrame, at_scenario: pd.DataFrame,
                        holdout: list[Pattern] = ()) -> pd.DataFrame:
    """Per scenario and pattern (fitted, then held out): target; the scenario's values (mean,
    result); the posterior predictive median and 90% interval of the per-draw mean, the share of
    draws that pass by the scorecard's rule (of the draws where it applies), and pass when at least
    half do. ``role`` says whether the fit saw the pattern ("fitted") or not ("held out": the
    out-of-sample check)."""
    rows = []
    scenarios = list(dict.fromkeys(at_scenario["scenario"])) if "scenario" in at_scenario else [None]
    for scenario in scenarios:
        here = predictive if scenario is None else predictive[predictive["scenario"] == scenario]
        there = at_scenario if scenario is None else at_scenario[at_scenario["scenario"] == scenario]
        for role, group in (("fitted", patterns), ("held out", holdout)):
            for pattern in group:
                mine = there.loc[there["pattern"] == pattern.name, "value"].to_numpy()
                mean, _, _, result = judge(pattern.target, mine)
                per_draw, results = [], []
                for _, draw in here[here["pattern"] == pattern.name].groupby("draw"):
                    m, _, _, r = judge(pattern.target, draw["value"].to_numpy())
                    per_draw.append(m)
                    results.append(r)
                per_draw = np.asarray(per_draw, dtype=np.float64)
                finite = per_draw[np.isfinite(per_draw)]
                applicable = [r for r in results if r != NOT_APPLICABLE]
                share = float(np.mean([r == "pass" for r in applicable])) if applicable else math.nan
                rows.append({"scenario": scenario, "pattern": pattern.name, "role": role, "title": pattern.title,
                             "target": pattern.target_text(), "scenario_value": mean, "scenario_result": result,
                             "scenario_passed": result == "pass",
                             "posterior_median": float(np.median(finite)) if len(finite) else math.nan,
                             "posterior_low_90": float(np.quantile(finite, 0.05)) if len(finite) else math.nan,
                             "posterior_high_90": float(np.quantile(finite, 0.95)) if len(finite) else math.nan,
                             "undefined_draws": int(len(per_draw) - len(finite)),
                             "posterior_pass_share": share,
                             "posterior_result": NOT_APPLICABLE if not applicable else (
                                 "pass" if share >= 0.5 else "fail"),
                             "posterior_passed": bool(applicable) and share >= 0.5})
    return pd.DataFrame(rows)


def parameter_table(posterior: pd.DataFrame, priors: dict[str, tuple[float, float]],
                    scenario_values: dict) -> pd.DataFrame:
    """Per parameter: prior range, scenario value, posterior median and 90% interval, and how much
    narrower than the prior the interval is."""
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    table = summarise(last, list(priors))
    table.insert(1, "prior_low", [priors[n][0] for n in table["parameter"]])
    table.insert(2, "prior_high", [priors[n][1] for n in table["parameter"]])
    table.insert(3, "scenario_value", [float(scenario_values[n]) for n in table["parameter"]])
    table["interval_share_of_prior"] = (table["high_90"] - table["low_90"]) / (table["prior_high"] - table["prior_low"])
    table["identified"] = table["interval_share_of_prior"] < NOT_IDENTIFIED
    return table


# A parameter whose posterior 90% interval spans this share of its prior range or more is "not
# identified by these patterns": the fit leaves it almost where the prior put it (issue 24).
NOT_IDENTIFIED = 0.8


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of weighted particles, (sum w)^2 / sum w^2: the number of equally
    weighted particles that would carry as much information (Liu 2001; what pyabc reports as ESS)."""
    weights = np.asarray(weights, dtype=np.float64)
    return float(weights.sum() ** 2 / np.sum(weights ** 2)) if weights.sum() > 0 else 0.0



# --- the command --------------------------------------------------------------------------------------

def cmd_calibrate(args: argparse.Namespace) -> int:
    inputs = check_inputs(args)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out) if args.out is not None else Path("results") / f"calibrate-{stamp}"
    session = Session.for_command("calibrate", args, out, layout=STAGED, unit="generations", counted=False,
                                  plan_fields=PLAN_FIELDS,
                                  holds=lambda partial: DB_NAME if (partial / DB_NAME).is_file() else None)
    session.check_folders()
    if session.is_complete():
        return session.finish_complete("calibration")
    session.refuse_occupied("calibration")
    manifest = calibration_manifest(args, inputs, stamp)
    started = time.perf_counter()
    session.resumed(manifest)  # other settings are refused before a kernel compiles or a worker starts
    if args.resume and (session.folder / DB_NAME).is_file():
        check_history(session.folder / DB_NAME, f"remove {session.folder} and start the calibration afresh")
    with open_executor(args.workers, args.scheduler) as (executor, slots, where):
        with session.working(manifest) as manifest:
            evaluate = evaluate_on(executor, slots, args.scheduler)
            state = run_abc(session.folder, inputs, args, evaluate, slots)
            names = list(inputs["priors"])
            posterior, generations = read_history(session.folder, names)
            last = posterior[posterior["generation"] == posterior["generation"].max()]
            predictive, at_scenario = predictive_checks(inputs, args, last, names, evaluate)
            seconds = time.perf_counter() - started
            scenario_values = {**{n: PARAMETERS[n].default for n in names}, **inputs["scenario"].parameters}
            card = posterior_scorecard(inputs["patterns"], predictive, at_scenario, inputs["holdout"])
            parameters = parameter_table(posterior, inputs["priors"], scenario_values)
            runs = (state["particles_evaluated"] * manifest["runs_per_particle"]
                    + (args.predictive + 1) * manifest["runs_per_particle"])
            manifest.update({"stopped": state["stopped"], "executor": where,
                             "particles_proposed": int(generations["proposed"].sum()),
                             "particles_evaluated": int(state["particles_evaluated"]), "model_runs": int(runs),
                             "effective_sample_size": round(float(generations["effective_sample_size"].iloc[-1]), 2),
                             "not_identified": parameters.loc[~parameters["identified"], "parameter"].tolist(),
                             "seconds_this_session": round(seconds, 1)})
            with session.writing_report():
                write_calibration(out, session.folder / DB_NAME, manifest, inputs, posterior, generations,
                                  parameters, card, predictive, at_scenario)
    if not args.quiet:
        print(parameters[["parameter", "prior_low", "prior_high", "median", "low_90", "high_90"]].to_string(
            index=False, float_format=lambda v: f"{v:.4g}"))

        print(console_summary(card, state["stopped"]))
        print(sample_quality(manifest, parameters, plain=True))
        print(f"report in {out / 'report.html'}")
    return 0


def calibration_manifest(args: argparse.Namespace, inputs: dict, stamp: str) -> dict:
    """What a calibration's manifest records: the plan ``--resume`` must find unchanged
    (``PLAN_FIELDS``), the method, distance and seeds in words, the patterns file itself, versions."""
    scenario = inputs["scenario"]
    return {
        "scenario": ", ".join(s.name for s in inputs["scenarios"]), "scenario_path": str(scenario.path),
        "paradigm": scenario.paradigm, "scenarios": [s.name for s in inputs["scenarios"]],
        "scenario_paths": [str(s.path) for s in inputs["scenarios"]],
        "holdout": [p.name for p in inputs["holdout"]],
        "patterns_file": str(inputs["patterns_path"]),
        "patterns_sha256": hashlib.sha256(inputs["patterns_text"].encode()).hexdigest(),
        "patterns": [p.name for p in inputs["patterns"]],
        "priors": {name: list(bounds) for name, bounds in inputs["priors"].items()},
        "prior_kind": "independent uniform over each range",
        "base_parameters": inputs["base"] if len(inputs["bases"]) == 1 else inputs["bases"],
        "population": args.population, "generations": None if args.budget is not None else args.generations,
        "budget": args.budget,
        "replications": args.replications, "citizens": args.citizens, "steps": args.steps, "seed": args.seed,
        "predictive": args.predictive, "engine": "numba",
        "runs_per_particle": inputs["runs_per_replication"] * args.replications,
        "method": "ABC-SMC (pyabc.ABCSMC): uniform acceptor, tolerance = weighted median of the previous generation's "
                  "distances (generation 0 accepts every prior draw), multivariate normal perturbation kernel "
                  "(Silverman/Scott bandwidth, pyabc default), constant population size",
        "distance": "Euclidean norm over patterns of the distance from passing in units of the pattern's tolerance "
                    "(band: outside distance / half-width; direction: shortfall of the t statistic below the 95% "
                    "critical t, over that critical t); an undefined statistic counts 3",
        "seeds": SEEDS, "runner_seeds": SEED_CONVENTION, "patterns_toml": inputs["patterns_text"],
        "versions": {**versions(), "pyabc": _pyabc_version()}, "git_commit": git_commit(), "git_dirty": git_dirty(),
        "created_utc": stamp, "command": shlex.join(["coprod", *sys.argv[1:]]),
    }


def _pyabc_version() -> str:
    return metadata.version("pyabc")


def register(cmd: argparse.ArgumentParser) -> None:
    cmd.description = ("Approximate Bayesian computation (ABC-SMC, pyabc) of a scenario's uncertain parameters "
                       "against the pattern scorecard; writes the posterior, plots, the scorecard under the posterior "
                       "predictive, a calibrated scenario and a report.")
    cmd.add_argument("scenario", nargs="?",
                     help=f"bundled scenario name or .toml path (default {DEFAULTS['scenario']})")
    cmd.add_argument("--scenarios", metavar="A,B,...",
                     help="fit the same (shared) parameters to several scenarios at once: every particle runs each "
                          "(default priors: the [uncertain] parameters they share, over the ranges' overlap)")
    cmd.add_argument("--patterns", default=str(PATTERNS_FILE), help="patterns file (default: the bundled one)")
    cmd.add_argument("--pattern", action="append", metavar="NAME", help="only this pattern (repeatable)")
    cmd.add_argument("--holdout", nargs="+", metavar="NAME",
                     help="patterns left out of the fit and scored apart under the posterior (out-of-sample check)")
    cmd.add_argument("--parameters", nargs="+", metavar="NAME=LO:HI",
                     help="parameters to calibrate with uniform priors (default: the scenario's [uncertain] table)")
    cmd.add_argument("--population", type=int, default=DEFAULTS["population"],
                     help="particles per generation (default %(default)s)")
    stop = cmd.add_mutually_exclusive_group()
    stop.add_argument("--generations", type=int, help=f"generations (default {DEFAULTS['generations']})")
    stop.add_argument("--budget", type=int, metavar="RUNS",
                      help="stop after the generation in which this many model runs are spent")
    cmd.add_argument("--replications", type=int, default=DEFAULTS["replications"],
                     help="seeds per particle, at least 2 (default %(default)s)")
    cmd.add_argument("--citizens", type=int, default=DEFAULTS["citizens"],
                     help="citizens per run (default %(default)s)")
    cmd.add_argument("--steps", type=int, default=DEFAULTS["steps"], help="months per run (default %(default)s)")
    cmd.add_argument("--predictive", type=int, default=DEFAULTS["predictive"],
                     help="posterior draws for the posterior-predictive scorecard (default %(default)s)")
    cmd.add_argument("--seed", type=int, default=DEFAULTS["seed"],
                     help="calibration seed: prior draws, perturbations and run seeds derive from it "
                          "(default %(default)s)")
    where = cmd.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: all cores)")
    where.add_argument("--scheduler", help="a dask scheduler address, tcp://HOST:PORT")
    cmd.add_argument("--out", help="result directory (default results/calibrate-<timestamp>)")
    cmd.add_argument("--resume", action="store_true", help="continue a stopped calibration in --out")
    cmd.add_argument("--quiet", action="store_true", help="no progress bars and no summary")
    cmd.set_defaults(func=_with_generation_default)


def _with_generation_default(args: argparse.Namespace) -> int:
    if args.generations is None:
        args.generations = 10**6 if args.budget is not None else DEFAULTS["generations"]
    return cmd_calibrate(args)
