"""Headless Chromium for the browser tests: Debian's system `chromium` driven by Playwright from
PyPI (no browser download). Without it a test skips with the reason; under CI it fails instead."""

from __future__ import annotations

import os
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
