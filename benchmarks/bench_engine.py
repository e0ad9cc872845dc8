"""Benchmark the citizen engines: speed, memory, compile and start times, machine limits.

Prints one table, measured in one run on this machine. Each configuration runs in its own
subprocess (so NUMBA_NUM_THREADS and peak memory are its own); every month after one warm-up
month is timed, excluding set-up and compilation, and the median month is reported.

    python benchmarks/bench_engine.py            # full table (10^4 .. 10^7 citizens; about 2 minutes)
    python benchmarks/bench_engine.py --quick    # 10^4 .. 10^6 only
    python benchmarks/bench_engine.py --baseline /work/wt-base/.venv/bin/python --pairs 3   # side by side

The full table ends with the machine's random-gather and stream-triad rates, the bytes the
citizens' month must move per citizen (``month_timing.month_bytes``) and the share of the stream
bandwidth the month achieves at 10^6 on 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = r"""
import json, resource, statistics, sys
sys.path.insert(0, sys.argv[4])  # this folder: month_timing
from month_timing import month_bytes, time_months
from coprod.model.model import CoProductionModel
n, steps, engine = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
model = CoProductionModel(seed=1, engine=engine, n_citizens=n, paradigm="npg")
model.step()  # warm-up: compiles (or loads) kernels, first tallies
months, citizen_months = time_months(model, steps)
# The median month: this shared machine's neighbours make single months slow now and then.
step_seconds = statistics.median(months)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"rate": n / step_seconds, "step_seconds": step_seconds, "peak_bytes": peak,
                  "mean_step_seconds": statistics.fmean(months),
                  "citizen_rate": n / statistics.median(citizen_months),
                  "month_bytes": month_bytes(model.population) if hasattr(model.population, "traits") else None}))
"""

LIMITS = r"""
import json, time
import numpy as np
from numba import njit, prange

@njit(parallel=True)
def gather(values, index, out):
    for i in prange(index.shape[0]):
        out[i] = values[index[i]]

@njit(parallel=True)
def triad(a, b, c):
    for i in prange(a.shape[0]):
        a[i] = b[i] + 2.5 * c[i]

n = 20_000_000
rng = np.random.default_rng(0)
values = rng.random(n).astype(np.float32)
index = rng.integers(0, n, n).astype(np.int32)
out = np.empty(n, dtype=np.float32)
a, b, c = np.empty(n), rng.random(n), rng.random(n)
gather(values, index, out); triad(a, b, c)
t = time.perf_counter(); [gather(values, index, out) for _ in range(5)]; g = (time.perf_counter() - t) / 5
t = time.perf_counter(); [triad(a, b, c) for _ in range(5)]; s = (time.perf_counter() - t) / 5
print(json.dumps({"gathers_per_second": n / g, "triad_bytes_per_second": 3 * 8 * n / s}))
"""


def child(code: str, args: list[str], threads: int | None = None, env_extra: dict | None = None,
          python: str = sys.executable) -> dict:
    env = dict(os.environ)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    env.update(env_extra or {})
    out = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# Side by side with another build (``--baseline``): 10^6 citizens on 2 threads (big runs) and
# 2,000 citizens x 120 months on one thread (small runs), each build in its own subprocess.
SIDE_BY_SIDE = ((10**6, 20, 2), (2_000, 120, 1))


def side_by_side(baseline: str, pairs: int) -> None:
    """Alternate this build and ``baseline`` (another venv's python) ``pairs`` times per
    configuration and print each one's median rate and the ratio, with the load before and after."""
    import statistics

    print(f"side by side with {baseline}: load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for n, steps, threads in SIDE_BY_SIDE:
        rates: dict[str, list[float]] = {"this build": [], "baseline": []}
        for pair in range(pairs):
            order = [("this build", sys.executable), ("baseline", baseline)]
            for name, python in order if pair % 2 == 0 else order[::-1]:
                rates[name].append(child(CHILD, [str(n), str(steps), "numba", HERE], threads, python=python)["rate"])
        mine, theirs = statistics.median(rates["this build"]), statistics.median(rates["baseline"])
        print(f"{n:>10,} citizens, {threads} thread(s): this build {mine / 1e6:.2f} M citizen-steps/s, "
              f"baseline {theirs / 1e6:.2f} M: {mine / theirs:.2f}x "
              f"(runs: {', '.join(f'{r / 1e6:.2f}' for r in rates['this build'])} against "
              f"{', '.join(f'{r / 1e6:.2f}' for r in rates['baseline'])})")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


FIRST_MONTH = r"""
import time
from coprod.model.model import CoProductionModel
model = CoProductionModel(seed=1, engine="numba", n_citizens=10000)
model.step()
print(time.time())
"""


NETWORK = r"""
import json, sys, time
from coprod.model.network import build_network
from coprod.model.population import group_membership
n = int(sys.argv[1])
build_network(group_membership(1000, 10), 10, 8, 0.7, 1)  # compile (or load) first
groups = group_membership(n, 10)
start = time.perf_counter()
build_network(groups, 10, 8, 0.7, 1)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def start_time(cache_dir: str) -> float:
    """Seconds from launching Python to the end of the first month at 10^4 citizens (imports,
    set-up, loading or compiling every kernel), with the given Numba cache directory."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    launched = time.time()
    out = subprocess.run([sys.executable, "-c", FIRST_MONTH], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1]) - launched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip 10^7 citizens")
    parser.add_argument("--baseline", metavar="PYTHON",
                        help="only compare with another build's python (e.g. /work/wt-base/.venv/bin/python), "
                             "alternating, at 10^6 x 2 threads and 2,000 x 120 x 1 thread")
    parser.add_argument("--pairs", type=int, default=3, help="alternations per configuration with --baseline")
    args = parser.parse_args()
    if args.baseline:
        side_by_side(args.baseline, args.pairs)
        return
    sizes = [10**4, 10**5, 10**6] + ([] if args.quick else [10**7])
    rows = []
    numba = {}
    for n in sizes:
        steps = max(6, min(40, 2 * 10**7 // n))  # >= 6 months: 10^7 timings are noisy with fewer
        for threads in (1, 2):
            r = child(CHILD, [str(n), str(steps), "numba", HERE], threads)
            numba[(n, threads)] = r
            rows.append((f"numba, {n:>10,} citizens, {threads} thread{'s' if threads > 1 else ''}", n, r))
    agents = {}
    for n in (10**3, 10**4):
        r = child(CHILD, [str(n), "5" if n > 1000 else "20", "agents", HERE])
        agents[n] = r
        rows.append((f"agents, {n:>9,} citizens", n, r))

    print(f"coprod engine benchmark — {time.strftime('%Y-%m-%d')} — {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print("citizen-steps/s: the whole model month (public side included); 'citizens only': the engine's")
    print("month (decisions, ties, tallies) without the public side's per-month fixed cost. Rates use the")
    print("median month; the mean month is shown beside it.\n")
    print(f"{'configuration':<44}{'citizen-steps/s':>18}{'citizens only':>16}{'s/step':>10}{'mean s/step':>12}"
          f"{'peak B/citizen':>16}")
    for label, n, r in rows:
        print(f"{label:<44}{r['rate']:>18,.0f}{r['citizen_rate']:>16,.0f}{r['step_seconds']:>10.4f}"
              f"{r['mean_step_seconds']:>12.4f}"
              f"{r['peak_bytes'] / n:>16,.0f}")
    ratio = numba[(10**4, 2)]["rate"] / agents[10**4]["rate"]
    ratio_citizens = numba[(10**4, 2)]["citizen_rate"] / agents[10**4]["citizen_rate"]
    print(f"\nspeed ratio numba (2 threads) / agents at 10^4 citizens: {ratio:,.0f}x whole model, "
          f"{ratio_citizens:,.0f}x citizens only (target >= 150x)")
    best = numba[(10**6, 2)]["rate"]
    print(f"numba at 10^6 citizens, 2 threads: {best / 1e6:.1f} M citizen-steps/s (target >= 10 M)")
    if (10**7, 2) in numba:
        big = numba[(10**7, 2)]
        print(f"peak memory at 10^7 citizens: {big['peak_bytes'] / 10**7:.0f} B/citizen (target <= 200)")
        cost = (1 / big["rate"]) / (1 / numba[(10**5, 2)]["rate"])
        print(f"cost per citizen-step at 10^7 relative to 10^5: {cost:.2f}x (target <= 2x)")
        network = child(NETWORK, [str(10**7)], 2)
        print(f"network build at 10^7 citizens (mean degree 8, 2 threads): {network['seconds']:.1f} s (target < 60 s)")
    with tempfile.TemporaryDirectory() as cache:
        first = start_time(cache)
        warm = start_time(cache)
    print(f"launch to end of first month (numba, 10^4 citizens): first compile {first:.1f} s, "
          f"with a warm cache {warm:.1f} s (target < 2 s to start stepping)")
    limits = child(LIMITS, [], 2)
    print_machine_share(numba[(10**6, 2)], limits)


def print_machine_share(big: dict, limits: dict) -> None:
    """The machine's gather and triad rates, the bytes a month must move per citizen at 10^6 and the
    share of the stream bandwidth (triad) and of the random-gather rate the month achieves."""
    bytes_each = big["month_bytes"]
    gathers = bytes_each["neighbour_gathers"]
    moved = big["citizen_rate"] * bytes_each["total"]
    print(f"machine limit (2 threads): random gather {limits['gathers_per_second'] / 1e6:,.0f} M/s, "
          f"stream triad {limits['triad_bytes_per_second'] / 1e9:.1f} GB/s")
    print(f"bytes the citizens' month must move per citizen at 10^6 (month_timing.month_bytes): "
          f"{bytes_each['total']:.0f} B (month {bytes_each['live_month']:.0f}, ties {bytes_each['tend_ties']:.0f}, "
          f"tally {bytes_each['tally']:.0f}); {gathers:.1f} neighbour gathers")
    print(f"achieved at 10^6, 2 threads (citizens' month): {moved / 1e9:.2f} GB/s = "
          f"{moved / limits['triad_bytes_per_second']:.0%} of stream triad bandwidth; "
          f"{big['citizen_rate'] * gathers / limits['gathers_per_second']:.0%} of the random-gather rate")


if __name__ == "__main__":
    main()
