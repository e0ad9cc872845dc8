"""Where a claims battery's wall time goes, process by process: a timeline of one command.

Runs ``coprod claims`` (or any coprod command given after ``--``) with the probe of
``benchmarks/timeline/sitecustomize.py`` on the path, which every process of the command (the
command itself, its pool's workers) imports at start-up, and prints, in seconds from the launch:

- the command's process: start, its own milestones (inputs checked, manifest, pool opened, first
  and last pair in, each claim's analysis, the report written, exit) and the launch-to-exit wall;
- each worker: start, ready (its initializer and warm-up done), its first batch, how many batches
  and runs, the seconds it spent running them, its last batch's end and its exit;
- the serial parts: launch to the first run anywhere, the last run's end to the command's exit.

    python benchmarks/claims_timeline.py --workers 2
    python benchmarks/claims_timeline.py --workers 1 --samples 8
    python benchmarks/claims_timeline.py --raw -- sweep default --samples 4 --workers 2 --quiet --out /tmp/s

Nothing here is timed by a test; the probe changes no output (it only wraps functions and writes
its own file).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

PROBE = Path(__file__).resolve().with_name("timeline")
# Parent milestones: (label, event) shown in this order when present (first occurrence).
PARENT_MILESTONES = (
    ("site (interpreter up)", "site"),
    ("cli.main", "main:start"),
    ("pool started (early)", "start_pool:end"),
    ("claims chosen", "chosen_claims:end"),
    ("inputs checked", "check_options:end"),
    ("manifest built", "battery_manifest:end"),
    ("pool taken (local_pool)", "local_pool:start"),
    ("workers ready", "StartedPool.ready:end"),
    ("folder locked, manifest written", "Session.working:start"),
    ("runner started", "run_tasks:start"),
    ("runner done", "run_tasks:end"),
    ("all analyses in", "ClaimAnalyses.results:end"),
    ("report writing", "Session.writing_report:start"),
    ("report written", "write_battery:end"),
    ("command returned", "cmd_claims:end"),
    ("sweep returned", "cmd_sweep:end"),
    ("exit handlers", "exit"),
)


def read_events(path: Path) -> list[tuple[float, int, int, str, str]]:
    events = []
    for line in path.read_text().splitlines():
        when, pid, ppid, event, *detail = line.split(" ", 4)
        events.append((float(when), int(pid), int(ppid), event, detail[0] if detail else ""))
    return sorted(events)


def run(command: list[str], env_extra: dict[str, str]) -> tuple[float, float, list, int]:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "timeline.log"
        env = {**os.environ, **env_extra, "COPROD_TIMELINE": str(log),
               "PYTHONPATH": os.pathsep.join([str(PROBE), *filter(None, [os.environ.get("PYTHONPATH")])])}
        launch = time.time()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        ended = time.time()
        if done.returncode:
            print(f"command failed ({done.returncode}): {done.stderr.strip().splitlines()[-3:]}")
        return launch, ended, read_events(log), done.returncode


def worker_lines(events, parent: int, t0: float) -> list[str]:
    by_pid = defaultdict(list)
    for event in events:
        if event[2] == parent:
            by_pid[event[1]].append(event)
    lines = []
    for pid, mine in sorted(by_pid.items(), key=lambda item: item[1][0][0]):
        first = {}
        for when, _, _, name, _ in mine:
            first.setdefault(name, when)
        starts = [when for when, _, _, name, _ in mine if name == "_evaluate_batch:start"]
        ends = [when for when, _, _, name, _ in mine if name == "_evaluate_batch:end"]
        runs = sum(int(detail.split("=")[1]) for _, _, _, name, detail in mine if name == "_evaluate_batch:start")
        if not starts:
            lines.append(f"  pid {pid}: no batches (start {first.get('process', t0) - t0:.2f})")
            continue
        busy = sum(end - start for start, end in zip(starts, ends))
        gaps = [b - a for a, b in zip(ends, starts[1:])]
        ready = first.get("warm_worker:end", first.get("prepare_worker:end", starts[0]))
        exit_at = max(when for when, _, _, name, _ in mine if name == "exit") if "exit" in first else float("nan")
        lines.append(
            f"  worker {pid}: start {first['process'] - t0:.2f}  site {first['site'] - t0:.2f}  "
            f"init {first.get('start_worker:end', float('nan')) - t0:.2f}  ready {ready - t0:.2f}  "
            f"first batch {starts[0] - t0:.2f}  last batch end {ends[-1] - t0:.2f}  exit {exit_at - t0:.2f}\n"
            f"      {len(starts)} batches, {runs} runs, busy {busy:.2f} s, idle between batches "
            f"{sum(gaps):.2f} s (longest {max(gaps, default=0):.3f})")
    return lines


def parent_lines(events, parent: int, t0: float, ended: float) -> list[str]:
    mine = [e for e in events if e[1] == parent]
    first = {}
    for when, _, _, name, _ in mine:
        first.setdefault(name, when)
    lines = [f"  launched 0.00, process start {first['process'] - t0:.2f}"]
    for label, name in PARENT_MILESTONES:
        if name in first:
            lines.append(f"  {first[name] - t0:6.2f}  {label}")
    pairs = [when for when, _, _, name, _ in mine if name == "pair"]
    if pairs:
        lines.append(f"  pairs in: first {pairs[0] - t0:.2f}, last {pairs[-1] - t0:.2f} ({len(pairs)})")
    analyses = defaultdict(dict)
    for when, _, _, name, detail in mine:
        if name.startswith("ClaimAnalyses._analyse"):
            analyses[detail][name.rsplit(":", 1)[1]] = when
    for claim, span in analyses.items():
        lines.append(f"    analysis {claim:<26} {span.get('start', float('nan')) - t0:6.2f} -> "
                     f"{span.get('end', float('nan')) - t0:6.2f} ({span.get('end', 0) - span.get('start', 0):.2f} s)")
    lines.append(f"  {ended - t0:6.2f}  command's process gone (wall)")
    return lines


def summary(events, parent: int, t0: float, ended: float) -> list[str]:
    starts = [e[0] for e in events if e[3] == "_evaluate_batch:start"]
    ends = [e[0] for e in events if e[3] == "_evaluate_batch:end"]
    if not starts:
        return []
    busy = sum(b - a for a, b in zip(sorted(starts), sorted(ends)))
    return [f"  serial head: launch to first run {min(starts) - t0:.2f} s; serial tail: last run's end to exit "
            f"{ended - max(ends):.2f} s; runs in between {max(ends) - min(starts):.2f} s; "
            f"run seconds in all {busy:.2f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, help="claims --samples (default: the battery's)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the coprod to time")
    parser.add_argument("--raw", action="store_true", help="the coprod command's words follow --")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.raw:
            words = [w for w in args.rest if w != "--"]
        else:
            words = ["claims", "--workers", str(args.workers), "--quiet", "--out", str(Path(folder) / "claims")]
            words += ["--samples", str(args.samples)] if args.samples else []
        launch, ended, events, _ = run([args.python, "-m", "coprod.experiments.cli", *words], {})
    parent = next(pid for _, pid, ppid, name, _ in events if name == "process" and ppid == os.getpid())
    print(f"coprod {' '.join(words[:3])}...  load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for line in parent_lines(events, parent, launch, ended) + worker_lines(events, parent, launch):
        print(line)
    for line in summary(events, parent, launch, ended):
        print(line)


if __name__ == "__main__":
    main()
