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


def month_bytes(engine) -> dict[str, float]:
    """Bytes per citizen the numba engine's month must move at least, from its own arrays: each
    per-citizen record and array read (and written back where the month writes it) once per pass,
    the ties' rows (CSR indices) once, and each neighbour's byte once (a random gather: in the best
    case one byte, in the worst a cache line). The tie pass reads the ties' strengths only for
    citizens who could act together or have a tie above zero (``engine.tied``, the last month's)."""
    n = engine.n
    degree = len(engine.indices) / n
    traits, state = engine.traits.itemsize, engine.state.itemsize
    index_bytes = engine.indices.itemsize * degree
    row_bytes = engine.indptr.itemsize
    # The month computes each citizen's caseload (population.caseload_at): no array of them is read.
    live = traits + 2 * state + row_bytes + index_bytes + degree + engine.group_of.itemsize + engine.seen_now.itemsize
    tied_share = float(engine.tied.mean())
    ties = (row_bytes + engine.group_of.itemsize + engine.seen_now.itemsize + engine.tied.itemsize
            + 2 * engine.bonding.itemsize + tied_share * (index_bytes + 2 * engine.strength.itemsize * degree))
    tally = traits + state + 2 * engine.bonding.itemsize
    return {"live_month": live, "tend_ties": ties, "tally": tally, "total": live + ties + tally,
            "neighbour_gathers": degree}
