"""How fluid the classroom dashboard is, and what a class of 25 costs the server.

    python benchmarks/bench_dashboard.py                  # every part below
    python benchmarks/bench_dashboard.py --part cpu --citizens 5000 --months 40
    python benchmarks/bench_dashboard.py --part play --citizens 2000 --speeds 5,10,20
    python benchmarks/bench_dashboard.py --part class --tabs 25

``cpu``: one month's step + redraw as a tab's session does it (model step, then the picture as an
SVG string, ``classroom/chart.py``), timed in CPU seconds of this thread and in wall seconds,
after two warm-up months, for one arm and side by side, at the picture size of a 1920x1080
projector. The browser draws the SVG: its time is not the server's and is not included.

``play``: starts ``coprod dashboard``, opens one tab at 1280x720, chooses ``--citizens`` on the page
(any of its choices, 500-20,000), sets the stop month to never, and for each of ``--speeds`` sets
the speed slider and plays for ``--play`` seconds: the months per second the page showed against
the speed set (measured from the first month shown after Play, so the click's round trip is not
counted), and the server's CPU per month played.

``class``: starts ``coprod dashboard`` and opens ``--tabs`` browser contexts in Debian's Chromium
(never a downloaded browser), one after another; each steps ``--steps`` months (the latency of
each Step: from the click to the page showing the next month) and then plays for ``--play``
seconds at 10 months per second. It reports the latency per tab, the months played per second
per tab, and the server's memory (resident set of the solara process): idle, with one tab, with
every tab, and after every tab has been closed and its session has ended.

Note the machine's load (printed): on a shared machine the numbers say as much about the
neighbours as about the dashboard.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

# The page-driving steps are the browser tests' own (tests/browser.py), so both click the same way.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    listening,
    month_shown,
    poll,
    set_speed,
    step_once,
    stop_server,
)

from coprod.classroom.animate import Classroom
from coprod.classroom.chart import Chart
from coprod.classroom.dashboard import CITIZEN_CHOICES, DEFAULT_CITIZENS, classroom_settings, default_settings
from coprod.classroom.session import single_numba_thread

PROJECTOR_PICTURE = (1880, 900)  # the picture's room on a 1920x1080 screen in presentation mode


def measure(n_citizens: int, compare: bool, months: int, picture: tuple[int, int] = PROJECTOR_PICTURE
            ) -> dict[str, float]:
    settings = {**default_settings(), "n_citizens": n_citizens, "compare": compare}
    single_numba_thread()  # as the page's session does
    started = time.perf_counter()
    classroom = Classroom(classroom_settings(settings))
    width, height = picture
    chart = Chart(classroom, language="en", width=width, height=height)
    chart.svg()
    build = time.perf_counter() - started
    parts = {"step": [], "svg": [], "total": [], "cpu": []}
    for month in range(months + 2):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        classroom.step()
        t1 = time.perf_counter()
        chart.svg()  # what the page shows
        t2 = time.perf_counter()
        c1 = time.thread_time()
        if month >= 2:
            parts["step"].append(t1 - t0)
            parts["svg"].append(t2 - t1)
            parts["total"].append(t2 - t0)
            parts["cpu"].append(c1 - c0)
    out = {f"{name} median ms": 1000 * statistics.median(values) for name, values in parts.items()}
    out["total p90 ms"] = 1000 * statistics.quantiles(parts["total"], n=10)[-1]
    out["build s"] = build
    return out


def cpu_part(citizens: int, months: int, picture: tuple[int, int] = PROJECTOR_PICTURE) -> None:
    print(f"\n## Step + redraw at {citizens:,} citizens, picture {picture[0]}x{picture[1]} px")
    print("| configuration | CPU median ms | wall median ms | wall p90 ms | step | SVG | build s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for compare in (False, True):
        r = measure(citizens, compare, months, picture)
        name = f"{citizens:,} citizens, {'side by side' if compare else 'one arm'}"
        print(f"| {name} | {r['cpu median ms']:.1f} | {r['total median ms']:.0f} | {r['total p90 ms']:.0f} | "
              f"{r['step median ms']:.1f} | {r['svg median ms']:.1f} | {r['build s']:.1f} |", flush=True)


# --- a class of tabs ------------------------------------------------------------------------------

def server_processes(server: subprocess.Popen) -> list[psutil.Process]:
    """The ``coprod dashboard`` process and the solara server under it."""
    try:
        parent = psutil.Process(server.pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def server_mb(server: subprocess.Popen) -> float:
    """Resident memory of the server (every process of it), MB."""
    try:
        return sum(p.memory_info().rss for p in server_processes(server)) / 2**20
    except psutil.NoSuchProcess:
        return float("nan")


def server_cpu(server: subprocess.Popen) -> float:
    """CPU seconds the server (every process of it) has used so far."""
    try:
        return sum(sum(p.cpu_times()[:2]) for p in server_processes(server))
    except psutil.NoSuchProcess:
        return float("nan")


def _settled_mb(server: subprocess.Popen, seconds: float = 10.0) -> float:
    """The server's memory once it has stopped moving (the lowest of a few looks over ``seconds``)."""
    looks = []
    for _ in range(int(seconds / 2) + 1):
        looks.append(server_mb(server))
        time.sleep(2)
    return min(looks)


def start_server(log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "coprod.experiments.cli", "dashboard", "--port", str(port), "--no-browser"]
    with open(log, "w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    poll(lambda: server.poll() is not None or listening(port), "the server", 240, 0.5)
    return server, f"http://127.0.0.1:{port}/"


def open_tab(browser, url: str):
    """A new browser context with the page loaded and its first model built: (context, page)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(180_000)
    page.goto(url, timeout=300_000)
    page.wait_for_selector(".coprod-picture", timeout=300_000)
    poll(lambda: not page.locator(".coprod-busy").count() and month_shown(page) == 0, "the first model", 300)
    return context, page


def play_for(page, server: subprocess.Popen, seconds: float) -> tuple[float, float]:
    """Play for ``seconds`` from the first month shown after Play, then pause: the months per second
    the page showed over that stretch, and the server's CPU seconds per month played."""
    page.locator(".coprod-play").click()
    page.wait_for_selector(".coprod-play:has-text('Pause')")
    before = month_shown(page)
    poll(lambda: month_shown(page) > before, "the first month played", 120, every=0.005)
    start_month, started, cpu = month_shown(page), time.perf_counter(), server_cpu(server)
    time.sleep(seconds)  # the measured stretch: months shown over this time
    played, elapsed = month_shown(page) - start_month, time.perf_counter() - started
    cpu = server_cpu(server) - cpu
    page.locator(".coprod-play").click()  # pause
    page.wait_for_selector(".coprod-play:has-text('Play')")
    return played / elapsed, cpu / max(played, 1)


def one_tab(browser, url: str, server: subprocess.Popen, steps: int, play: float) -> dict[str, float]:
    """Open a tab, click Step ``steps`` times (each Step's latency), play at 10 months a second for
    ``play`` seconds (months shown per second, and the server's CPU per month played); the tab stays open."""
    context, page = open_tab(browser, url)
    latencies = [step_once(page) for _ in range(steps)]
    set_speed(page, 10)
    rate, cpu = play_for(page, server, play)
    return {"context": context, "latencies": latencies, "rate": rate, "cpu per month": cpu}


def choose_citizens(page, citizens: int) -> None:
    """Choose the number of citizens on the page and wait for the new model (month 0, not busy)."""
    step_once(page)  # so the rebuild's month 0 is news
    page.locator(".coprod-citizens .v-select__slot").click()
    page.get_by_role("option", name=str(citizens), exact=True).click()
    poll(lambda: month_shown(page) == 0 and not page.locator(".coprod-busy").count(),
         f"the model of {citizens:,} citizens", 300)


def play_part(citizens: int, speeds: list[int], seconds: float) -> None:
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-dashboard-play-{os.getpid()}.log"
    server, url = start_server(log)
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            _, page = open_tab(browser, url)
            if citizens != DEFAULT_CITIZENS:
                choose_citizens(page, citizens)
            page.locator(".coprod-stop input").fill("0")  # never stop: every speed plays its whole stretch
            page.locator(".coprod-stop input").press("Enter")
            for speed in speeds:
                set_speed(page, speed)
                rows.append((speed, *play_for(page, server, seconds)))
                print(f"set {speed} months/s: played {rows[-1][1]:.1f}", flush=True)
            browser.close()
    finally:
        stop_server(server)
    print(f"\n## Play in one tab: {citizens:,} citizens, one arm, 1280x720, {seconds:g} s at each speed")
    print("| set months/s | played months/s | played / set | server CPU ms a month played |")
    print("|---:|---:|---:|---:|")
    for speed, rate, cpu in rows:
        print(f"| {speed} | {rate:.1f} | {rate / speed:.2f} | {1000 * cpu:.1f} |")


def class_part(tabs: int, steps: int, play: float) -> None:
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-dashboard-{os.getpid()}.log"
    server, url = start_server(log)
    tabs_seen = []
    try:
        idle = _settled_mb(server, 4)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for k in range(tabs):
                tabs_seen.append(one_tab(browser, url, server, steps, play))
                if k == 0:
                    first_tab = _settled_mb(server, 6)
                tab = tabs_seen[-1]
                print(f"tab {k + 1}: Step latency median {1000 * statistics.median(tab['latencies']):.0f} ms, "
                      f"played {tab['rate']:.1f} months/s, server CPU {1000 * tab['cpu per month']:.0f} ms a month, "
                      f"server {server_mb(server):.0f} MB", flush=True)
            every_tab = _settled_mb(server, 6)
            for tab in tabs_seen:
                tab["context"].close()
            browser.close()
        poll(lambda: log.read_text(errors="replace").count("session ended") >= tabs, f"{tabs} sessions to end",
             300, 1.0)
        after = _settled_mb(server, 20)
    finally:
        stop_server(server)
    report(tabs_seen, {"idle": idle, "one tab": first_tab, "every tab": every_tab, "after": after})


def report(tabs: list[dict], memory: dict[str, float]) -> None:
    print(f"\n## A class of {len(tabs)} tabs (2,000 citizens each, one arm, 1280x720)")
    print("| tab | Step latency median ms | max ms | played months/s (set: 10) | server CPU ms a month played |")
    print("|---:|---:|---:|---:|---:|")
    for k, tab in enumerate(tabs):
        mine = tab["latencies"]
        print(f"| {k + 1} | {1000 * statistics.median(mine):.0f} | {1000 * max(mine):.0f} | {tab['rate']:.1f} | "
              f"{1000 * tab['cpu per month']:.1f} |")
    flat = [x for tab in tabs for x in tab["latencies"]]
    print(f"\nall Steps: median {1000 * statistics.median(flat):.0f} ms, p90 "
          f"{1000 * statistics.quantiles(flat, n=10)[-1]:.0f} ms" if len(flat) > 1 else "")
    rates = [t["rate"] for t in tabs]
    print(f"played at set 10 months/s: median {statistics.median(rates):.1f}, lowest {min(rates):.1f} months/s")
    print(f"server CPU per month played: median {1000 * statistics.median(t['cpu per month'] for t in tabs):.1f} ms "
          "(model, SVG, solara and websocket: all of the server's work for a month)")
    print(f"server memory: idle {memory['idle']:.0f} MB, one tab {memory['one tab']:.0f} MB, {len(tabs)} tabs "
          f"{memory['every tab']:.0f} MB, after all closed {memory['after']:.0f} MB "
          f"({memory['after'] / memory['one tab']:.2f}x one tab)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("cpu", "play", "class", "all"), default="all")
    parser.add_argument("--citizens", type=int, default=DEFAULT_CITIZENS, choices=CITIZEN_CHOICES,
                        help="citizens for cpu and play (the page's choices)")
    parser.add_argument("--speeds", default="5,10,20", help="play: the speeds set, months per second (1-20)")
    parser.add_argument("--months", type=int, default=30)
    parser.add_argument("--picture", default="1880x900", help="the picture's size in pixels (default: 1920x1080's)")
    parser.add_argument("--tabs", type=int, default=25)
    parser.add_argument("--steps", type=int, default=5, help="Steps clicked in each tab")
    parser.add_argument("--play", type=float, default=5.0, help="seconds each tab plays (play: at each speed)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    speeds = [int(v) for v in args.speeds.split(",")]
    if not all(1 <= v <= 20 for v in speeds):
        parser.error(f"--speeds: got {args.speeds}; allowed: integers 1-20, comma-separated")
    if args.part in ("cpu", "all"):
        cpu_part(args.citizens, args.months, tuple(int(v) for v in args.picture.split("x")))
    if args.part in ("play", "all"):
        play_part(args.citizens, speeds, args.play)
    if args.part in ("class", "all"):
        class_part(args.tabs, args.steps, args.play)
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
