"""One browser tab's run of the classroom dashboard (``Session``), and what the page reads of it:
the picture (``chart.py``), the lever changes in words and the run as a CSV table.

Imported by the page (``page.py``, in the solara server), never by ``coprod dashboard`` itself,
which only starts that server: the model, the pictures and solara stay out of the command's start.
"""

from __future__ import annotations

import ctypes
import gc
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numba
from solara.server.kernel_context import PageStatus

from coprod.classroom.animate import SERIES, Classroom, format_number, series_name
from coprod.classroom.chart import Chart
from coprod.classroom.dashboard import (
    CHOICES,
    PRESETS,
    SLIDERS,
    WORDS,
    arm_parameters,
    classroom_settings,
    label,
    lever_or_rule,
)
from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.model.paradigms import paradigm_name


# The picture is drawn at the size the page has room for (pixels), within these bounds.
def describe_change(before: dict[str, Any], after: dict[str, Any], language: str) -> str:
    """What a change of settings changed, in words: "Openness: 0,3 → 0,9" (arms named when they differ)."""
    def shown(name: str, value: Any) -> str:
        if name == "paradigm":
            return paradigm_name(value, language, short=True)
        kind = PARAMETERS[name].kind
        if kind == "choice":
            return PARAMETERS[name].choice_word(value, language)
        if kind == "bool":
            return WORDS[language]["yes" if value else "no"]
        return format_number(float(value), language)

    olds, news = arm_parameters(before), arm_parameters(after)
    per_arm = []
    for old, new in zip(olds, news):
        names = [name for name in dict.fromkeys([*old, *new]) if name != "n_citizens"]
        per_arm.append([f"{label(name, language) if name != 'paradigm' else WORDS[language]['paradigm_a']}: "
                        f"{shown(name, lever_or_rule(old, name))} → {shown(name, lever_or_rule(new, name))}"
                        for name in names if lever_or_rule(old, name) != lever_or_rule(new, name)])
    if len(per_arm) == 2 and per_arm[0] != per_arm[1]:
        return "; ".join(f"{side}: {', '.join(words)}" for side, words in zip("AB", per_arm) if words)
    return ", ".join(per_arm[0]) if per_arm else ""


def csv_table(classroom, settings: dict[str, Any], changes: list, language: str) -> str:
    """The run as a table in the page's words, its settings in # lines above it."""
    words = WORDS[language]
    sep = ";" if language == "da" else ","
    story = PRESETS[settings["preset"]][language] if settings.get("preset") else ""
    lines = [f"# {words['title']}", f"# {words['preset']}: {story or '-'}",
             f"# {words['seed']}: {settings['seed']}", f"# {words['citizens']}: {settings['n_citizens']}"]
    for arm in classroom.arms:
        levers = ", ".join(f"{label(name, language)} = " + (PARAMETERS[name].choice_word(arm.model.p[name], language)
                                                            if PARAMETERS[name].kind == "choice" else
                                                            format_number(float(arm.model.p[name]), language))
                           for name in SHOWN_LEVERS)
        lines.append(f"# {arm.label}: {paradigm_name(arm.paradigm, language, short=True)}; {levers}")
    for month, before, after in changes:
        lines.append(f"# {words['changed_at']} {month}: {describe_change(before, after, language)}")
    header = [words["side"], words["paradigm_a"], words["month"]] + [series_name(name, language) for name in SERIES]
    lines.append(sep.join(f'"{name}"' if sep in name else name for name in header))
    for arm in classroom.arms:
        shown = paradigm_name(arm.paradigm, language, short=True)
        for month in range(len(arm.history[SERIES[0]])):
            values = [format_number(float(f"{arm.history[name][month]:.6g}"), language) for name in SERIES]
            lines.append(sep.join([arm.label, shown, str(month + 1)] + values))
    return "\n".join(lines) + "\n"


DEFAULT_PICTURE = (1400, 756)
MIN_PICTURE = (640, 400)
MAX_PICTURE = (2400, 1400)
DEFAULT_MONTHS_PER_SECOND = 5
DEFAULT_STOP_MONTH = 120
SHOWN_LEVERS = SLIDERS + CHOICES


@dataclass(frozen=True)
class Frame:
    """What the page shows of a session at one moment (published by its worker thread)."""

    picture: str | None  # SVG (with hover texts on the citizens while paused)
    size: tuple[int, int]
    month: int
    playing: bool
    busy: bool
    problem: str | None
    language: str
    running: list[dict[str, Any]]  # each arm's paradigm and lever values as the model has them
    seconds: float | None  # the last step + redraw
    settings: dict[str, Any] | None  # the settings the model runs, when a change could not be made
    changes: list[tuple[int, str]]  # each lever change of this run: its month and what changed


@dataclass(frozen=True)
class Status:
    """The part of a frame the run's controls show (it changes far less often than the month). Not the
    speed or the stop month: the page shows what it was told, never an echo (``page.Transport``)."""

    playing: bool
    busy: bool


class Session:
    """One browser tab's run of the classroom.

    A single worker thread owns the model: it steps, rebuilds and draws, one thing at a time, so a
    change made while playing can never meet a half-stepped model (the crash of issue 15: drawing
    arms of 35 and 36 months). The page only sends commands (``send``) and shows the ``Frame``
    the worker publishes. Commands queue while the worker is busy, so a Step clicked during a
    rebuild is done after it, not lost, and a lever moved while playing always reaches the model.
    The worker steps only while a page is connected (``watching``) and ends with ``stop``.
    """

    def __init__(self, settings: dict[str, Any], publish: Callable[[Frame], None],
                 watching: Callable[[], bool] = lambda: True, log: Callable[[str], None] | None = None):
        self.wanted = settings
        self.publish = publish
        self.watching = watching
        self.log = log or (lambda line: None)
        self.commands: queue.SimpleQueue = queue.SimpleQueue()
        self.stopped = threading.Event()
        self.lock = threading.Lock()  # held while the classroom changes; downloads read under it
        self.playing = False
        self.stop_armed = False
        self.months_per_second = float(DEFAULT_MONTHS_PER_SECOND)
        self.stop_month = DEFAULT_STOP_MONTH
        self.classroom = None
        self.chart = None
        self.applied: dict[str, Any] | None = None
        self.picture: str | None = None  # the picture shown: SVG, drawn by the browser (chart.py)
        self.seconds: float | None = None
        self.problem: str | None = None
        self.thread: threading.Thread | None = None
        self.steps_done = 0
        self.started_with: dict[str, Any] | None = None  # the settings at month 0 of this run
        self.changes: list[tuple[int, dict[str, Any], dict[str, Any]]] = []  # (month, settings before, after)
        self.picture_size = DEFAULT_PICTURE
        self.settings_news = False  # the page must be shown other settings than it asked for

    # -- the page's side
    def send(self, kind: str, value: Any = None) -> None:
        self.commands.put((kind, value))

    def start(self, context: Any = None) -> None:
        self.thread = threading.Thread(target=self._run_in, args=(context,), daemon=True, name="coprod-session")
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.commands.put(("wake", None))

    def csv(self) -> bytes:
        """The run so far, one row per arm and month (the page's CSV download), with the page's words:
        display names in its language, and in Danish the separator and decimal comma Danish
        spreadsheets read. Lines starting with # before the table say how the run was set up."""
        with self.lock:
            settings, classroom, changes = self.applied, self.classroom, list(self.changes)
            language = (settings or {}).get("language", "en")
            return csv_table(classroom, settings, changes, language).encode("utf-8") if classroom else b""

    # -- the worker
    def _run_in(self, context: Any) -> None:
        if context is None:
            self._run()
        else:
            with context:  # reactive values set from here reach this tab's page
                self._run()

    def _run(self) -> None:
        self.log("session started")
        single_numba_thread()
        next_due = time.monotonic()
        unwatched = False
        try:
            self._guarded(lambda: self._rebuild(self.wanted))
            self._publish()
            while not self.stopped.is_set():
                wait = max(0.0, next_due - time.monotonic()) if self.playing else 1.0
                batch = self._take(wait)
                if self.stopped.is_set():
                    break
                was_playing = self.playing
                changed = self._guarded(partial(self._apply, batch))
                if self.playing and not was_playing:
                    next_due = time.monotonic()
                if self.playing and time.monotonic() >= next_due:
                    if not self.watching():
                        # No page connected (a closed or lost tab): step for nobody no more.
                        if not unwatched:
                            self.log("no page connected: stepping paused")
                        unwatched = True
                        next_due = time.monotonic() + 1.0
                    else:
                        unwatched = False
                        started = time.monotonic()
                        changed = self._guarded(lambda: self._step(1))
                        next_due = started + 1.0 / self.months_per_second
                if changed:
                    self._publish()
        finally:
            self._free()
            self.log("session ended")

    def _free(self) -> None:
        """Let the run go: the models (which Mesa would keep alive), the figure and the picture, and
        give the freed memory back to the system (``return_memory``)."""
        with self.lock:
            if self.classroom is not None:
                self.classroom.forget()
            self.classroom = self.chart = self.picture = None
        return_memory()

    def _guarded(self, action: Callable[[], Any]) -> bool:
        """Do ``action``; on an unexpected error pause, say it in one line on the page and go on, so
        the tab stays usable (the full error goes to the server's log)."""
        try:
            result = action()
            return True if result is None else bool(result)
        except Exception as err:  # noqa: BLE001 (any error: the class keeps a usable page, the log the whole error)
            self.log("unexpected error (the run is paused):\n" + traceback.format_exc())
            self.playing = False
            self.problem = f"{type(err).__name__}: {err}".splitlines()[0]
            return True

    def _take(self, wait: float) -> list[tuple[str, Any]]:
        batch = []
        try:
            batch.append(self.commands.get(timeout=wait) if wait > 0 else self.commands.get_nowait())
            while True:
                batch.append(self.commands.get_nowait())
        except queue.Empty:
            pass
        return batch

    def _apply(self, batch: list[tuple[str, Any]]) -> bool:
        """Carry out a batch of commands in order. Of settings sent one after another only the last
        is made (a slider dragged sends many); a Step or a move back first makes the settings sent
        before it, so a month stepped before a lever moved is stepped with the old value."""
        if not batch:
            return False
        pending: dict[str, Any] | None = None
        steps = 0
        for kind, value in batch:
            if kind == "speed":
                self.months_per_second = min(60.0, max(0.2, float(value)))
                continue
            if kind == "stop_month":
                self.stop_month = max(0, int(value))
                continue
            # What came before happens first: Steps before a change of settings, a change before Steps.
            if kind == "settings":
                if steps:
                    self._step(steps)
                    steps = 0
                pending = value
                continue
            if kind == "step":
                if pending is not None:
                    self._settle(pending)
                    pending = None
                steps += 1
                continue
            if kind in ("back", "reset", "size"):
                if pending is not None:
                    self._settle(pending)
                    pending = None
                if steps:
                    self._step(steps)
                    steps = 0
            if kind == "reset":
                self.playing = False
                self._publish(busy=True)
                self._rebuild(self.wanted, fresh=True)
            elif kind == "back":
                self.playing = False
                self._back(int(value))
            elif kind == "size":
                self._resize(value)
            elif kind == "play":
                self.playing = True
            elif kind == "pause":
                self.playing = False
            elif kind == "toggle":
                self.playing = not self.playing
        if self.playing:
            self.stop_armed = self.stop_month > 0 and self._month() < self.stop_month
        if pending is not None:
            self._settle(pending)
        if steps:
            self._step(steps)
        # The speed and the stop month alone change nothing the page shows (it shows what it sent):
        # no frame, so no render of the page from this thread while the class presses keys on the
        # speed slider (such a render could send the slider a value a key behind the browser's).
        return any(kind not in ("speed", "stop_month") for kind, _ in batch)

    def _month(self) -> int:
        return self.classroom.month if self.classroom else 0

    def _settle(self, settings: dict[str, Any]) -> None:
        """Make new settings: mid-run, levers and paradigms change from the next month on (with a
        ghost of the run without the change); a new story, seed, number of citizens or side by side,
        or any change at month 0, starts the run again."""
        self.wanted = settings
        if self._is_intervention(settings):
            try:
                before = self.applied
                changed = self.classroom.intervene(classroom_settings(settings)["arms"])
            except (ValueError, InputError):
                changed = None  # not possible mid-run (or not a valid value): start again below
            if changed is not None:
                if changed:
                    self.changes.append((self._month(), before, settings))
                language_changed = settings.get("language") != before.get("language")
                self.applied = settings
                if language_changed:  # the old words dimmed until the new picture is there
                    self._publish(busy=True)
                    self._new_chart()
                self._redraw()
                return
        self._publish(busy=True)
        self._rebuild(settings)

    def _is_intervention(self, settings: dict[str, Any]) -> bool:
        if self.classroom is None or self.applied is None or self._month() == 0:
            return False
        new, old = classroom_settings(settings), classroom_settings(self.applied)
        same_world = (new["seed"] == old["seed"] and len(new["arms"]) == len(old["arms"])
                      and all(a["n_citizens"] == b["n_citizens"] for a, b in zip(new["arms"], old["arms"])))
        new_story = settings.get("preset") is not None and settings.get("preset") != self.applied.get("preset")
        return same_world and not new_story

    def _back(self, month: int) -> None:
        """Back to ``month`` as it was, with the levers as they were then (later changes dropped)."""
        if self.classroom is None:
            return
        month = max(0, min(month, self._month()))
        self._publish(busy=True)
        with self.lock:
            self.classroom.back_to(month)
        self.changes = [change for change in self.changes if change[0] < month]
        restored = self.changes[-1][2] if self.changes else self.started_with
        language = (self.applied or {}).get("language", "en")
        restored = {**restored, "language": language}
        self.applied = self.wanted = restored
        self.settings_news = True  # the page shows the levers as they were
        self._redraw()

    def _resize(self, size: Any) -> None:
        """Draw the picture at the size the page has room for (so it is shown 1:1 and its text keeps
        its size in pixels on any screen)."""
        width, height = (int(v) for v in size)
        wanted = (min(max(width, MIN_PICTURE[0]), MAX_PICTURE[0]), min(max(height, MIN_PICTURE[1]), MAX_PICTURE[1]))
        if wanted == self.picture_size:
            return
        self.picture_size = wanted
        if self.classroom is not None:
            self._new_chart()
            self._redraw()

    def _rebuild(self, settings: dict[str, Any], fresh: bool = False) -> None:
        """A new classroom for new settings (or ``fresh``: Start over); only a new chart when just the
        language changed."""
        same_run = (not fresh and self.applied is not None
                    and classroom_settings(settings) == classroom_settings(self.applied))
        try:
            classroom = self.classroom if same_run else Classroom(classroom_settings(settings))
        except (ValueError, InputError) as err:
            self.problem = str(err)
            self.settings_news = True
            self.wanted = self.applied
            return
        with self.lock:
            if classroom is not self.classroom and self.classroom is not None:
                self.classroom.forget()
            self.classroom = classroom
            self.applied = settings
            if not same_run:
                self.started_with = settings
                self.changes = []
                self.seconds = None
            self.problem = None
        self._new_chart()
        self._redraw()

    def _new_chart(self) -> None:
        width, height = self.picture_size
        chart = Chart(self.classroom, language=self.applied.get("language", "en"), width=width, height=height)
        with self.lock:
            self.chart = chart

    def _redraw(self) -> None:
        with self.lock:
            self.picture = self.chart.svg()

    def _step(self, months: int) -> None:
        started = time.perf_counter()
        with self.lock:
            for _ in range(months):
                self.classroom.step()
                self.steps_done += 1
            self.picture = self.chart.svg()
        self.seconds = time.perf_counter() - started
        self.problem = None  # a month went well: an earlier error is no longer news
        if self.stop_armed and self.playing and self._month() >= self.stop_month:
            self.playing = False
            self.stop_armed = False

    def _running(self) -> list[dict[str, Any]]:
        return [{"paradigm": arm.paradigm, **{name: arm.model.p[name] for name in SHOWN_LEVERS if name in arm.model.p}}
                for arm in self.classroom.arms] if self.classroom else []

    def _publish(self, busy: bool = False) -> None:
        try:
            self._publish_frame(busy)
        except Exception:  # noqa: BLE001 (a page that cannot be shown one frame shows the next)
            self.log("could not publish a frame:\n" + traceback.format_exc())

    def _publish_frame(self, busy: bool) -> None:
        chart = self.chart
        size = (chart.width, chart.height) if chart else (0, 0)
        language = self.applied.get("language", "en") if self.applied else "en"
        picture = self.picture
        if not (self.playing or busy or chart is None):  # paused: hover texts say who each citizen is
            with self.lock:
                picture = self.picture = chart.svg(hover=True)
        news, self.settings_news = self.settings_news, False
        self.publish(Frame(
            picture=picture, size=size, month=self._month(), playing=self.playing, busy=busy, problem=self.problem,
            language=language, running=self._running(), seconds=self.seconds,
            settings=self.applied if news and self.applied else None,
            changes=[(month, describe_change(before, after, language)) for month, before, after in self.changes]))


def return_memory() -> None:
    """Collect garbage and hand freed heap memory back to the operating system (glibc's
    ``malloc_trim``): a session's thread allocates in its own arena, which glibc keeps after the
    session ends, so without this a server that had a class of 25 stays at its peak size."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def single_numba_thread() -> None:
    """Run this thread's compiled months on one thread: a month of 2,000 citizens is ~1 ms, and on
    a busy machine (the server, the browser and others share the cores) parallel regions mostly
    wait for a second core (110 ms a month at load 7 with two threads, 2 ms with one)."""
    try:
        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass


def page_connected(context: Any) -> bool:
    """Whether a browser page is connected to this solara kernel (False once the tab is gone)."""
    try:
        if context.closed_event.is_set():
            return False
        return PageStatus.CONNECTED in context.page_status.values()
    except Exception:  # noqa: BLE001 (another solara's internals: assume someone watches)
        return True


def log_line(line: str) -> None:
    """One line of the dashboard's own on stderr (the page's session reports through it)."""
    print(f"coprod dashboard: {line}", file=sys.stderr, flush=True)
