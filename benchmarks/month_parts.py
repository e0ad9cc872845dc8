"""Time the numba engine's three kernels of a month apart, per citizen: the citizens' pass
(``live_month``), the ties (``tend_ties``) and the tally.

Each kernel runs again and again on the same month's inputs, the three in turn so that they share
the machine's load; the citizens' state is put back before each citizens' pass, so every pass does
the same work. Prints the minimum and the median in ns a citizen.

    python benchmarks/month_parts.py                      # 10^6 citizens, one thread, 11 rounds
    python benchmarks/month_parts.py --citizens 20000 --threads 1 --rounds 300   # in cache
"""

from __future__ import annotations

import argparse
import statistics
import time

import numba

from coprod.model import engine_numba
from coprod.model.model import CoProductionModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    model = CoProductionModel(seed=1, engine="numba", n_citizens=args.citizens, paradigm="npg")
    for _ in range(3):
        model.step()
    engine = model.population
    offers = []
    month = engine.month
    engine.month = lambda offer: (offers.append(offer), month(offer))[1]
    model.step()
    del engine.month
    offer, p = offers[0], model.p
    numba.set_num_threads(args.threads)
    saved = engine.state.copy()

    def citizens():
        engine_numba.live_month(offer.theta, offer.values(), engine.indptr, engine.indices, engine.group_of,
                                engine.n_caseloads, engine.traits, engine.state, engine.seen_last, engine.seen_now)

    def ties():
        engine_numba.tend_ties(engine.indptr, engine.indices, engine.group_of, engine.group_bounds, engine.seen_now,
                               engine.strength, p["tie_build_rate"], p["tie_decay_rate"], engine.bonding,
                               engine.bridging, engine.tied)

    parts = {"citizens' pass": citizens, "ties": ties, "tally": engine.tally}
    seconds = {name: [] for name in parts}
    for part in parts.values():  # once untimed: load and compile
        part()
    for _ in range(args.rounds):
        for name, part in parts.items():
            engine.state[:] = saved
            start = time.perf_counter()
            part()
            seconds[name].append(time.perf_counter() - start)
    print(f"{args.citizens:,} citizens, {args.threads} thread(s), {args.rounds} rounds; ns a citizen, min / median")
    for name, times in seconds.items():
        per_citizen = [t * 1e9 / args.citizens for t in times]
        print(f"  {name:15s} {min(per_citizen):7.1f} / {statistics.median(per_citizen):7.1f}")


if __name__ == "__main__":
    main()
