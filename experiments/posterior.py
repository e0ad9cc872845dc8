"""The posterior of a calibration (``coprod calibrate``): read it, summarise it, draw from it.

A calibration folder holds ``posterior.parquet`` (every generation's particles: generation,
particle, weight, distance and one column per calibrated parameter) and ``manifest.json``. The
posterior is the last generation; its weights sum to 1.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.core.storage import verified
from coprod.experiments.sweep import latin_hypercube
from coprod.reports.claims_report import POSTERIOR_SUFFIX as SUFFIX

POSTERIOR_FILE = "posterior.parquet"
MANIFEST_FILE = "manifest.json"
INTERVAL = (0.05, 0.95)  # the 90% posterior interval


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of weighted values: the smallest value whose cumulative weight reaches q."""
    order = np.argsort(values, kind="stable")
    values, weights = np.asarray(values, dtype=np.float64)[order], np.asarray(weights, dtype=np.float64)[order]
    cumulative = np.cumsum(weights) / weights.sum()
    return float(values[min(int(np.searchsorted(cumulative, q, side="left")), len(values) - 1)])


@dataclass(frozen=True)
class Posterior:
    """The last generation of a calibration: ``particles`` (one column per parameter), ``weights``."""

    folder: Path
    particles: pd.DataFrame
    weights: np.ndarray
    priors: dict[str, tuple[float, float]]
    scenario: str
    digest: str
    scenarios: tuple[str, ...] = ()  # every scenario it was calibrated on (``calibrate --scenarios``)

    @property
    def names(self) -> list[str]:
        return list(self.particles.columns)

    def median(self, name: str) -> float:
        return weighted_quantile(self.particles[name].to_numpy(), self.weights, 0.5)

    def interval(self, name: str) -> tuple[float, float]:
        values = self.particles[name].to_numpy()
        return (weighted_quantile(values, self.weights, INTERVAL[0]),
                weighted_quantile(values, self.weights, INTERVAL[1]))

    def draw(self, size: int, rng: np.random.Generator) -> pd.DataFrame:
        """``size`` particles drawn with replacement in proportion to their weights."""
        index = rng.choice(len(self.particles), size=size, replace=True, p=self.weights)
        return self.particles.iloc[index].reset_index(drop=True)


def summarise(generation: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per parameter: weighted median, 90% interval and mean of one generation's particles."""
    weights = generation["weight"].to_numpy()
    rows = []
    for name in names:
        values = generation[name].to_numpy()
        rows.append({"parameter": name, "median": weighted_quantile(values, weights, 0.5),
                     "low_90": weighted_quantile(values, weights, INTERVAL[0]),
                     "high_90": weighted_quantile(values, weights, INTERVAL[1]),
                     "mean": float(np.average(values, weights=weights))})
    return pd.DataFrame(rows)


def load_posterior(folder: Path | str, option: str = "--posterior") -> Posterior:
    """The posterior of a finished ``coprod calibrate`` folder; one-line ``InputError`` otherwise."""
    folder = Path(folder)
    manifest_path, table_path = folder / MANIFEST_FILE, folder / POSTERIOR_FILE
    if not folder.is_dir():
        raise InputError(f"{option} {folder}: no such folder; allowed: the --out of a finished `coprod calibrate`")
    if not manifest_path.is_file() or not table_path.is_file():
        raise InputError(f"{option} {folder}: holds no {MANIFEST_FILE} and {POSTERIOR_FILE}; allowed: the --out "
                         "of a finished `coprod calibrate`")
    for path in (manifest_path, table_path):  # checksums first: damage is named, not read as numbers
        verified(path, f"run the calibration again (coprod calibrate ... --out a new folder), or restore {folder} "
                       "from a copy")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        priors = {name: (float(low), float(high)) for name, (low, high) in manifest["priors"].items()}
        table = pd.read_parquet(table_path)
    except Exception as err:  # noqa: BLE001 - any damage is the same one-line answer
        raise InputError(f"{option} {folder}: unreadable calibration ({type(err).__name__}: {err}); allowed: the "
                         "--out of a finished `coprod calibrate`") from None
    missing = [c for c in ("generation", "weight", *priors) if c not in table.columns]
    if missing or table.empty:
        raise InputError(f"{option} {folder}: {POSTERIOR_FILE} lacks {', '.join(missing) or 'rows'}; allowed: the "
                         "--out of a finished `coprod calibrate`")
    last = table[table["generation"] == table["generation"].max()]
    weights = last["weight"].to_numpy(dtype=np.float64)
    if not (np.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
        raise InputError(f"{option} {folder}: {POSTERIOR_FILE} has invalid weights")

    for name in priors:
        declared = PARAMETERS.get(name)
        values = last[name].to_numpy(dtype=np.float64)
        if declared is None or declared.kind not in ("float", "int") or not np.isfinite(values).all() \
                or values.min() < declared.low or values.max() > declared.high:
            raise InputError(f"{option} {folder}: parameter {name!r} is not a numeric model parameter within its "
                             "declared range")
    return Posterior(folder=folder, particles=last[list(priors)].reset_index(drop=True),
                     weights=weights / weights.sum(), priors=priors, scenario=str(manifest.get("scenario", "")),
                     digest=hashlib.sha256(table_path.read_bytes()).hexdigest(),
                     scenarios=tuple(str(s) for s in manifest.get("scenarios") or [manifest.get("scenario", "")]))


# --- claims under the posterior (`coprod claims --posterior DIR`) -------------------------------------

def under_posterior(claim, posterior: Posterior):
    """The claim's twin whose sample points take the calibrated parameters from the posterior: its
    other uncertain parameters keep their Latin hypercube over the claim's ranges, and the
    calibrated ones (whether the claim lists them or not) are posterior draws."""
    own = {name: bounds for name, bounds in claim.uncertain.items() if name not in posterior.names}
    return replace(claim, name=claim.name + SUFFIX, title=f"{claim.title} (under the calibrated posterior)",
                   uncertain={**own, **posterior.priors}, posterior=posterior)


def claim_points(claim, samples: int, seed: int) -> pd.DataFrame:
    """Sample points of a claim's posterior twin: a Latin hypercube over its own ranges, then
    ``samples`` weighted draws of the calibrated parameters (integers rounded), seeded by ``seed``."""
    posterior: Posterior = claim.posterior
    rng = np.random.default_rng(seed)
    own = {name: bounds for name, bounds in claim.uncertain.items() if name not in posterior.names}
    table = latin_hypercube(own, samples, rng) if own else pd.DataFrame(index=range(samples))
    draws = posterior.draw(samples, rng)
    for name in posterior.names:
        values = draws[name].to_numpy(dtype=np.float64)
        table[name] = np.round(values).astype(int) if PARAMETERS[name].kind == "int" else values
    return table[list(claim.uncertain)]


