"""Count the instructions a citizen-month costs, with valgrind's cachegrind: a figure the machine's
load does not move, unlike a timing on a shared machine.

For each Python given (a build's venv, e.g. this one's and e5bfe34's), steps a model of
``--citizens`` citizens on one numba thread for 2 and for 12 months under ``valgrind
--tool=cachegrind --cache-sim=no`` and prints (instructions of 12 months - of 2 months) / (10 months x
citizens): the whole month per citizen, kernels and public side, without start-up.

    python benchmarks/month_instructions.py /work/wt-base/.venv/bin/python .venv/bin/python

Slow: under valgrind numba sees another CPU, so each build compiles its kernels once more under
valgrind (10-20 minutes the first time, cached after); then about 2 minutes a run. Needs Debian's
``valgrind``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

# What runs under valgrind: a model stepped ``months`` months after the kernels are loaded.
STEP_MONTHS = """
import sys
import numba
numba.set_num_threads(1)
from coprod.model.model import CoProductionModel
model = CoProductionModel(seed=1, engine="numba", n_citizens=int(sys.argv[1]), paradigm=sys.argv[3])
for _ in range(int(sys.argv[2])):
    model.step()
"""


def instructions(python: str, citizens: int, months: int, paradigm: str) -> int:
    """Instructions cachegrind counts for the whole process."""
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", python, "-c",
         STEP_MONTHS, str(citizens), str(months), paradigm],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if not found:
        sys.exit(f"month_instructions: no instruction count in valgrind's output for {python}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pythons", nargs="+", help="the Python of each build to count")
    parser.add_argument("--citizens", type=int, default=200_000)
    parser.add_argument("--paradigm", default="npg")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("month_instructions: valgrind is not installed (Debian: apt-get install valgrind)")
    for python in args.pythons:
        short, long = (instructions(python, args.citizens, months, args.paradigm) for months in (2, 12))
        per_citizen_month = (long - short) / (10 * args.citizens)
        print(f"{python}: {per_citizen_month:,.0f} instructions a citizen-month "
              f"({args.citizens:,} citizens, {args.paradigm}, one thread)")


if __name__ == "__main__":
    main()
