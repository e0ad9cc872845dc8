"""Time a model's months as the benchmarks report them: each whole month and, inside it, the
citizens' engine month (the public side's cost is the difference)."""

from __future__ import annotations

import time


def time_months(model, steps: int) -> tuple[list[float], list[float]]:
    """Step ``model`` ``steps`` months; returns the seconds of each month and of each engine month."""
    engine = model.population
    month = engine.month
    engine_seconds: list[float] = []

    def timed(offer):
        start = time.perf_counter()
        tally = month(offer)
        engine_seconds.append(time.perf_counter() - start)
        return tally

    engine.month = timed
    months = []
    try:
        for _ in range(steps):
            start = time.perf_counter()
            model.step()
            months.append(time.perf_counter() - start)
    finally:
        del engine.month  # the engine's own method again
    return months, engine_seconds
