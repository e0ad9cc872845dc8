"""Wall time and simulations of `coprod calibrate` on the default scenario (target: under 30 minutes
at 2,000 citizens x 120 months on 2 cores).

    python benchmarks/bench_calibrate.py                       # the target configuration (30-60 min)
    python benchmarks/bench_calibrate.py --citizens 300 --steps 36 --population 20 --generations 3   # a quick look

Runs the command in a subprocess (its own pool of --workers processes), then reads the result's
manifest and tables: wall time, particles proposed and simulated, model runs, tolerance and
acceptance per generation, and which patterns pass under the posterior and at the scenario's values.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

TARGET_MINUTES = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--population", type=int, default=50)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--out", help="keep the calibration here (default: a temporary folder)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench-calibrate-")) / "calibration"
    command = [sys.executable, "-m", "coprod.experiments.cli", "calibrate", "default", "--citizens", str(args.citizens),
               "--steps", str(args.steps), "--workers", str(args.workers), "--population", str(args.population),
               "--generations", str(args.generations), "--replications", str(args.replications), "--quiet",
               "--out", str(out)]
    load = os.getloadavg()
    start = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - start
    manifest = json.loads((out / "manifest.json").read_text())
    generations = pd.read_parquet(out / "generations.parquet")
    card = pd.read_parquet(out / "scorecard.parquet")
    print(f"coprod calibrate default: {args.citizens} citizens x {args.steps} months, population {args.population}, "
          f"{args.replications} replications, {args.workers} workers (load average at start {load[0]:.1f})")
    print(f"wall time {seconds / 60:.1f} min (target < {TARGET_MINUTES:.0f} min: "
          f"{'met' if seconds / 60 < TARGET_MINUTES else 'NOT met'}); stopped: {manifest['stopped']}")
    print(f"particles proposed {manifest['particles_proposed']}, simulated {manifest['particles_evaluated']}, "
          f"model runs {manifest['model_runs']} ({manifest['runs_per_particle']} per particle, predictive checks "
          "included)")
    print(generations.to_string(index=False))
    print(card[["pattern", "target", "scenario_value", "scenario_passed", "posterior_median", "posterior_low_90",
                "posterior_high_90", "posterior_pass_share", "posterior_passed"]].to_string(index=False))
    print(f"result in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
