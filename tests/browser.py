"""Headless Chromium for the browser tests: Debian's system `chromium` driven by Playwright from
PyPI (no browser download). Without it a test skips with the reason; under CI it fails instead."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but the browser test cannot run: {reason}")
    pytest.skip(reason)


def require_chromium():
    """Playwright's ``sync_playwright``, or skip (fail under CI) with the reason."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install playwright; no browser download needed)")
    if not os.path.exists(CHROMIUM):
        unavailable(f"no system Chromium at {CHROMIUM} (apt-get install chromium)")
    return sync_playwright


def render_offline(html: Path, screenshot: Path) -> tuple[list[int], list[str]]:
    """Open a local HTML file; return each image's natural width (0 if it did not load) and every
    console error, page error or failed request; save a full-page screenshot."""
    sync_playwright = require_chromium()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
            page.goto(html.resolve().as_uri(), wait_until="load")
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return widths, errors


# --- driving the classroom dashboard (its browser tests and benchmarks/bench_dashboard.py) ---------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(check, what: str, timeout: float = 90.0, every: float = 0.1):
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout`` s (a
    busy machine is slow, so callers wait on a condition with room to spare, never a fixed time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def stop_server(server: subprocess.Popen) -> None:
    """Stop a server started in a session of its own: politely, then for sure."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def month_shown(page) -> int:
    """The month the dashboard's page shows."""
    return int(re.search(r"(\d+)", page.locator(".coprod-month").inner_text()).group(1))


def wait_month(page, check, what: str, timeout: float = 90.0) -> int:
    """Wait until the page's month satisfies ``check``; the month."""
    return poll(lambda: (lambda month: check(month) and (month,))(month_shown(page)), f"month {what}",
                timeout)[0]


def step_once(page, timeout: float = 120.0) -> float:
    """Click Step and wait for the next month on the page; the seconds it took."""
    before = month_shown(page)
    started = time.perf_counter()
    page.locator(".coprod-step").click()
    poll(lambda: month_shown(page) > before, "the month after a Step", timeout, every=0.01)
    return time.perf_counter() - started


def set_speed(page, months_per_second: int, label: str = "Months per second") -> None:
    """Move the speed slider (1-20 months a second) to ``months_per_second`` by keys pressed as fast
    as the browser takes them (faster than the server answers: the page must not lose any), and
    wait until the slider and its label both say so."""
    slider = page.locator(".coprod-speed [role=slider]").first
    slider.focus()
    slider.press("Home")
    for _ in range(months_per_second - 1):
        slider.press("ArrowRight")
    wanted = (f"{label}: {months_per_second}", str(months_per_second))
    seen = []

    def shown() -> bool:
        seen.append((page.locator(".coprod-speed .coprod-label").inner_text(), slider.get_attribute("aria-valuenow")))
        return seen[-1] == wanted

    try:
        poll(shown, f"the speed slider and its label at {months_per_second}", timeout=60)
    except AssertionError as err:
        raise AssertionError(f"{err}; label and slider show {seen[-1]}") from None
