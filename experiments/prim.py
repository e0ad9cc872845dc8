"""PRIM-style box search: where in parameter space does a condition hold?

Patient Rule Induction Method (Friedman & Fisher 1999), peeling only: starting from the whole
sample, repeatedly remove the ``alpha`` share of points at the low or high end of one parameter,
choosing the peel that most raises the share of points where the condition holds, until the box
keeps less than ``min_support`` of the points. The box with the highest density (ties: the larger
box) is chosen; then, for readability, each restriction is dropped again if the box's density falls
by no more than ``tolerance`` without it (the box "simplification" step of Bryant & Lempert 2010).
The result carries its coverage (share of all holding points inside it) and density.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Box:
    limits: dict[str, tuple[float, float]]  # only the parameters the box restricts; -inf/inf = open side
    density: float  # share of points inside the box where the condition holds
    coverage: float  # share of all holding points that fall inside the box
    support: float  # share of all points inside the box

    def describe(self) -> str:
        """Readable conditions, e.g. 'critical_mass < 0.12 and facilitation_skill > 0.4'."""
        parts = []
        for name, (low, high) in self.limits.items():
            if np.isfinite(low):
                parts.append(f"{name} > {low:.3g}")
            if np.isfinite(high):
                parts.append(f"{name} < {high:.3g}")
        return " and ".join(parts) if parts else "anywhere in the sampled ranges"


def peel(X: np.ndarray, holds: np.ndarray, names: list[str], alpha: float = 0.05,
         min_support: float = 0.1, tolerance: float = 0.05) -> Box:
    X = np.asarray(X, dtype=np.float64)
    holds = np.asarray(holds, dtype=bool)
    n = len(holds)
    inside = np.ones(n, dtype=bool)
    full_low, full_high = X.min(axis=0), X.max(axis=0)
    low, high = full_low.copy(), full_high.copy()
    total_holding = max(int(holds.sum()), 1)
    best = (holds.mean() if n else 0.0, low.copy(), high.copy())
    while inside.sum() / n > min_support:
        candidates = []
        for j in range(X.shape[1]):
            values = X[inside, j]
            for side in ("low", "high"):
                cut = np.quantile(values, alpha) if side == "low" else np.quantile(values, 1 - alpha)
                keep = inside & ((X[:, j] > cut) if side == "low" else (X[:, j] < cut))
                if keep.sum() == 0 or keep.sum() == inside.sum():
                    continue
                candidates.append((holds[keep].mean(), int(keep.sum()), j, side, cut, keep))
        if not candidates:
            break
        density, count, j, side, cut, keep = max(candidates, key=lambda c: (c[0], c[1]))
        if count / n < min_support:
            break
        inside = keep
        if side == "low":
            low[j] = cut
        else:
            high[j] = cut
        if density > best[0]:
            best = (density, low.copy(), high.copy())
    density, best_low, best_high = best
    best_low, best_high = _simplify(X, holds, best_low, best_high, full_low, full_high, density - tolerance)
    box_inside = np.all((X >= best_low) & (X <= best_high), axis=1)
    count = int(box_inside.sum())
    density = float(holds[box_inside].mean()) if count else 0.0
    limits = {name: (float(best_low[j]) if best_low[j] > full_low[j] else -np.inf,
                     float(best_high[j]) if best_high[j] < full_high[j] else np.inf)
              for j, name in enumerate(names) if best_low[j] > full_low[j] or best_high[j] < full_high[j]}
    return Box(limits=limits, density=density,
               coverage=float((holds & box_inside).sum() / total_holding), support=float(count / n))


def _simplify(X, holds, low, high, full_low, full_high, floor):
    """Drop restrictions, least useful first, while the density stays at or above ``floor``."""
    low, high = low.copy(), high.copy()
    while True:
        options = []
        for j in range(X.shape[1]):
            if low[j] <= full_low[j] and high[j] >= full_high[j]:
                continue
            trial_low, trial_high = low.copy(), high.copy()
            trial_low[j], trial_high[j] = full_low[j], full_high[j]
            inside = np.all((X >= trial_low) & (X <= trial_high), axis=1)
            options.append((float(holds[inside].mean()), j))
        options = [o for o in options if o[0] >= floor]
        if not options:
            return low, high
        _, j = max(options)
        low[j], high[j] = full_low[j], full_high[j]
