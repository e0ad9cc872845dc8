"""How fluid the classroom dashboard is, and what a class of 25 costs the server.

    python benchmarks/bench_dashboard.py                  # both parts below
    python benchmarks/bench_dashboard.py --part cpu --citizens 5000 --months 40
    python benchmarks/bench_dashboard.py --part class --tabs 25

``cpu``: one month's step + redraw as a tab's session does it (model step, picture update, drawing,
JPEG encoding), timed in CPU seconds of this thread and in wall seconds, after two warm-up
months, for one arm and side by side, at the picture size of a 1920x1080 projector. The
browser's own display time is not included.

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
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

from coprod.classroom.animate import Classroom, Pictures
from coprod.classroom.dashboard import PICTURE_DPI, classroom_settings, default_settings, single_numba_thread

PROJECTOR_PICTURE = (1880, 900)  # the picture's room on a 1920x1080 screen in presentation mode


def measure(n_citizens: int, compare: bool, months: int, picture: tuple[int, int] = PROJECTOR_PICTURE
            ) -> dict[str, float]:
    settings = {**default_settings(), "n_citizens": n_citizens, "compare": compare}
    single_numba_thread()  # as the page's session does
    started = time.perf_counter()
    classroom = Classroom(classroom_settings(settings))
    width, height = picture
    pictures = Pictures(classroom, language="en", dpi=PICTURE_DPI, width=width / PICTURE_DPI,
                        height=height / PICTURE_DPI, blit=True, screen=True)
    pictures.png()
    build = time.perf_counter() - started
    parts = {"step": [], "update": [], "draw+jpeg": [], "total": [], "cpu": []}
    for month in range(months + 2):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        classroom.step()
        t1 = time.perf_counter()
        pictures.update()
        t2 = time.perf_counter()
        pictures.jpeg()  # what the page shows
        t3 = time.perf_counter()
        c1 = time.thread_time()
        if month >= 2:
            parts["step"].append(t1 - t0)
            parts["update"].append(t2 - t1)
            parts["draw+jpeg"].append(t3 - t2)
            parts["total"].append(t3 - t0)
            parts["cpu"].append(c1 - c0)
    out = {f"{name} median ms": 1000 * statistics.median(values) for name, values in parts.items()}
    out["total p90 ms"] = 1000 * statistics.quantiles(parts["total"], n=10)[-1]
    out["build s"] = build
    return out


def cpu_part(citizens: int, months: int, picture: tuple[int, int] = PROJECTOR_PICTURE) -> None:
    print(f"\n## Step + redraw at {citizens:,} citizens, picture {picture[0]}x{picture[1]} px")
    print("| configuration | CPU median ms | wall median ms | wall p90 ms | step | update | draw + JPEG | build s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for compare in (False, True):
        r = measure(citizens, compare, months, picture)
        name = f"{citizens:,} citizens, {'side by side' if compare else 'one arm'}"
        print(f"| {name} | {r['cpu median ms']:.0f} | {r['total median ms']:.0f} | {r['total p90 ms']:.0f} | "
              f"{r['step median ms']:.0f} | {r['update median ms']:.0f} | {r['draw+jpeg median ms']:.0f} | "
              f"{r['build s']:.1f} |", flush=True)


# --- a class of tabs ------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, timeout: float, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"bench_dashboard: timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def server_mb(server: subprocess.Popen) -> float:
    """Resident memory of the server: the ``coprod dashboard`` process and the solara server under it."""
    try:
        parent = psutil.Process(server.pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20
    except psutil.NoSuchProcess:
        return float("nan")


def _month(page) -> int:
    return int(re.search(r"(\d+)", page.locator(".coprod-month").inner_text()).group(1))


def _settled_mb(server: subprocess.Popen, seconds: float = 10.0) -> float:
    """The server's memory once it has stopped moving (the lowest of a few looks over ``seconds``)."""
    looks = []
    for _ in range(int(seconds / 2) + 1):
        looks.append(server_mb(server))
        time.sleep(2)
    return min(looks)


def class_part(tabs: int, steps: int, play: float) -> None:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-dashboard-{port}.log"
    command = [sys.executable, "-m", "coprod.experiments.cli", "dashboard", "--port", str(port), "--no-browser"]
    with open(log, "w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False

        _wait(lambda: server.poll() is not None or listening(), "the server", 240, 0.5)
        idle = _settled_mb(server, 4)
        latencies: list[list[float]] = []
        rates: list[float] = []
        one_tab = None
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            contexts = []
            for k in range(tabs):
                context = browser.new_context(viewport={"width": 1280, "height": 720})
                page = context.new_page()
                page.set_default_timeout(180_000)
                page.goto(url, timeout=300_000)
                page.wait_for_selector(".coprod-picture", timeout=300_000)
                _wait(lambda: not page.locator(".coprod-busy").count(), "the first model", 300)
                mine = []
                for _ in range(steps):
                    before = _month(page)
                    started = time.perf_counter()
                    page.locator(".coprod-step").click()
                    _wait(lambda: _month(page) > before, "a Step", 120, 0.01)
                    mine.append(time.perf_counter() - started)
                latencies.append(mine)
                speed = page.locator(".coprod-speed [role=slider]").first
                speed.focus()
                for _ in range(5):  # 5 months per second to 10
                    speed.press("ArrowRight")
                page.wait_for_selector("text=Months per second: 10")
                start_month, started = _month(page), time.perf_counter()
                page.locator(".coprod-play").click()
                time.sleep(play)
                page.locator(".coprod-play").click()  # pause
                rates.append((_month(page) - start_month) / (time.perf_counter() - started))
                contexts.append(context)
                if k == 0:
                    one_tab = _settled_mb(server, 6)
                print(f"tab {k + 1}: step latency median {1000 * statistics.median(mine):.0f} ms, "
                      f"played {rates[-1]:.1f} months/s, server {server_mb(server):.0f} MB", flush=True)
            every_tab = _settled_mb(server, 6)
            for context in contexts:
                context.close()
            browser.close()
        ended = lambda: log.read_text(errors="replace").count("session ended")  # noqa: E731
        _wait(lambda: ended() >= tabs, f"{tabs} sessions to end", 300, 1.0)
        after = _settled_mb(server, 20)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
    flat = [x for tab in latencies for x in tab]
    print(f"\n## A class of {tabs} tabs (2,000 citizens each, one arm, 1280x720)")
    print("| tab | Step latency median ms | max ms | played months/s (set: 10) |")
    print("|---:|---:|---:|---:|")
    for k, (mine, rate) in enumerate(zip(latencies, rates)):
        print(f"| {k + 1} | {1000 * statistics.median(mine):.0f} | {1000 * max(mine):.0f} | {rate:.1f} |")
    print(f"\nall Steps: median {1000 * statistics.median(flat):.0f} ms, p90 "
          f"{1000 * statistics.quantiles(flat, n=10)[-1]:.0f} ms")
    print(f"server memory: idle {idle:.0f} MB, one tab {one_tab:.0f} MB, {tabs} tabs {every_tab:.0f} MB, "
          f"after all closed {after:.0f} MB ({after / one_tab:.2f}x one tab)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("cpu", "class", "both"), default="both")
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--months", type=int, default=30)
    parser.add_argument("--picture", default="1880x900", help="the picture's size in pixels (default: 1920x1080's)")
    parser.add_argument("--tabs", type=int, default=25)
    parser.add_argument("--steps", type=int, default=5, help="Steps clicked in each tab")
    parser.add_argument("--play", type=float, default=5.0, help="seconds each tab plays")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    if args.part in ("cpu", "both"):
        cpu_part(args.citizens, args.months, tuple(int(v) for v in args.picture.split("x")))
    if args.part in ("class", "both"):
        class_part(args.tabs, args.steps, args.play)
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
