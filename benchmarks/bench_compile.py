"""How long a cold ``coprod run`` takes with the kernels compiled in parallel and serially.

Each repeat runs ``coprod run`` with defaults (the README's quick start) as a whole process on an
empty ``NUMBA_CACHE_DIR`` of its own, once with the parallel compile (``COPROD_COMPILE_PROCESSES``
unset: one process per usable core) and once serially (``COPROD_COMPILE_PROCESSES=1``),
alternating which goes first; the table gives the median and the range of wall times.

    python benchmarks/bench_compile.py              # 3 repeats each
    python benchmarks/bench_compile.py --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

MODES = {"parallel": None, "serial": "1"}


def cold_run(processes: str | None) -> float:
    """Seconds from launch to exit of a default ``coprod run`` on an empty kernel cache."""
    with tempfile.TemporaryDirectory(prefix="coprod-bench-compile-") as folder:
        env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join(folder, "cache"))
        env.pop("COPROD_COMPILE_PROCESSES", None)
        if processes is not None:
            env["COPROD_COMPILE_PROCESSES"] = processes
        command = [sys.executable, "-c", "import sys; from coprod.experiments.cli import main; sys.exit(main())",
                   "run", "--quiet", "--out", os.path.join(folder, "run")]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"coprod run failed: {done.stderr[-600:]}")
        return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    loads: dict[str, list[float]] = {mode: [] for mode in MODES}
    for repeat in range(args.repeats):
        order = list(MODES) if repeat % 2 == 0 else list(MODES)[::-1]
        for mode in order:
            loads[mode].append(os.getloadavg()[0])  # a shared machine: say how busy it was
            times[mode].append(cold_run(MODES[mode]))
            print(f"  repeat {repeat + 1}, {mode}: {times[mode][-1]:.1f} s (load average before: "
                  f"{loads[mode][-1]:.1f})", file=sys.stderr, flush=True)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    print(f"cold `coprod run` (defaults), {args.repeats} repeats each, {cores} usable cores")
    print(f"{'compile':<10} {'median s':>9} {'min s':>7} {'max s':>7}  {'load average before':>20}")
    for mode, values in times.items():
        print(f"{mode:<10} {statistics.median(values):9.1f} {min(values):7.1f} {max(values):7.1f}  "
              f"{min(loads[mode]):>9.1f} - {max(loads[mode]):.1f}")
    ratio = statistics.median(times["serial"]) / statistics.median(times["parallel"])
    print(f"serial / parallel: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
