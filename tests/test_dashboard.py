"""The classroom dashboard in a real (headless) browser: load, step, play, move a lever, switch
paradigm, language and story, and see the month counter and the picture change.

Needs Playwright's Python package and the system Chromium at /usr/bin/chromium (never a
downloaded browser). Without them the test skips, except under CI (CI set), where it fails.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

LOAD_TIMEOUT_MS = 60_000
ACTION_TIMEOUT_MS = 20_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"coprod dashboard exited early with code {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"coprod dashboard did not listen on port {port} within {timeout} s")


def _month(page) -> int:
    text = page.locator(".coprod-month").inner_text()
    return int(re.search(r"(\d+)", text).group(1))


def _wait_month(page, check, what: str, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    month = _month(page)
    while time.monotonic() < deadline:
        month = _month(page)
        if check(month):
            return month
        time.sleep(0.1)
    raise AssertionError(f"month counter stuck at {month}, expected {what}")


def _picture(page) -> bytes:
    return page.locator(".coprod-picture").screenshot()


def _choose(page, select_class: str, option: str) -> None:
    page.locator(f".{select_class} .v-field").click()
    page.get_by_role("option", name=option).click()


def test_dashboard_in_browser(tmp_path: Path):
    sync_playwright = require_chromium()

    port = _free_port()
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "coprod.experiments.cli", "dashboard", "--port", str(port), "--host", "127.0.0.1",
         "--no-browser"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(port, server, timeout=60)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 1150})
                page.set_default_timeout(ACTION_TIMEOUT_MS)
                page.goto(f"http://127.0.0.1:{port}/", timeout=LOAD_TIMEOUT_MS)
                page.wait_for_selector(".coprod-picture", timeout=LOAD_TIMEOUT_MS)
                assert _month(page) == 0
                start = _picture(page)

                # Step: one month on, the picture changes.
                page.get_by_role("button", name="Step").click()
                _wait_month(page, lambda m: m == 1, "1 after Step")
                stepped = _picture(page)
                assert stepped != start

                # Play, then pause: the months run on by themselves, then stop.
                page.get_by_role("button", name="▶").click()
                _wait_month(page, lambda m: m >= 4, "at least 4 while playing")
                page.get_by_role("button", name="❚❚").click()
                time.sleep(0.5)
                paused = _month(page)
                time.sleep(1.0)
                assert _month(page) == paused, "the run went on after Pause"
                assert _picture(page) != stepped

                # Reset: back to month 0 with the same settings.
                page.get_by_role("button", name="Reset").click()
                _wait_month(page, lambda m: m == 0, "0 after Reset")

                # A lever: the savings target to its maximum restarts the run with that value.
                slider = page.locator(".lever-savings_target [role=slider]").first
                slider.focus()
                slider.press("End")
                page.wait_for_selector("text=Savings target: 0.6")
                _wait_month(page, lambda m: m == 0, "0 after a lever moved")

                # The paradigm: customer (NPM) instead of co-citizen (NPG).
                before = _picture(page)
                _choose(page, "paradigm-a", "Customer (NPM)")
                page.wait_for_function(
                    "() => document.querySelector('.paradigm-a').innerText.includes('Customer (NPM)')")
                page.get_by_role("button", name="Step").click()
                _wait_month(page, lambda m: m == 1, "1 after Step in NPM")
                assert _picture(page) != before

                # Language: Danish labels, hover explanations in Danish.
                page.get_by_role("button", name="Dansk").click()
                page.wait_for_selector(".coprod-title:has-text('Samskabelse i undervisningen')")
                page.wait_for_selector(".coprod-month:has-text('Måned')")
                page.wait_for_selector("text=Besparelse: 0.6")
                page.locator(".lever-savings_target").hover()
                page.wait_for_selector("text=spares væk i forventning", timeout=10_000)

                # A story: two paradigms side by side on the same seed.
                _choose(page, "preset", "Fra klient til medborger")
                page.wait_for_selector(".paradigm-b")
                for _ in range(3):
                    page.get_by_role("button", name="Step").click()
                    time.sleep(0.3)
                _wait_month(page, lambda m: m == 3, "3 after three Steps side by side")
                page.mouse.move(0, 0)
                time.sleep(0.5)
                page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
                assert (tmp_path / "dashboard.png").stat().st_size > 10_000
            finally:
                browser.close()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()
    # The server stopped on SIGTERM: nothing listens on its port any more.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2.0).close()


# --- the page's settings, without a browser ----------------------------------------------------

def test_every_story_builds_two_arms_that_differ():
    from coprod.experiments.animate import Classroom
    from coprod.experiments.dashboard import PRESETS, apply_preset, classroom_settings, default_settings

    for key in PRESETS:
        settings = {**apply_preset(default_settings(), key), "n_citizens": 200}
        classroom = Classroom(classroom_settings(settings))
        assert len(classroom.arms) == 2
        a, b = (arm.model.p for arm in classroom.arms)
        assert a != b, key
        classroom.step()
        assert classroom.arms[0].model.steps == classroom.arms[1].model.steps == 1
    savings = apply_preset(default_settings(), "savings")
    assert savings["arms"][1]["overrides"]["savings_target"] == 0.5
    takeover = apply_preset(default_settings(), "takeover")
    assert [arm["overrides"]["initiative_response"] for arm in takeover["arms"]] == ["support", "takeover"]


def test_levers_come_from_the_declarations_with_both_languages():
    from coprod.experiments.dashboard import CHOICES, SLIDERS, explanation, label, lever_value, default_settings
    from coprod.model.parameters import PARAMETERS
    from coprod.model.paradigms import paradigm_values

    assert 6 <= len(SLIDERS) <= 8
    settings = default_settings()
    for name in SLIDERS + CHOICES:
        assert label(name, "da") and label(name, "da") != name
        assert explanation(name, "en") == PARAMETERS[name].description
        assert explanation(name, "da") != explanation(name, "en")
        expected = paradigm_values("npg").get(name, PARAMETERS[name].default)
        assert lever_value(settings, name) == expected
    moved = {**settings, "common": {"outreach": 0.9}}
    assert lever_value(moved, "outreach") == 0.9
