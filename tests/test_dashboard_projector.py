"""The classroom dashboard on a projector, in a real (headless) browser: at 1280x720 and 1920x1080,
in English and Danish, in presentation mode, everything fits the window without scrolling, every
text on the page is at least 18 px as drawn (transforms counted) and inside the window, and the
picture is shown at its natural size (its own text is 13 pt at 100 dpi = 18 px, and none of it
is clipped: tests/test_dashboard.py checks the figure). Then each lesson of docs/teaching/ is
opened from the info panel in presentation mode and its steps are walked.

Needs Playwright's Python package and the system Chromium at /usr/bin/chromium (never a
downloaded browser); skips without them, except under CI.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from test_dashboard import (LOAD_TIMEOUT_MS, _choose, _free_port, _listening, _month, _poll, _start_server,
                            _wait_month)

ACTION_TIMEOUT_MS = 60_000
SIZES = ((1280, 720), (1920, 1080))

# Every text node of the page that is drawn: its font size as drawn (the computed size times any
# scaling transform, such as a floating field label's) and whether it lies inside the window or is
# cut off by its element.
MEASURE_TEXTS = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || !el.closest('.coprod-page') || el.closest('svg')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || parseFloat(style.opacity) === 0) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    if (!rects.length) continue;
    const box = el.getBoundingClientRect();
    const scale = el.offsetHeight ? box.height / el.offsetHeight : 1;
    const clipped = ['hidden', 'clip'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
    const outside = rects.some(r => r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1);
    found.push({text: text.slice(0, 50), px: parseFloat(style.fontSize) * scale, clipped, outside});
  }
  return found;
}"""


def _server(tmp_path: Path):
    port = _free_port()
    log_path = tmp_path / "server.log"
    server = _start_server(port, log_path, tmp_path, offline=False)
    _poll(lambda: server.poll() is not None or _listening(port, None), "the server to listen", timeout=180, every=0.5)
    assert server.poll() is None, log_path.read_text()
    return server, f"http://127.0.0.1:{port}/", log_path


def _stop(server) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _open(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector(".coprod-picture", timeout=LOAD_TIMEOUT_MS)
    return page, errors


def _settled(page) -> bool:
    """Nothing being built, and the picture drawn for the room it has (shown 1:1)."""
    return page.evaluate("""() => {
      if (document.querySelector('.coprod-busy') || document.querySelector('.coprod-progress')) return false;
      const img = document.querySelector('.coprod-picture');
      if (!img || !img.complete || !img.naturalWidth) return false;
      const box = img.getBoundingClientRect();
      const main = document.querySelector('.coprod-main');
      const room = innerHeight - main.getBoundingClientRect().top;
      const fills = img.naturalWidth >= main.clientWidth - 16 || img.naturalHeight >= room - 30;
      return Math.abs(box.width - img.naturalWidth) < 1 && box.bottom <= innerHeight + 0.5 && fills;
    }""")


def _wait_settled(page, what: str) -> None:
    # The page measures its room once a second and the server redraws: on a busy machine that
    # takes a while; two settled looks a second apart make sure no redraw was under way.
    _poll(lambda: _settled(page) and (time.sleep(1.5) or _settled(page)), f"the picture to settle ({what})",
          timeout=180, every=1.0)


def _measure(page, width: int, height: int, what: str, screenshot: Path) -> None:
    page.screenshot(path=str(screenshot))
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert scroll[0] <= width and scroll[1] <= height, f"{what}: the page scrolls ({scroll}); see {screenshot}"
    texts = page.evaluate(MEASURE_TEXTS)
    assert len(texts) >= 8, texts
    small = [(t["text"], round(t["px"], 1)) for t in texts if t["px"] < 17.95]
    assert not small, f"{what}: text under 18 px: {small}; see {screenshot}"
    cut = [t["text"] for t in texts if t["clipped"] or t["outside"]]
    assert not cut, f"{what}: text cut off or outside the window: {cut}; see {screenshot}"
    natural, shown = page.locator(".coprod-picture").evaluate(
        "img => [img.naturalWidth, img.getBoundingClientRect().width]")
    assert abs(natural - shown) < 1, f"{what}: the picture is scaled ({natural} px drawn, {shown} px shown)"


def test_presentation_fits_any_projector_with_every_text_at_least_18_px(tmp_path: Path):
    sync_playwright = require_chromium()
    server, url, log_path = _server(tmp_path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = []
            try:
                for width, height in SIZES:
                    page, errors = _open(browser, url, width, height)
                    # A story side by side with a lever moved mid-run: the most there is to show.
                    _choose(page, "preset", "Collective beats individual?")
                    page.locator(".coprod-step").click()
                    _wait_month(page, lambda m: m >= 1, "month 1", timeout=120)
                    slider = page.locator(".lever-process_openness [role=slider]").first
                    slider.focus()
                    slider.press("End")
                    page.locator(".coprod-step").click()
                    page.wait_for_selector(".coprod-change", timeout=ACTION_TIMEOUT_MS)
                    page.locator(".coprod-present").click()
                    page.wait_for_selector(".coprod-side", state="detached")
                    pages.append(page)
                    for language, button, word in (("en", "English", "Step"), ("da", "Dansk", "Et skridt")):
                        page.get_by_text(button, exact=True).click()
                        page.wait_for_selector(f".coprod-step:has-text('{word}')")
                        what = f"{width}x{height} {language}"
                        _wait_settled(page, what)
                        _measure(page, width, height, what, tmp_path / f"present-{width}x{height}-{language}.png")
                        # The info panel (with the lessons) is there in presentation mode too, and fits.
                        page.locator(".coprod-info-button").click()
                        page.wait_for_selector(".coprod-info")
                        assert page.locator(".coprod-lesson").count() == 3
                        _measure(page, width, height, f"{what} info", tmp_path / f"info-{width}x{height}-{language}.png")
                        page.locator(".coprod-info-close").click()
                        page.wait_for_selector(".coprod-info", state="detached")
                    assert not errors, errors
                    page.close()
            except Exception:
                for k, page in enumerate(pages):
                    try:
                        page.screenshot(path=str(tmp_path / f"failure-{k}.png"))
                    except Exception:  # a page that cannot be photographed must not hide the failure
                        pass
                raise
            finally:
                browser.close()
    except Exception as err:
        raise AssertionError(f"{err}\n(screenshots in {tmp_path}; server log ends: "
                             f"{log_path.read_text(errors='replace')[-2000:]})") from err
    finally:
        _stop(server)
