"""``coprod dashboard``: a classroom dashboard in the browser (served by solara).

The page lets a class pick a paradigm (client, customer, co-citizen or hybrid), move the levers
that matter most, step or play the months, and see the network of citizens and the five value
dimensions change; a second paradigm can run beside the first on the same seed, and presets
tell the stories of the source material. A lever moved mid-run applies from the next month, beside
a ghost of the run without the change (``animate.Arm.intervene``); the class can go back to a
month and try another change. The picture is drawn at the size the page has room for, so its text
is 18 px on any projector. Every word on the page switches between English and
Danish, so the controls are the page's own solara components (Mesa's SolaraViz controls cannot be
translated); the model is still a Mesa model (``Classroom``).

Each browser tab gets a ``Session``: one worker thread that alone steps, rebuilds and draws its
model, so nothing the class clicks while the run plays can meet a half-stepped model, and the
worker ends when the tab closes.

The command starts ``python -m solara run page.py`` (the page's components, ``classroom/page.py``)
in a subprocess bound to 127.0.0.1 by default; Ctrl-C stops it. Only the page imports solara, so
``coprod`` stays quick to start for every other command.
The page's browser files come installed (``solara-assets``): nothing is fetched at run time.
"""

from __future__ import annotations

import argparse
import errno
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coprod.classroom.chart import Chart
from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.model.paradigms import paradigm_values

# The levers on the page. Ranges and defaults come from PARAMETERS; a paradigm's rule set gives
# the starting value of the levers it sets.
SLIDERS = ("savings_target", "budget_per_citizen", "frontline_autonomy", "process_openness", "outreach",
           "output_target_pressure", "facilitation_orientation", "facilitation_skill")
CHOICES = ("cp_level", "power_sharing", "initiative_response", "ngo_relation")
CITIZEN_CHOICES = (500, 1000, 2000, 5000, 10000, 20000)
DEFAULT_CITIZENS = 2000

# The page's own words (parameters and paradigms are named where they are declared).
WORDS = {
    "en": {"title": "Co-production in the classroom", "language": "Language", "compare": "Side by side",
           "paradigm_a": "Paradigm", "paradigm_b": "Second paradigm (B)", "preset": "Story",
           "no_preset": "(choose a story)", "levers": "Levers (apply to both sides)", "citizens": "Citizens",
           "seed": "Seed", "month": "Month",
           "restart": "A lever moved mid-run applies from the next month. A new story, number of citizens, seed or "
                      "side by side starts again at month 0.",
           "mid_run": "Move a lever while the run goes on: it applies from the next month, and a faint dashed line "
                      "shows what would have happened without any change.",
           "changed_at": "Changed at month", "ghost_hint": "(dashed: without any change)",
           "back_month": "Back to month", "back": "Go back", "close": "Close", "yes": "yes", "no": "no",
           "side_a": "A only", "side_b": "B only", "redraw": "step + redraw",
           "paradigm_hint": "Paradigm: the rule set that gives actors their roles",
           "step": "Step", "play": "▶ Play", "pause": "❚❚ Pause", "reset": "Start over", "speed": "Months per second",
           "stop": "Stop at month (0: never)", "present": "Presentation", "present_off": "All controls",
           "busy": "Building the model…", "download_png": "Picture (PNG)", "download_csv": "Data (CSV)",
           "info": "What am I looking at?", "side": "side"},
    "da": {"title": "Samskabelse i undervisningen", "language": "Sprog", "compare": "Side om side",
           "paradigm_a": "Paradigme", "paradigm_b": "Andet paradigme (B)", "preset": "Fortælling",
           "no_preset": "(vælg en fortælling)", "levers": "Greb (gælder begge sider)", "citizens": "Borgere",
           "seed": "Frø", "month": "Måned",
           "restart": "Et greb flyttet undervejs gælder fra næste måned. En ny fortælling, et nyt antal borgere, "
                      "et nyt frø eller side om side starter forfra fra måned 0.",
           "mid_run": "Flyt et greb, mens kørslen går: det gælder fra næste måned, og en svag stiplet linje viser, "
                      "hvad der ville være sket uden nogen ændring.",
           "changed_at": "Ændret i måned", "ghost_hint": "(stiplet: uden nogen ændring)",
           "back_month": "Tilbage til måned", "back": "Gå tilbage", "close": "Luk", "yes": "ja", "no": "nej",
           "side_a": "kun A", "side_b": "kun B", "redraw": "skridt + tegning",
           "paradigm_hint": "Paradigme: de regler, der giver aktørerne deres roller",
           "step": "Et skridt", "play": "▶ Afspil", "pause": "❚❚ Pause", "reset": "Start forfra",
           "speed": "Måneder pr. sekund",
           "stop": "Stop i måned (0: aldrig)", "present": "Præsentation", "present_off": "Alle knapper",
           "busy": "Bygger modellen…", "download_png": "Billede (PNG)", "download_csv": "Data (CSV)",
           "info": "Hvad ser jeg på?", "side": "side"},
}
# The stories of the sources: each arm is a bundled scenario with extra overrides.
PRESETS = {
    "client_to_cocitizen": {
        "en": "From client to co-citizen", "da": "Fra klient til medborger",
        "arms": [("traditional", {}), ("default", {})]},
    "savings": {
        "en": "Savings dressed up as co-production", "da": "Besparelser forklædt som samskabelse",
        "arms": [("hybrid", {}), ("savings_cut", {"savings_target": 0.5})]},
    "takeover": {
        "en": "Taking over a citizens' initiative", "da": "Kommunen overtager et borgerinitiativ",
        "arms": [("npg_individual", {"initiative_response": "support"}), ("takeover", {})]},
    "collective": {
        "en": "Collective beats individual?", "da": "Slår kollektiv individuel?",
        "arms": [("npg_individual", {}), ("npg_collective", {})]},
}


def label(name: str, language: str) -> str:
    """A parameter's label on the page (declared with the parameter)."""
    return PARAMETERS[name].display(language)


def explanation(name: str, language: str) -> str:
    """A parameter's one-line explanation (shown on hover; declared with the parameter)."""
    return PARAMETERS[name].explain(language)


def slider_step(name: str) -> float:
    declared = PARAMETERS[name]
    if declared.kind == "int":
        return 1
    span = float(declared.high) - float(declared.low)
    for step in (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0):
        if span / step <= 120:
            return step
    return span / 100


def default_settings() -> dict[str, Any]:
    """The page's starting point: one co-citizen (NPG) arm of 2,000 citizens, seed 0."""
    return {"seed": 0, "n_citizens": DEFAULT_CITIZENS, "compare": False, "language": "en", "preset": None,
            "arms": [{"paradigm": "npg", "overrides": {}}, {"paradigm": "traditional", "overrides": {}}],
            "common": {}}


def arm_parameters(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Model overrides of each arm: its paradigm, the preset's own values, then the levers moved on the page."""
    arms = settings["arms"][: 2 if settings["compare"] else 1]
    return [{"paradigm": arm["paradigm"], **arm["overrides"], **settings["common"],
             "n_citizens": int(settings["n_citizens"])} for arm in arms]


def lever_value(settings: dict[str, Any], name: str) -> Any:
    """What a lever shows: a moved value, else arm A's preset value, else A's paradigm rule, else the default."""
    if name in settings["common"]:
        return settings["common"][name]
    first = settings["arms"][0]
    if name in first["overrides"]:
        return first["overrides"][name]
    return paradigm_values(first["paradigm"]).get(name, PARAMETERS[name].default)


def apply_preset(settings: dict[str, Any], key: str) -> dict[str, Any]:
    """Settings for a story: two arms side by side, each a bundled scenario plus the story's values."""
    from coprod.experiments.scenarios import load_scenario

    arms = []
    for scenario, extra in PRESETS[key]["arms"]:
        parameters = dict(load_scenario(scenario).parameters)
        parameters.update(extra)
        paradigm = parameters.pop("paradigm")
        parameters.pop("n_citizens", None)
        arms.append({"paradigm": paradigm, "overrides": parameters})
    return {**settings, "arms": arms, "common": {}, "compare": True, "preset": key}


def classroom_settings(settings: dict[str, Any]) -> dict[str, Any]:
    # The compiled engine: a month of 2,000 citizens takes about 1 ms instead of 40 (the engines
    # agree; see tests/test_engine_equivalence.py).
    return {"arms": arm_parameters(settings), "seed": int(settings["seed"]), "engine": "numba"}


def describe_change(before: dict[str, Any], after: dict[str, Any], language: str) -> str:
    """What a change of settings changed, in words: "Openness: 0,3 → 0,9" (arms named when they differ)."""
    from coprod.classroom.animate import format_number
    from coprod.model.paradigms import paradigm_name

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


def lever_or_rule(parameters: dict[str, Any], name: str) -> Any:
    """A lever's value in an arm's overrides, else its paradigm's rule, else its default."""
    if name in parameters:
        return parameters[name]
    return paradigm_values(parameters["paradigm"]).get(name, PARAMETERS[name].default)


def download_name(settings: dict[str, Any], month: int, suffix: str) -> str:
    """A download's file name: the story (or paradigms), the month and the language."""
    language = settings.get("language", "en")
    if settings.get("preset"):
        what = settings["preset"]
    else:
        what = "-vs-".join(arm["paradigm"] for arm in settings["arms"][: 2 if settings["compare"] else 1])
    return f"coprod-{what}-{'maaned' if language == 'da' else 'month'}{int(month):03d}-{language}.{suffix}"


def csv_table(classroom, settings: dict[str, Any], changes: list, language: str) -> str:
    """The run as a table in the page's words, its settings in # lines above it."""
    from coprod.classroom.animate import SERIES, format_number, series_name
    from coprod.model.paradigms import paradigm_name

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


def lessons(language: str) -> list[tuple[str, str]]:
    """The lessons of docs/teaching/ in a language: (title, Markdown), in order. Read from the
    source tree (the dashboard runs from a checkout installed in place); none if it is not there."""
    folder = Path(__file__).resolve().parents[1] / "docs" / "teaching"
    found = []
    for path in sorted(folder.glob(f"lesson-*.{language}.md")):
        text = path.read_text(encoding="utf-8")
        title, _, body = text.partition("\n")
        found.append((title.lstrip("# ").strip(), body.strip()))
    return found


# --- one tab's run: a worker thread that alone touches the model ------------------------------

# The picture is drawn at the size the page has room for (pixels), within these bounds.
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
    months_per_second: float
    stop_month: int
    changes: list[tuple[int, str]]  # each lever change of this run: its month and what changed


@dataclass(frozen=True)
class Status:
    """The part of a frame the run's controls show (it changes far less often than the month)."""

    playing: bool
    busy: bool
    months_per_second: float
    stop_month: int


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
                changed = self._guarded(lambda: self._apply(batch))
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
        except Exception as err:
            import traceback

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
            elif kind == "speed":
                self.months_per_second = min(60.0, max(0.2, float(value)))
            elif kind == "stop_month":
                self.stop_month = max(0, int(value))
        if self.playing:
            self.stop_armed = self.stop_month > 0 and self._month() < self.stop_month
        if pending is not None:
            self._settle(pending)
        if steps:
            self._step(steps)
        return True

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
        from coprod.classroom.animate import Classroom

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
        except Exception:  # a page that cannot be shown one frame shows the next
            import traceback

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
            months_per_second=self.months_per_second, stop_month=self.stop_month,
            changes=[(month, describe_change(before, after, language)) for month, before, after in self.changes]))


def return_memory() -> None:
    """Collect garbage and hand freed heap memory back to the operating system (glibc's
    ``malloc_trim``): a session's thread allocates in its own arena, which glibc keeps after the
    session ends, so without this a server that had a class of 25 stays at its peak size."""
    import ctypes
    import gc

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
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass


def page_connected(context: Any) -> bool:
    """Whether a browser page is connected to this solara kernel (False once the tab is gone)."""
    try:
        from solara.server.kernel_context import PageStatus

        if context.closed_event.is_set():
            return False
        return PageStatus.CONNECTED in context.page_status.values()
    except Exception:  # another solara's internals: assume someone watches
        return True


def log_line(line: str) -> None:
    """One line of the dashboard's own on stderr (the page's session reports through it)."""
    print(f"coprod dashboard: {line}", file=sys.stderr, flush=True)


INFO = {
    "en": """
**The five value dimensions** (each 0 to 1; thin line: this month, thick line: 6-month average; the
numbers beside each plot are the current values, A in blue, B in red):

- **Innovation**: new ideas from citizens taken up in the service.
- **Wellbeing & empowerment**: how well citizens fare and how much they feel they can act.
- **Efficiency & precision**: how well the service's hours meet the needs that are there.
- **Resource mobilisation**: citizens' own time and resources added to the service.
- **Democracy**: whose voice is heard and taken up.

**Inequality**: solid line the Gini of wellbeing (the number shown), dashed the share of the richest
fifth taking part, dotted the share of the poorest fifth.

**The paradigms**: the citizen as *client* (traditional administration: rules and professionals
decide), as *customer* (New Public Management: targets, choice, savings), as *co-citizen* (New
Public Governance: shared power, facilitation, networks), or a *hybrid* of NPM and NPG.

**The stories**: *From client to co-citizen* (the same town under the traditional paradigm and
under NPG); *Savings dressed up as co-production* (a hybrid, and the same with half the staff
budget cut in the hope that citizens take over); *Taking over a citizens' initiative* (the
municipality supports a citizens' initiative, or takes it over); *Collective beats individual?*
(individual against collective co-production).

**The network**: about 200 citizens; grey does not take part, blue individually, orange in a group,
green collectively; a ring marks a volunteer, squares are professionals (dotted lines: whom they
invited this month), stars are NGOs. Pause and hover over a citizen to see who they are.

**Levers mid-run**: move a lever while the run goes on: it applies from the next month. A vertical
dashed line marks the month, and a faint dashed line shows the same run without any change (the run
as it began: same seed, same random numbers), so the gap between the lines is what the changes did
together; a second or third change leaves that line where it is. *Back to month* returns to a
month before a change, so the class can try another; *Start over* begins again at month 0 with the
levers as they stand.

**Keys**: the space bar plays and pauses.

**Lessons** (10-15 minutes each; also in docs/teaching/):
""",
    "da": """
**De fem værdidimensioner** (hver fra 0 til 1; tynd linje: denne måned, tyk linje: 6-måneders
gennemsnit; tallene ved siden af hver graf er de aktuelle værdier, A i blåt, B i rødt):

- **Innovation**: nye idéer fra borgerne, som ydelsen tager op.
- **Trivsel & handlekraft**: hvordan borgerne har det, og hvor meget de føler, de kan handle.
- **Effektivitet & træfsikkerhed**: hvor godt ydelsens timer rammer de behov, der er.
- **Ressourcemobilisering**: borgernes egen tid og egne ressourcer, der lægges i ydelsen.
- **Demokrati**: hvis stemme bliver hørt og taget op.

**Ulighed**: fuldt optrukket linje er Gini for trivsel (tallet, der vises), stiplet andelen af den
rigeste femtedel, der deltager, prikket andelen af den fattigste femtedel.

**Paradigmerne**: borgeren som *klient* (traditionel forvaltning: regler og fagfolk bestemmer), som
*kunde* (ny offentlig ledelse, NPM: mål, frit valg, besparelser), som *medborger* (netværksstyring,
NPG: delt magt, facilitering, netværk) eller en *hybrid* af NPM og NPG.

**Fortællingerne**: *Fra klient til medborger* (samme by under det traditionelle paradigme og under
NPG); *Besparelser forklædt som samskabelse* (en hybrid, og den samme med halvdelen af
personalebudgettet sparet væk i håb om, at borgerne tager over); *Kommunen overtager et
borgerinitiativ* (kommunen støtter et borgerinitiativ eller overtager det); *Slår kollektiv
individuel?* (individuel mod kollektiv samskabelse).

**Netværket**: omkring 200 borgere; grå deltager ikke, blå individuelt, orange i en gruppe, grøn
kollektivt; en ring er en frivillig, firkanter er medarbejdere (prikkede linjer: hvem de inviterede
denne måned), stjerner er foreninger. Sæt på pause, og hold musen over en borger for at se, hvem det er.

**Greb undervejs**: flyt et greb, mens kørslen går: det gælder fra næste måned. En lodret stiplet
linje markerer måneden, og en svag stiplet linje viser den samme kørsel uden nogen ændring (kørslen,
som den begyndte: samme frø, samme tilfældige tal), så forskellen mellem linjerne er, hvad
ændringerne tilsammen gjorde; en anden eller tredje ændring flytter ikke den linje. *Tilbage til
måned* går tilbage til en måned før en ændring, så klassen kan prøve en anden; *Start forfra*
begynder igen fra måned 0 med grebene, som de står.

**Taster**: mellemrumstasten afspiller og sætter på pause.

**Lektioner** (10-15 minutter hver; se også docs/teaching/):
""",
}

# Every text on the page is at least 18 px (read from the back of a classroom, issue 26); the picture
# is drawn at the size the page has room for, so its text (13 pt at 100 dpi) is 18 px too.
CSS = """
.coprod-page * { font-size: 18px !important; line-height: 1.3; }
.coprod-bar, .coprod-changes { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px;
  padding: 4px 12px; }
.coprod-page .v-btn { text-transform: none; letter-spacing: 0; }
.coprod-page .v-label--active { transform: translateY(-22px) scale(1) !important; }
.coprod-bar .v-input, .coprod-changes .v-input { padding-top: 16px !important; }
.coprod-page .coprod-title { font-size: 24px !important; font-weight: bold; display: block; margin: 4px 0 8px; }
.coprod-page .coprod-month { font-size: 28px !important; font-weight: bold; min-width: 5.4em; }
.coprod-page .coprod-hint { flex: 1 1 400px; }
.coprod-body { display: flex; gap: 12px; align-items: flex-start; padding: 0 12px; }
.coprod-side { flex: 0 0 340px; max-width: 100%; max-height: calc(100vh - 150px); overflow-y: auto; }
@media (max-width: 1400px) { .coprod-side { flex-basis: 300px; } }
.coprod-main { flex: 1 1 600px; min-width: 0; }
.coprod-picture-box { position: relative; max-width: 100%; }
.coprod-chart svg.coprod-picture { display: block; }
.coprod-picture-box.busy svg.coprod-picture { opacity: 0.5; }
.coprod-page .coprod-label { color: #444; }
.coprod-page .coprod-change { font-weight: bold; color: #333; }
.coprod-page .coprod-busy { color: #b35900; font-weight: bold; }
.coprod-speed { width: 210px; }
.coprod-speed .v-input { margin-top: -6px; }
.coprod-stop { width: 205px; }
.coprod-back-month { width: 170px; }
.coprod-bar .v-input, .coprod-changes .v-input { margin-top: 0; padding-top: 4px; }
.coprod-bar .v-text-field__details, .coprod-changes .v-text-field__details { display: none; }
.coprod-info { position: fixed; top: 4vh; left: 5vw; right: 5vw; bottom: 4vh; overflow-y: auto; z-index: 20;
  background: white; padding: 16px 28px; box-shadow: 0 4px 24px rgba(0, 0, 0, 0.35); border-radius: 6px; }
.coprod-info .coprod-info-close { float: right; }
.coprod-info h1, .coprod-info h2, .coprod-info h3 { font-size: 22px !important; }
.coprod-lesson .coprod-lesson-title { font-weight: bold; white-space: normal; height: auto !important;
  min-height: 36px; text-align: left; justify-content: flex-start; }
"""


# --- coprod dashboard --------------------------------------------------------------------------

def register(parser: argparse.ArgumentParser) -> None:
    parser.description = "Start the classroom dashboard (a Mesa SolaraViz page served by solara). Ctrl-C stops it."
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    parser.set_defaults(func=dashboard_command)


def cdn_packages() -> list[str]:
    """The npm packages (``name@version``) solara's page template loads from its CDN."""
    import re

    import solara.server
    from solara.server import settings

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    found = set(re.findall(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+)/", template.read_text(encoding="utf-8")))
    # The template names the apps of both Vue versions; the page loads only the installed one's.
    import ipyvue

    unused = "solara-vuetify-app@" if ipyvue.__version__.startswith("3") else "solara-vuetify3-app@"
    found = {spec for spec in found if unused not in spec}
    if settings.assets.fontawesome_enabled:
        found.add(settings.assets.fontawesome_path.strip("/").split("/")[0])
    return sorted(found)


def missing_assets() -> list[str]:
    """The browser packages (``name@version``) the page needs that are not installed locally.

    The page's JavaScript and fonts come from solara's asset folder, which the ``solara-assets``
    package fills at install time (a project dependency), so the dashboard never fetches anything
    when it starts and works on a machine that was never online.
    """
    from solara.server import settings

    cache = Path(settings.assets.proxy_cache_dir)
    return [spec for spec in cdn_packages() if not (cache / spec).is_dir()]


# Where solara would fetch a file it lacks: nowhere (a closed local port fails at once), so a
# missing file is a quick 404 in the browser, never minutes of retries against the internet.
NO_CDN = "http://127.0.0.1:9/"
# A tab whose connection is gone (closed without goodbye, laptop asleep) is given this long to
# come back before its session is dropped; a tab that says goodbye ends its session at once.
SESSION_GRACE = "30s"


def dashboard_command(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise InputError(f"--port: got {args.port}; allowed: an integer in [1, 65535]")
    try:
        import solara  # noqa: F401
    except ImportError as err:
        raise InputError(f"the dashboard needs solara (mesa[rec]): {err}") from None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((args.host, args.port))
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, errno.EACCES):  # the port is taken or privileged
                raise InputError(f"--port {args.port} on --host {args.host}: cannot bind ({err.strerror}); "
                                 "choose another port") from None
            raise InputError(f"--host {args.host}: cannot listen there ({err.strerror}); allowed: 127.0.0.1 (the "
                             "default) or an address of this machine") from None
    missing = missing_assets()
    if missing:
        raise InputError(f"the dashboard's browser files are not installed ({', '.join(missing)}): "
                         "run the README's install command again (pip install -e . brings them with solara-assets)")
    url = f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0') else args.host}:{args.port}/"
    page = Path(__file__).resolve().with_name("page.py")  # solara runs this file and shows its Page
    command = [sys.executable, "-W", "ignore::UserWarning:solara.validate_hooks", "-m", "solara", "run", str(page),
               "--host", args.host, "--port", str(args.port), "--production", "--no-open"]
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_ASSETS_PROXY": "True",
           "SOLARA_ASSETS_CDN": NO_CDN, "SOLARA_KERNEL_CULL_TIMEOUT": SESSION_GRACE,
           "SOLARA_THEME_SHOW_BANNER": "False",  # an English banner has no place on the Danish page
           # Two heap arenas, not eight per core: each tab's thread would otherwise get an arena of its
           # own that stays the size of its peak after the tab has gone (issue 26: 666 MB after a class).
           "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
    # Ctrl-C (SIGINT) and SIGTERM both stop the server, even when started from a script that
    # ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_term = signal.signal(signal.SIGTERM, _interrupt)
    server = subprocess.Popen(command, env=env)
    print(f"coprod dashboard: serving on {url} (Ctrl-C stops it)", flush=True)
    try:
        if not args.no_browser:
            _open_when_ready(args.host, args.port, url, server)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(server)
        signal.signal(signal.SIGTERM, previous_term)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _open_when_ready(host: str, port: int, url: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection((host if host != "0.0.0.0" else "127.0.0.1", port), timeout=1.0):
                webbrowser.open(url)
                return
        except OSError:
            time.sleep(0.3)


def _stop(server: subprocess.Popen) -> None:
    """Stop the solara server: politely, then for sure."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
