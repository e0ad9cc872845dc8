"""How long the model needs to settle: the month after which each dimension's monthly output stays
near where it ends up.

For each bundled paradigm scenario, runs ``--seeds`` seeds for ``--months`` months and, for each of
the five dimensions and mean trust, reports the first month after which the 24-month rolling mean
(averaged over seeds) stays within ``--tolerance`` of its mean over the last 60 months. Prints a
Markdown table (docs/ODD.md §9 quotes it).

    python benchmarks/settling.py --citizens 1000 --seeds 3 --months 240
"""

from __future__ import annotations

import argparse

import numpy as np

from coprod.experiments.scenarios import load_scenario
from coprod.model.model import CoProductionModel

SCENARIOS = ("traditional", "npm", "default", "hybrid")
READINGS = ("innovation_output", "wellbeing_output", "efficiency_precision_output",
            "resource_mobilisation_output", "democracy_output", "mean_trust")


def settling_month(series: np.ndarray, tolerance: float, tail: int = 60, window: int = 24) -> int | None:
    """First month from which the rolling mean stays within ``tolerance`` of the final level."""
    rolling = np.convolve(series, np.ones(window) / window, mode="valid")
    final = series[-tail:].mean()
    outside = np.flatnonzero(np.abs(rolling - final) > tolerance)
    if len(outside) == 0:
        return window
    month = int(outside[-1]) + window + 1
    return None if month > len(series) - tail else month


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--months", type=int, default=240)
    parser.add_argument("--tolerance", type=float, default=0.01)
    args = parser.parse_args()
    print(f"| scenario | {' | '.join(READINGS)} |")
    print("|---|" + "---:|" * len(READINGS))
    for name in SCENARIOS:
        parameters = {**load_scenario(name).parameters, "n_citizens": args.citizens}
        frames = []
        for seed in range(args.seeds):
            model = CoProductionModel(seed=seed, **parameters)
            for _ in range(args.months):
                model.step()
            frames.append(model.datacollector.get_model_vars_dataframe()[list(READINGS)].to_numpy())
        mean = np.mean(frames, axis=0)
        cells = []
        for k in range(len(READINGS)):
            month = settling_month(mean[:, k], args.tolerance)
            cells.append("drifts" if month is None else str(month))
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
