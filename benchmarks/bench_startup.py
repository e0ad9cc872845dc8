"""How quickly the quick commands answer: ``coprod --help`` and ``coprod params`` as whole processes.

Each command runs ``--runs`` times after one warm-up (so the files are in the page cache); the
median wall time is reported and checked against the target (under 1 s). The commands import no
simulation library (mesa, numba, numpy, pandas); tests/test_layout.py checks that on every run.

    python benchmarks/bench_startup.py            # 7 runs each
    python benchmarks/bench_startup.py --runs 15
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TARGET_SECONDS = 1.0
COMMANDS = (["--help"], ["params"], ["params", "--markdown"], ["scenarios"])


def wall_times(argv: list[str], runs: int) -> list[float]:
    command = [sys.executable, "-c", "import sys; from coprod.experiments.cli import main; sys.exit(main())", *argv]
    subprocess.run(command, capture_output=True, check=False)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 2):
            raise SystemExit(f"coprod {' '.join(argv)} failed: {done.stderr.decode()[-400:]}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    slow = []
    print(f"{'command':<28} {'median s':>9} {'min s':>7} {'max s':>7}")
    for argv in COMMANDS:
        times = wall_times(argv, args.runs)
        median = statistics.median(times)
        print(f"{'coprod ' + ' '.join(argv):<28} {median:9.3f} {min(times):7.3f} {max(times):7.3f}")
        if median >= TARGET_SECONDS:
            slow.append(" ".join(argv))
    print(f"target: median under {TARGET_SECONDS:g} s: " + ("met" if not slow else f"NOT met for {', '.join(slow)}"))
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
