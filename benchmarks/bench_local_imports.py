"""What each import kept inside a function saves: its import time on top of the module that holds it.

ruff's PLC0415 wants imports at the top of the module; the few kept local (``# noqa: PLC0415``)
say in a comment what they save. This script measures those figures again (``python -X importtime``
in a fresh process: the self times of everything the extra import loads after the holding module),
median of ``--runs`` runs, so the comments can be checked on a quiet machine.

    python benchmarks/bench_local_imports.py            # 5 runs each
    python benchmarks/bench_local_imports.py --runs 9
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys

# (module that holds the local import, what it imports locally, where the comment is)
LOCAL_IMPORTS = (
    ("coprod.experiments.checks", "coprod.model.model", "experiments/checks.py check_parameters"),
    ("coprod.experiments.analyze", "coprod.model.model", "experiments/checks.py, sweep.py (analyze's view)"),
    ("coprod.experiments.sweep", "coprod.model.model", "experiments/evaluation.py evaluate_model"),
    ("coprod.experiments.claims", "coprod.experiments.run", "experiments/claims.py battery_manifest"),
    ("coprod.experiments.calibrate", "pyabc", "experiments/calibrate.py build_abc"),
    ("coprod.experiments.calibrate", "coprod.experiments.pattern_abc", "experiments/calibrate.py build_abc"),
    ("coprod.analysis.prim", "sklearn.tree", "analysis/prim.py cart_box"),
    ("coprod.reports.compare_report", "matplotlib.pyplot", "reports/figures.py"),
)
LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|")


def marginal_seconds(base: str, extra: str) -> float:
    """Seconds spent importing ``extra`` in a process that has already imported ``base``."""
    code = f"import {base}\nimport sys\nsys.stderr.write('--mark--\\n')\nimport {extra}"
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         check=True).stderr
    after = err.split("--mark--\n", 1)[1]
    return sum(int(m.group(1)) for m in map(LINE.match, after.splitlines()) if m) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'local import':<34} {'on top of':<32} {'median s':>9} {'min s':>7}  comment in")
    for base, extra, where in LOCAL_IMPORTS:
        times = [marginal_seconds(base, extra) for _ in range(args.runs)]
        print(f"{extra:<34} {base:<32} {statistics.median(times):9.3f} {min(times):7.3f}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
