"""pyabc's ABC-SMC fitted to the pattern scorecard, sampled deterministically on coprod's executors.

Three pieces plug into ``pyabc.ABCSMC`` (Klinger, Rickert & Hasenauer 2018):

- ``PatternModel``: one particle = the scorecard's runs (``patterns.measure_points``) at the proposed
  parameters in every calibrated scenario, ``replications`` seeds; its summary statistics are each
  pattern's per-replication values.
- ``PatternDistance``: how far the particle is from passing each pattern, in units of that pattern's
  tolerance, combined as a Euclidean norm (0 when every pattern passes by the scorecard's own rule).
- ``ExecutorSampler``: proposes particles in order, seeds proposal j of generation t from
  ``SeedSequence(seed, spawn_key=(t + 1, j))``, evaluates them in batches on the runner's executor
  (this process, a local pool or dask; results come back in proposal order) and accepts in proposal
  order. The accepted population therefore depends on the seed only, not on the workers or the
  batch sizes.

pyabc draws proposals from numpy's global generator inside its ``simulate_one`` closure, so every
particle runs with that generator seeded from its own seed (and restored afterwards); a lock keeps
two threads of one dask worker from drawing at the same time. The closure is serialised with
cloudpickle (as pyabc's own samplers do): it is built by this process, never read from a file.
"""

from __future__ import annotations

import hashlib
import math
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

import cloudpickle
import numpy as np
import pyabc
from pyabc.epsilon import QuantileEpsilon
from scipy.stats import t as student
from tqdm import tqdm

from coprod.experiments.patterns import Pattern, measure_points
from coprod.experiments.runner import Task

# A pattern whose statistic is undefined in a particle (nan: e.g. no volunteers) counts as this many
# tolerances from passing: clearly failing, yet finite so that quantiles of distances stay defined.
UNDEFINED_PENALTY = 3.0
# A generation that needs more than population / MIN_ACCEPTANCE proposals is abandoned (the last
# whole generation is the posterior): a guard against a tolerance no parameter value can meet.
MIN_ACCEPTANCE = 0.01
# Proposals per executor slot in one batch (see ``ExecutorSampler.batch_size``).
BATCH_PER_SLOT = 8


# --- the model: one particle is one scorecard ---------------------------------------------------

_PARTICLE = threading.local()  # the running particle's seed, per thread
_RNG_LOCK = threading.RLock()  # numpy's global generator is shared by a process's threads


def keyed_patterns(scenarios: list[str], patterns: list[Pattern]) -> list[tuple[str, Pattern]]:
    """The summary statistics of a particle: (key, pattern) per scenario and pattern. With one
    scenario the key is the pattern's name; with several (``calibrate --scenarios``) it is
    ``scenario/pattern``, so each scenario's patterns count apart in the distance."""
    if len(scenarios) == 1:
        return [(p.name, p) for p in patterns]
    return [(f"{scenario}/{p.name}", p) for scenario in scenarios for p in patterns]


class PatternModel(pyabc.Model):
    """The scorecard's runs at one parameter proposal in every scenario of ``bases`` (name -> the
    scenario's parameters; the proposal overrides them all: shared parameters); summary statistics
    = per-replication values, keyed as ``keyed_patterns``."""

    def __init__(self, patterns: list[Pattern], bases: dict[str, dict[str, Any]], integers: list[str],
                 replications: int, steps: int):
        super().__init__(name="coprod")
        self.patterns, self.bases, self.integers = patterns, bases, integers
        self.replications, self.steps = replications, steps

    def parameters(self, proposal, base: dict[str, Any] | None = None) -> dict[str, Any]:
        values = {name: float(value) for name, value in dict(proposal).items()}
        for name in self.integers:
            values[name] = int(round(values[name]))
        return {**(base if base is not None else next(iter(self.bases.values()))), **values}

    def sample(self, pars) -> dict[str, np.ndarray]:
        seed = _PARTICLE.seed
        # The simulation itself draws from its own seeded streams, not from numpy's global
        # generator: release the lock so that other threads may propose meanwhile.
        _RNG_LOCK.release()
        try:
            tables = measure_points(self.patterns, [self.parameters(pars, base) for base in self.bases.values()],
                                    self.replications, self.steps, seed)
        finally:
            _RNG_LOCK.acquire()
        keys = iter(keyed_patterns(list(self.bases), self.patterns))
        summary = {}
        for values in tables:
            for pattern in self.patterns:
                key, _ = next(keys)
                summary[key] = values.loc[values["pattern"] == pattern.name, "value"].to_numpy(dtype=np.float64)
        return summary


def model_seed(particle_seed: int) -> int:
    """The first model seed of a particle's scorecard (replication r uses this + r, as `patterns`)."""
    return int(np.random.SeedSequence(particle_seed).generate_state(1, dtype=np.uint32)[0])


# --- the distance -----------------------------------------------------------------------------------

def pattern_terms(keyed: list[tuple[str, Pattern]], values: dict[str, np.ndarray]) -> dict[str, float]:
    """Each pattern's distance from passing, in units of its tolerance (0 = passes):

    - band ``[low, high]``: how far the mean over replications lies outside the band, over the
      band's half-width;
    - direction: how far the t statistic of the mean (mean / standard error, signed so that
      positive is the expected side) falls short of the critical t of the 95% interval, over that
      critical t. 0 exactly when the 95% interval excludes 0 on the expected side, as in the scorecard.
    """
    terms = {}
    for key, pattern in keyed:
        observed = np.asarray(values[key], dtype=np.float64)
        target = pattern.target
        if not len(observed) or not np.isfinite(observed).all():
            terms[key] = UNDEFINED_PENALTY
            continue
        mean = float(observed.mean())
        if "direction" in target:
            sign = 1.0 if target["direction"] == "positive" else -1.0
            if len(observed) < 2:
                terms[key] = UNDEFINED_PENALTY
                continue
            critical = float(student.ppf(0.975, len(observed) - 1))
            se = float(observed.std(ddof=1)) / math.sqrt(len(observed))
            if se == 0:
                terms[key] = 0.0 if sign * mean > 0 else 1.0
            else:
                terms[key] = max(0.0, critical - sign * mean / se) / critical
        else:
            half = (target["high"] - target["low"]) / 2
            terms[key] = max(0.0, target["low"] - mean, mean - target["high"]) / half
    return terms


class PatternDistance(pyabc.Distance):
    """The Euclidean norm of ``pattern_terms``; fixed (not adaptive), so a resumed calibration
    measures every particle as an uninterrupted one would."""

    def __init__(self, keyed: list[tuple[str, Pattern]]):
        super().__init__()
        self.keyed = keyed

    def __call__(self, x: dict, x_0: dict, t: int | None = None, par: dict | None = None) -> float:
        terms = pattern_terms(self.keyed, x)
        return float(math.sqrt(sum(value * value for value in terms.values())))


def observed_targets(keyed: list[tuple[str, Pattern]]) -> dict[str, np.ndarray]:
    """What pyabc stores as the observation: each pattern's target ([low, high], or [+1] / [-1])."""
    return {key: (np.array([p.target["low"], p.target["high"]]) if "low" in p.target
                  else np.array([1.0 if p.target["direction"] == "positive" else -1.0])) for key, p in keyed}


# --- the tolerance ------------------------------------------------------------------------------------

class ResumableQuantileEpsilon(QuantileEpsilon):
    """pyabc's quantile tolerance (the weighted median of the last generation's distances) that
    starts at infinity (generation 0 is the prior: no calibration sample is spent) and, when a
    stored calibration is resumed at generation t > 0, takes the median of generation t - 1 from
    the history, the value an uninterrupted run computed."""

    def __init__(self, alpha: float = 0.5):
        super().__init__(initial_epsilon=np.inf, alpha=alpha, weighted=True)

    def initialize(self, t, get_weighted_distances, get_all_records, max_nr_populations, acceptor_config):
        if t > 0:
            self._update(t, get_weighted_distances())


# --- the sampler ----------------------------------------------------------------------------------------

def particle_seed(seed: int, generation: int, proposal: int) -> int:
    """The seed of proposal ``proposal`` in ``generation`` (-1 for pyabc's prior calibration)."""
    return int(np.random.SeedSequence(seed, spawn_key=(generation + 1, proposal)).generate_state(1)[0])


_FUNCTIONS: dict[str, Callable] = {}  # worker side: unpickled simulate_one closures by digest


def simulate_particle(payload: tuple[str, bytes], seed: int):
    """Worker side: run pyabc's ``simulate_one`` once with numpy's global generator seeded from
    ``seed`` (restored afterwards, so the calling process's own draws are not disturbed)."""
    digest, blob = payload
    function = _FUNCTIONS.get(digest)
    if function is None:
        _FUNCTIONS.clear()  # one generation's closure at a time
        function = _FUNCTIONS[digest] = cloudpickle.loads(blob)
    with _RNG_LOCK:
        state = np.random.get_state()
        np.random.seed(int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint32)[0]))
        _PARTICLE.seed = model_seed(seed)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return function()
        finally:
            np.random.set_state(state)


class ExecutorSampler(pyabc.sampler.Sampler):
    """Deterministic batches of proposals on ``evaluate`` (a callable mapping a list of runner
    ``Task`` to their results in order); see the module docstring.

    ``evaluated`` counts every particle simulated (also those proposed in a batch after the
    population was full, which pyabc does not count)."""

    def __init__(self, evaluate: Callable[[list], list], seed: int, slots: int = 1, progress: bool = True):
        super().__init__()
        self.evaluate, self.seed, self.slots, self.progress = evaluate, seed, slots, progress
        self.evaluated = 0

    def batch_size(self, remaining: int, accepted: int, proposed: int) -> int:
        """Enough proposals to fill the population at the acceptance rate seen so far in this
        generation (all of them at first), at most ``BATCH_PER_SLOT`` per slot so that the bar moves
        and few particles run after the population is full; the size changes the work done, never
        the result."""
        rate = 1.0 if not proposed else max(accepted / proposed, MIN_ACCEPTANCE)
        return max(self.slots, min(math.ceil(remaining / rate), BATCH_PER_SLOT * self.slots))

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        # pyabc's own code in this process (none draws between generations today) starts every
        # generation from the same state, resumed or not.
        np.random.seed(int(np.random.SeedSequence(self.seed, spawn_key=(t + 1,)).generate_state(1, dtype=np.uint32)[0]))
        blob = cloudpickle.dumps(simulate_one)
        payload = (hashlib.sha256(blob).hexdigest(), blob)
        sample = self._create_empty_sample()
        accepted = proposed = 0
        bar = self._bar(n, t, ana_vars)
        try:
            while accepted < n and proposed < max_eval:
                size = self.batch_size(n - accepted, accepted, proposed)
                if math.isfinite(max_eval):
                    size = max(1, min(size, int(max_eval) - proposed))
                start = proposed
                tasks = [Task((t, j), payload, particle_seed(self.seed, t, j), f"generation={t} proposal={j}")
                         for j in range(start, start + size)]
                particles = self.evaluate(tasks)
                self.evaluated += len(particles)
                for particle in particles:
                    if accepted >= n:
                        break
                    sample.append(particle)
                    proposed += 1
                    if particle.accepted:
                        accepted += 1
                if bar is not None:
                    bar.update(min(accepted, n) - bar.n)
                    bar.set_postfix_str(f"acceptance {accepted / proposed:.1%}", refresh=True)
        finally:
            if bar is not None:
                bar.close()
        self.nr_evaluations_ = proposed
        if sample.n_accepted < n:
            sample.ok = False
        return sample

    def _bar(self, n: int, t: int, ana_vars):
        if not self.progress or t < 0:
            return None

        eps = ana_vars.eps(t) if ana_vars is not None else float("nan")
        tolerance = "tolerance inf (prior)" if not math.isfinite(eps) else f"tolerance {eps:.3g}"
        return tqdm(total=n, desc=f"generation {t} ({tolerance})", unit="particle", file=sys.stderr,
                    dynamic_ncols=True, mininterval=0.5)
