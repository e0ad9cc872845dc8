"""The classroom dashboard on a projector, in a real (headless) browser: at 1280x720 and 1920x1080,
in English and Danish, in presentation mode, everything fits the window without scrolling, every
text on the page is at least 18 px as drawn (transforms counted) and inside the window, and the
picture (SVG) is shown at its natural size, with every text of it at least 18 px and inside it.
Then each lesson of docs/teaching/ is opened from the info panel in presentation mode and its
steps are walked.

Needs Playwright's Python package and the system Chromium at /usr/bin/chromium (never a
downloaded browser); skips without them, except under CI.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, free_port, month_shown, poll, require_chromium, stop_server, wait_month
from test_dashboard import LOAD_TIMEOUT_MS, _choose, _listening, _running, _start_server

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
    if (!text || !el || !el.closest('.coprod-page') || el.closest('title, style')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || parseFloat(style.opacity) === 0) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    if (!rects.length) continue;
    const box = el.getBoundingClientRect();
    const picture = el.closest('svg');  // the picture: shown 1:1 (checked below), its text drawn as sized
    const ratio = !picture && el.offsetHeight ? box.height / el.offsetHeight : 1;
    const scale = Math.abs(ratio - 1) < 0.05 ? 1 : ratio;  // a transform, not offsetHeight's rounding
    const edge = picture && picture.getBoundingClientRect();
    const clipped = picture ? rects.some(r => r.left < edge.left - 1 || r.right > edge.right + 1
                                           || r.top < edge.top - 1 || r.bottom > edge.bottom + 1)
                            : ['hidden', 'clip'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
    // (the info panel scrolls inside itself: its text need only be inside the panel's own box)
    const frame = el.closest('.coprod-info') ? el.closest('.coprod-info').getBoundingClientRect()
                                              : {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
    const outside = rects.some(r => r.left < frame.left - 1 || r.right > frame.right + 1
                                  || (!el.closest('.coprod-info') && (r.top < -1 || r.bottom > innerHeight + 1)));
    found.push({text: text.slice(0, 50), px: parseFloat(style.fontSize) * scale, clipped, outside});
  }
  return found;
}"""


def _server(tmp_path: Path):
    port = free_port()
    log_path = tmp_path / "server.log"
    server = _start_server(port, log_path, tmp_path, offline=False)
    poll(lambda: server.poll() is not None or _listening(port, None), "the server to listen", timeout=180, every=0.5)
    assert server.poll() is None, log_path.read_text()
    return server, f"http://127.0.0.1:{port}/", log_path




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
      const svg = document.querySelector('svg.coprod-picture');
      if (!svg) return false;
      const width = svg.width.baseVal.value, height = svg.height.baseVal.value;
      const box = svg.getBoundingClientRect();
      const main = document.querySelector('.coprod-main');
      const top = document.querySelector('.coprod-picture-box').getBoundingClientRect().top;
      const fills = Math.abs(width - main.clientWidth) <= 16 && Math.abs(height - (innerHeight - top)) <= 40;
      return Math.abs(box.width - width) < 1 && box.bottom <= innerHeight + 0.5 && fills;
    }""")


def _wait_settled(page, what: str) -> None:
    # The page measures its room once a second and the server redraws: on a busy machine that
    # takes a while; two settled looks a second apart make sure no redraw was under way.
    poll(lambda: _settled(page) and (time.sleep(1.5) or _settled(page)), f"the picture to settle ({what})",
          timeout=180, every=1.0)


def _measure(page, width: int, height: int, what: str, screenshot: Path) -> None:
    page.screenshot(path=str(screenshot))
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert scroll[0] <= width and scroll[1] <= height, f"{what}: the page scrolls ({scroll}); see {screenshot}"
    texts = page.evaluate(MEASURE_TEXTS)
    assert len(texts) >= 40, texts  # the controls' and the picture's
    small = [(t["text"], round(t["px"], 1)) for t in texts if t["px"] < 17.95]
    assert not small, f"{what}: text under 18 px: {small}; see {screenshot}"
    cut = [t["text"] for t in texts if t["clipped"] or t["outside"]]
    assert not cut, f"{what}: text cut off or outside the window: {cut}; see {screenshot}"
    natural, shown = page.locator(".coprod-picture").evaluate(
        "svg => [svg.width.baseVal.value, svg.getBoundingClientRect().width]")
    assert abs(natural - shown) < 1, f"{what}: the picture is scaled ({natural} px drawn, {shown} px shown)"


@pytest.mark.timeout(1200)  # two page loads, four languages and sizes settled: 3-6 minutes on a busy machine
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
                    wait_month(page, lambda m: m >= 1, "month 1", timeout=120)
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
                        _measure(page, width, height, f"{what} info",
                                 tmp_path / f"info-{width}x{height}-{language}.png")
                        page.locator(".coprod-info-close").click()
                        page.wait_for_selector(".coprod-info", state="detached")
                    assert not errors, errors
                    page.close()
            except Exception:
                for k, page in enumerate(pages):
                    try:
                        page.screenshot(path=str(tmp_path / f"failure-{k}.png"))
                    except Exception:  # noqa: BLE001 (a page that cannot be photographed must not hide the failure)
                        pass
                raise
            finally:
                browser.close()
    except Exception as err:
        raise AssertionError(f"{err}\n(screenshots in {tmp_path}; server log ends: "
                             f"{log_path.read_text(errors='replace')[-2000:]})") from err
    finally:
        stop_server(server)


# --- the lessons of docs/teaching/, walked step by step ----------------------------------------------

TEACHING = Path(__file__).resolve().parents[1] / "docs" / "teaching"

# Each lesson's steps as the page needs them: the story, the month of the change, the change and
# what the model must then run, a second try after going back, and the words the lesson must use
# for these controls (so a lesson that no longer matches the page fails here).
LESSONS = [
    {"file": "lesson-1.en.md", "story": "From client to co-citizen", "month": 24,
     "change": ("choose", "paradigm-a", "Co-citizen (NPG)"), "check": lambda run: run[0]["paradigm"] == "npg",
     "retry": ("end", "process_openness"), "retry_words": "Openness of processes",
     "words": ("Paradigm (A)", "Co-citizen (NPG)", "Openness of processes", "Back to month", "Go back")},
    {"file": "lesson-2.en.md", "story": "Savings dressed up as co-production", "month": 36,
     "change": ("home", "savings_target"), "check": lambda run: run[1]["savings_target"] == 0.0,
     "retry": ("end", "outreach"), "retry_words": "Outreach",
     "words": ("Savings target", "Outreach", "Back to month", "Go back")},
    {"file": "lesson-3.en.md", "story": "Taking over a citizens' initiative", "month": 36,
     "change": ("choose", "lever-initiative_response", "support"),
     "check": lambda run: run[0]["initiative_response"] == run[1]["initiative_response"] == "support",
     "retry": ("choose", "lever-initiative_response", "ignore"), "retry_words": "ignore",
     "words": ("Response to citizens' initiatives", "support", "ignore", "Back to month", "Go back")},
]


def _do(page, action) -> None:
    if action[0] == "choose":
        _choose(page, action[1], action[2])
    else:
        slider = page.locator(f".lever-{action[1]} [role=slider]").first
        slider.focus()
        slider.press("End" if action[0] == "end" else "Home")


def _play_to(page, month: int) -> None:
    stop = page.locator(".coprod-stop input")
    stop.fill(str(month))
    stop.press("Enter")
    page.locator(".coprod-play").click()
    wait_month(page, lambda m: m >= month, f"month {month}", timeout=240)
    page.wait_for_selector(".coprod-play:has-text('Play')")  # stopped there


def _walk_lesson(page, k: int, lesson: dict, tmp_path: Path) -> None:
    """One lesson's steps on the page, as its text tells a teacher to take them."""
    text = (TEACHING / lesson["file"]).read_text(encoding="utf-8")
    missing = [w for w in (lesson["story"], *lesson["words"], str(lesson["month"])) if w not in text]
    assert not missing, f"{lesson['file']} does not mention {missing}"
    # Set up: the story, presentation mode; the lesson opened from the info panel there.
    _choose(page, "preset", lesson["story"])
    wait_month(page, lambda m: m == 0, "the story at month 0", timeout=120)
    page.locator(".coprod-present").click()
    page.wait_for_selector(".coprod-side", state="detached")
    page.locator(".coprod-info-button").click()
    page.locator(".coprod-lesson-title").nth(k).click()
    page.wait_for_selector(f'.coprod-lesson-text:has-text("{lesson["story"]}")')
    page.locator(".coprod-info-close").click()
    page.wait_for_selector(".coprod-info", state="detached")
    # Play to the month of the change; change mid-run from All controls.
    _play_to(page, lesson["month"])
    page.locator(".coprod-present").click()
    page.wait_for_selector(".coprod-side")
    _do(page, lesson["change"])
    poll(lambda: lesson["check"](_running(page)), f"lesson {k + 1}'s change in the model")
    page.wait_for_selector(f".coprod-change:has-text('{lesson['month']}')")
    assert month_shown(page) == lesson["month"], "the change started the run again"
    _play_to(page, lesson["month"] + 3)
    # Back to the month of the change, and another try.
    back = page.locator(".coprod-back-month input")
    back.fill(str(lesson["month"]))
    back.press("Enter")
    page.locator(".coprod-back").click()
    wait_month(page, lambda m: m == lesson["month"], f"back at month {lesson['month']}", timeout=120)
    page.wait_for_selector(".coprod-change", state="detached")
    _do(page, lesson["retry"])
    page.wait_for_selector(f".coprod-change:has-text('{lesson['retry_words']}')")
    page.screenshot(path=str(tmp_path / f"lesson-{k + 1}.png"))
    page.locator(".coprod-reset").click()
    wait_month(page, lambda m: m == 0, "month 0 after Start over", timeout=120)


@pytest.mark.timeout(1800)  # three lessons of some 40 months each: 6-10 minutes on a busy 2-core machine
def test_each_lesson_can_be_walked_from_the_info_panel(tmp_path: Path):
    sync_playwright = require_chromium()
    server, url, log_path = _server(tmp_path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, errors = _open(browser, url, 1280, 720)
                speed = page.locator(".coprod-speed [role=slider]").first
                speed.focus()
                speed.press("End")  # 20 months a second
                for k, lesson in enumerate(LESSONS):
                    _walk_lesson(page, k, lesson, tmp_path)
                assert not errors, errors
            except Exception:
                for k, pg in enumerate(pg for context in browser.contexts for pg in context.pages):
                    try:
                        pg.screenshot(path=str(tmp_path / f"failure-{k}.png"))
                    except Exception:  # noqa: BLE001 (a page that cannot be photographed must not hide the failure)
                        pass
                raise
            finally:
                browser.close()
    except Exception as err:
        raise AssertionError(f"{err}\n(screenshots in {tmp_path}; server log ends: "
                             f"{log_path.read_text(errors='replace')[-2000:]})") from err
    finally:
        stop_server(server)
