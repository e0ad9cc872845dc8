"""How fluid the classroom dashboard is: one month's step + redraw, as the page's session does it.

    python benchmarks/bench_dashboard.py            # 2,000 citizens, one arm and side by side
    python benchmarks/bench_dashboard.py --months 40 --citizens 5000

For each configuration a session-like loop builds the classroom and its projector picture, then
times every month (model step, picture update, drawing, PNG encoding: what the page shows as
"step + redraw") after two warm-up months, and prints the median and the 90th percentile with
the share of each part. The browser's own display time is not included. Note the machine's load
(printed) when comparing numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from coprod.classroom.animate import Classroom, Pictures
from coprod.classroom.dashboard import (PICTURE_DPI, PICTURE_WIDTH_INCHES, classroom_settings, default_settings,
                                          single_numba_thread)


def measure(n_citizens: int, compare: bool, months: int) -> dict[str, float]:
    settings = {**default_settings(), "n_citizens": n_citizens, "compare": compare}
    single_numba_thread()  # as the page's session does
    started = time.perf_counter()
    classroom = Classroom(classroom_settings(settings))
    pictures = Pictures(classroom, language="en", dpi=PICTURE_DPI, width=PICTURE_WIDTH_INCHES, blit=True, screen=True)
    pictures.png()
    build = time.perf_counter() - started
    parts = {"step": [], "update": [], "draw+png": [], "total": []}
    for month in range(months + 2):
        t0 = time.perf_counter()
        classroom.step()
        t1 = time.perf_counter()
        pictures.update()
        t2 = time.perf_counter()
        pictures.png()
        t3 = time.perf_counter()
        if month >= 2:
            parts["step"].append(t1 - t0)
            parts["update"].append(t2 - t1)
            parts["draw+png"].append(t3 - t2)
            parts["total"].append(t3 - t0)
    out = {f"{name} median ms": 1000 * statistics.median(values) for name, values in parts.items()}
    out["total p90 ms"] = 1000 * statistics.quantiles(parts["total"], n=10)[-1]
    out["build s"] = build
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--months", type=int, default=30)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    print("| configuration | step + redraw median ms | p90 ms | step | update | draw + PNG | build s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for compare in (False, True):
        r = measure(args.citizens, compare, args.months)
        name = f"{args.citizens:,} citizens, {'side by side' if compare else 'one arm'}"
        print(f"| {name} | {r['total median ms']:.0f} | {r['total p90 ms']:.0f} | {r['step median ms']:.0f} | "
              f"{r['update median ms']:.0f} | {r['draw+png median ms']:.0f} | {r['build s']:.1f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
