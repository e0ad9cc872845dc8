"""A warm ``coprod run`` with defaults, launch to exit, against another build of coprod side by side.

The two commands run alternately (A B A B ...) after one warm-up each, so a shared machine's drift
falls on both; the load average is printed before and after and with every pair, and the ratio is
taken pair by pair (the issue's target: at most 0.35x of e5bfe34). Each run writes into a fresh
temporary folder that is removed afterwards. The kernel caches must be warm: the warm-up run of
each build fills a cold one (a cold run says so on screen and takes 30-60 s).

    python benchmarks/bench_run.py                                   # this build alone, 5 runs
    python benchmarks/bench_run.py --baseline /work/wt-base/.venv/bin/coprod --runs 9
    python benchmarks/bench_run.py --extra --no-plots                # e.g. the batch variant
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The issue's target for a warm ``coprod run`` at defaults, as a share of e5bfe34's wall time.
TARGET_RATIO = 0.35


def timed_run(command: list[str], extra: list[str]) -> float:
    folder = Path(tempfile.mkdtemp(prefix="bench-run-"))
    try:
        start = time.perf_counter()
        done = subprocess.run([*command, "run", "--quiet", "--out", str(folder / "out"), *extra],
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} run failed: {done.stderr[-400:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", help="another coprod executable to compare with (e.g. an older checkout's venv)")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="options added to both runs")
    args = parser.parse_args()
    this = [str(Path(sys.executable).with_name("coprod"))]
    commands = {"this": this} | ({"baseline": [args.baseline]} if args.baseline else {})
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for command in commands.values():  # warm-up: page cache and, if cold, the kernel cache
        timed_run(command, args.extra)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for k in range(args.runs):
        for name, command in commands.items():
            times[name].append(timed_run(command, args.extra))
        pair = "  ".join(f"{name} {values[-1]:.3f} s" for name, values in times.items())
        ratio = f"  ratio {times['this'][-1] / times['baseline'][-1]:.3f}" if args.baseline else ""
        print(f"pair {k + 1}: {pair}{ratio}  (load {os.getloadavg()[0]:.2f})", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'build':<10} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, values in times.items():
        print(f"{name:<10} {statistics.median(values):9.3f} {min(values):7.3f} {max(values):7.3f}")
    if args.baseline:
        ratios = [a / b for a, b in zip(times["this"], times["baseline"])]
        print(f"this / baseline, pair by pair: median {statistics.median(ratios):.3f} "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f}; target at most {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
