"""The classroom dashboard's page: solara components over a ``Session`` (``dashboard.py``).

``coprod dashboard`` starts ``python -m solara run`` on this file; solara runs it and shows ``Page``.
Only the page imports solara, so no other command pays for it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any

import ipyvue
import markdown
import solara
import traitlets
from solara.server import kernel_context

from coprod.classroom.animate import format_number, lever_words
from coprod.classroom.dashboard import (
    CHOICES,
    CITIZEN_CHOICES,
    CSS,
    INFO,
    PRESETS,
    SLIDERS,
    WORDS,
    apply_preset,
    arm_parameters,
    default_settings,
    download_name,
    explanation,
    label,
    lessons,
    lever_or_rule,
    lever_value,
    slider_step,
)
from coprod.classroom.session import (
    DEFAULT_MONTHS_PER_SECOND,
    DEFAULT_STOP_MONTH,
    Frame,
    Session,
    Status,
    log_line,
    page_connected,
)
from coprod.core.parameters import PARADIGMS, PARAMETERS
from coprod.model.paradigms import SHORT_NAMES


class SpaceBar(ipyvue.VueTemplate):
    """Counts presses of the space bar outside text fields (the page's Play/Pause key)."""

    presses = traitlets.Int(0).tag(sync=True)
    template = traitlets.Unicode("""
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    const typing = (e) => { const t = e.target || {}; const tag = (t.tagName || "").toUpperCase();
      return ["INPUT", "TEXTAREA", "SELECT"].includes(tag) || t.isContentEditable; };
    this.down = (e) => { if (e.code !== "Space" || typing(e)) return; e.preventDefault();
      if (!e.repeat) { this.presses = this.presses + 1; } };
    // a focused button would also take the space as a click: keep it for Play/Pause only
    this.up = (e) => { if (e.code === "Space" && !typing(e)) e.preventDefault(); };
    document.addEventListener("keydown", this.down, true);
    document.addEventListener("keyup", this.up, true);
  },
  destroyed() {
    document.removeEventListener("keydown", this.down, true);
    document.removeEventListener("keyup", this.up, true);
  }
}
</script>
""").tag(sync=True)


class SpeedSlider(ipyvue.VueTemplate):
    """The speed slider and its label, owned by the browser: the server is told each value and never
    sets one. A slider whose value the server also renders gets, now and then, a value a key behind
    the browser's (a render that meets a key arriving): the next key counts from it and the class
    loses a key (Home and nine arrows ended at 9 or 6 months a second on a busy machine, issue 26)."""

    value = traitlets.Int(DEFAULT_MONTHS_PER_SECOND).tag(sync=True)
    words = traitlets.Unicode("").tag(sync=True)
    template = traitlets.Unicode("""
<template>
  <div>
    <span class="coprod-label">{{ words }}: {{ value }}</span>
    <v-slider v-model="value" :min="1" :max="20" :step="1" hide-details dense></v-slider>
  </div>
</template>
""").tag(sync=True)


class RoomForPicture(ipyvue.VueTemplate):
    """Reports the room the picture has (pixels: the main column's width, the window's height below
    its top), so the picture is drawn at exactly that size and its text keeps its size on any screen."""

    room = traitlets.List([0, 0]).tag(sync=True)
    template = traitlets.Unicode("""
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    const measure = () => {
      const main = document.querySelector(".coprod-main");
      const box = document.querySelector(".coprod-picture-box") || main;
      if (!main) return;
      const width = Math.floor(main.clientWidth);
      const height = Math.floor(window.innerHeight - box.getBoundingClientRect().top - 6);
      const [w, h] = this.room;
      if (Math.abs(width - w) > 8 || Math.abs(height - h) > 8) { this.room = [width, height]; }
    };
    this.later = () => { clearTimeout(this.timer); this.timer = setTimeout(measure, 250); };
    window.addEventListener("resize", this.later);
    // and every second: rows above the picture wrap or appear (presentation, a change) without a resize
    this.every = setInterval(measure, 1000);
    this.later();
  },
  destroyed() {
    window.removeEventListener("resize", this.later);
    clearInterval(this.every);
    clearTimeout(this.timer);
  }
}
</script>
""").tag(sync=True)


class LivePicture(ipyvue.VueTemplate):
    """The picture (SVG), set month by month on the widget itself (``Live``)."""

    svg = traitlets.Unicode("").tag(sync=True)
    template = traitlets.Unicode('<template><div class="coprod-chart" v-html="svg"></div></template>').tag(sync=True)


class LiveMonth(ipyvue.VueTemplate):
    """The month in large type, set month by month on the widget itself (``Live``)."""

    text = traitlets.Unicode("").tag(sync=True)
    template = traitlets.Unicode('<template><span class="coprod-month">{{ text }}</span></template>').tag(sync=True)


class Live:
    """The newest frame, and a way round solara's re-render for a frame that only moves the month.

    A frame set as a reactive value re-renders the page: solara walks the whole tree of controls
    to find what changed, which cost several times the month itself (step and SVG: ~4 ms; the
    server's CPU per month played at 2,000 citizens was ~44 ms). A frame that differs from the one
    shown only in its month, picture and timing goes straight to the two widgets that show them,
    and the page is re-rendered at least once a second (so the downloads' names follow the month;
    when paused every frame re-renders it, so they name the month shown).
    """

    EVERY = 1.0  # seconds between full re-renders while only the month moves

    def __init__(self):
        self.frame: Frame | None = None  # the newest frame (what the picture and month show)
        self.shown: Frame | None = None  # the frame the page was last rendered with
        self.rendered_at = 0.0
        self.picture: LivePicture | None = None
        self.month: LiveMonth | None = None

    def only_the_month_moved(self, new: Frame) -> bool:
        """Whether ``new`` (while playing) differs from the frame the page shows only in month and picture."""
        old = self.shown
        if old is None or self.picture is None or self.month is None or not (new.playing and old.playing):
            return False
        if time.monotonic() - self.rendered_at >= self.EVERY:
            return False
        return dataclasses.replace(new, picture=old.picture, month=old.month, seconds=old.seconds) == old

    def show(self, new: Frame, render: Callable[[Frame], None]) -> None:
        self.frame = new
        if self.only_the_month_moved(new):
            self.picture.svg = new.picture or ""
            self.month.text = month_text(new)
            return
        self.shown, self.rendered_at = new, time.monotonic()
        render(new)


def widget_of(element) -> Any:
    """The widget an element was rendered to; None when solara has not (yet) made it one, as
    while the page is rebuilt (then frames go through solara until it has)."""
    try:
        return solara.get_widget(element)
    except KeyError:
        return None


def month_text(frame: Frame | None, language: str = "en") -> str:
    return f"{WORDS[frame.language if frame else language]['month']} {frame.month if frame else 0}"


class PictureDownload(ipyvue.VueTemplate):
    """The picture as a PNG file, made in the browser from the SVG on the screen (so the download is
    the picture the class sees, and the server does no drawing for it)."""

    label = traitlets.Unicode("").tag(sync=True)
    filename = traitlets.Unicode("coprod.png").tag(sync=True)
    template = traitlets.Unicode("""
<template>
  <v-btn text class="coprod-download-png" @click="download">{{ label }}</v-btn>
</template>
<script>
module.exports = {
  methods: {
    download() {
      const svg = document.querySelector("svg.coprod-picture");
      if (!svg) return;
      const width = svg.width.baseVal.value, height = svg.height.baseVal.value;
      const xml = new XMLSerializer().serializeToString(svg);
      const image = new Image();
      image.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = width;
        canvas.height = height;
        const pen = canvas.getContext("2d");
        pen.fillStyle = "white";
        pen.fillRect(0, 0, width, height);
        pen.drawImage(image, 0, 0);
        canvas.toBlob((blob) => {
          const link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = this.filename;
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(() => URL.revokeObjectURL(link.href), 5000);
        }, "image/png");
      };
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(xml);
    }
  }
}
</script>
""").tag(sync=True)


def current_context():
    try:
        return kernel_context.get_current_context()
    except Exception:  # noqa: BLE001 (no kernel: run outside a solara server, as in a test)
        return None


@solara.component
def Page():
    settings = solara.use_reactive(solara.use_memo(default_settings, []))
    frame = solara.use_reactive(None)
    status = solara.use_reactive(None)  # what the controls show; set only when it changes
    changes = solara.use_reactive(())  # the run's lever changes: (month, what changed)
    presenting = solara.use_reactive(False)
    informing = solara.use_reactive(False)
    context = solara.use_memo(current_context, [])
    live = solara.use_memo(Live, [])

    def make_session():
        def render(new: Frame) -> None:
            if new.settings is not None and new.settings != settings.value:
                settings.value = new.settings  # a change that could not be made, or back to a month
            frame.value = new
            status.value = Status(new.playing, new.busy)
            changes.value = tuple(new.changes)

        return Session(settings.value, lambda new: live.show(new, render),
                       watching=(lambda: page_connected(context)) if context is not None else (lambda: True),
                       log=log_line)

    session = solara.use_memo(make_session, [])

    def run_session():
        session.start(context)
        return session.stop  # the tab closed (or its kernel was culled): the worker ends

    solara.use_effect(run_session, [])

    def change(new: dict[str, Any]) -> None:
        settings.value = new
        session.send("settings", new)

    lang = settings.value["language"]
    solara.Title(WORDS[lang]["title"])
    solara.Style(CSS)
    SpaceBar.element(on_presses=lambda _: session.send("toggle"))
    RoomForPicture.element(on_room=lambda room: session.send("size", tuple(room)))
    with solara.Div(classes=["coprod-page"] + (["coprod-presenting"] if presenting.value else [])):
        Transport(session, frame, live, status, settings, presenting, informing, change, changes)
        with solara.Div(classes=["coprod-body"]):
            if not presenting.value:
                with solara.Div(classes=["coprod-side"]):
                    solara.Text(WORDS[lang]["title"], classes=["coprod-title"])
                    Setup(settings, change)
                    Levers(settings, change)
                    Extras(session, settings, frame, live)
            with solara.Div(classes=["coprod-main"]):
                Picture(frame, live)
        if informing.value:
            Info(lang, informing)


@solara.component
def Transport(session, frame, live, status, settings, presenting, informing, change, changes):
    # Reads only ``status`` (which changes on Play, Pause, a rebuild...), not each month's frame:
    # a month re-renders just the month label and the picture.
    st = status.value
    s = settings.value
    lang = s["language"]
    words = WORDS[lang]
    playing = bool(st and st.playing)
    # The stop month is the page's own: the field shows what the class set last, never the worker's
    # echo of it, which is a round trip late (the speed is the browser's own: SpeedSlider).
    stop_month = solara.use_reactive(int(DEFAULT_STOP_MONTH))

    def set_stop_month(value: int | None) -> None:
        stop_month.set(max(0, int(value or 0)))
        session.send("stop_month", stop_month.value)

    with solara.Div(classes=["coprod-bar"]):
        MonthLabel(frame, live, lang)
        solara.Button(words["step"], on_click=lambda: session.send("step"), classes=["coprod-step"],
                      color="primary", outlined=True)
        solara.Button(words["pause"] if playing else words["play"],
                      on_click=lambda: session.send("pause" if playing else "play"),
                      classes=["coprod-play"], color="primary")
        solara.Button(words["reset"], on_click=lambda: session.send("reset"), classes=["coprod-reset"],
                      outlined=True)
        with solara.Div(classes=["coprod-speed"]):
            SpeedSlider.element(words=words["speed"], on_value=lambda v: session.send("speed", int(v)))
        with solara.Div(classes=["coprod-stop"]):
            # Committed as typed: solara's field keeps its own text apart from what was typed until Enter,
            # and a redraw of the bar in between put the old month back (a lesson's stop at 24 was lost
            # and Play ran on to 120, seen once in a full test run).
            solara.InputInt(words["stop"], value=stop_month.value, on_value=set_stop_month, continuous_update=True)
        solara.ToggleButtonsSingle(value="Dansk" if lang == "da" else "English", values=["English", "Dansk"],
                                   on_value=lambda shown: change({**settings.value,
                                                                  "language": "da" if shown == "Dansk" else "en"}),
                                   classes=["coprod-language"])
        solara.Button(words["present_off"] if presenting.value else words["present"],
                      on_click=lambda: presenting.set(not presenting.value), classes=["coprod-present"],
                      text=True)
        solara.Button(words["info"], on_click=lambda: informing.set(not informing.value),
                      classes=["coprod-info-button"], text=True)
        if st is not None and st.busy:
            solara.Text(words["busy"], classes=["coprod-busy"])
        Changes(changes, settings, session, presenting.value)  # in the same row, so they share the width


@solara.component
def Changes(changes, settings, session, presenting: bool):
    """The run's lever changes, newest first, and the way back to a month before one of them."""
    lang = settings.value["language"]
    words = WORDS[lang]
    back_to = solara.use_reactive(None)
    made = changes.value
    with solara.Div(classes=["coprod-changes"], style={"display": "contents"}):
        if made:
            month, what = made[-1]
            solara.Text(f"{words['changed_at']} {month}: {what}" + (f" (+{len(made) - 1})" if len(made) > 1 else ""),
                        classes=["coprod-change"])
            solara.Text(words["ghost_hint"], classes=["coprod-label"])
        elif not presenting:
            solara.Text(words["mid_run"], classes=["coprod-label", "coprod-hint"])
        def chosen_month() -> int:
            """The month typed, else the newest change's. Read when Go back is pressed, not taken
            from this render: a click can reach the server before the re-render after the typing."""
            return back_to.value if back_to.value is not None else (made[-1][0] if made else 0)

        def go_back() -> None:
            session.send("back", chosen_month())
            back_to.set(None)

        with solara.Div(classes=["coprod-back-month"]):
            # Committed as typed, as the stop month (Transport): a click on Go back that came with
            # the field's Enter-less commit sent the month shown before (a test saw month 0 for 1).
            solara.InputInt(words["back_month"], value=chosen_month(), on_value=lambda v: back_to.set(max(0, v or 0)),
                            continuous_update=True)
        solara.Button(words["back"], on_click=go_back, classes=["coprod-back"], outlined=True)


@solara.component
def MonthLabel(frame, live: Live, language: str):
    frame.value  # noqa: B018 (read to re-render with each frame the page is given; the newest is live.frame)
    label = LiveMonth.element(text=month_text(live.frame, language))

    def hold() -> None:
        live.month = widget_of(label)

    solara.use_effect(hold)


@solara.component
def Setup(settings, change):
    s = settings.value
    lang = s["language"]
    words = WORDS[lang]
    names = SHORT_NAMES[lang]
    back = {v: k for k, v in names.items()}

    def set_paradigm(index: int, shown: str) -> None:
        current = settings.value
        arms = [dict(a) for a in current["arms"]]
        arms[index] = {"paradigm": back[shown], "overrides": {}}
        change({**current, "arms": arms, "preset": None})

    def set_preset(shown: str) -> None:
        for key, preset in PRESETS.items():
            if preset[settings.value["language"]] == shown:
                change(apply_preset(settings.value, key))

    with solara.Tooltip(words["paradigm_hint"] + " — " + explanation("paradigm", lang)):
        with solara.Div(classes=["paradigm-a"]):
            solara.Select(words["paradigm_a"] + (" (A)" if s["compare"] else ""),
                          value=names[s["arms"][0]["paradigm"]], values=[names[p] for p in PARADIGMS],
                          on_value=lambda v: set_paradigm(0, v))
    with solara.Div(classes=["compare"]):
        solara.Checkbox(label=words["compare"], value=s["compare"],
                        on_value=lambda on: change({**settings.value, "compare": bool(on)}))
    if s["compare"]:
        with solara.Div(classes=["paradigm-b"]):
            solara.Select(words["paradigm_b"], value=names[s["arms"][1]["paradigm"]],
                          values=[names[p] for p in PARADIGMS], on_value=lambda v: set_paradigm(1, v))
    with solara.Div(classes=["preset"]):
        solara.Select(words["preset"], value=PRESETS[s["preset"]][lang] if s.get("preset") else None,
                      values=[p[lang] for p in PRESETS.values()], on_value=set_preset)
    if s["compare"]:
        for side, arm in zip("AB", s["arms"]):
            if arm["overrides"]:
                shown = ", ".join(lever_words(k, v, lang) for k, v in arm["overrides"].items())
                solara.Text(f"{side}: {shown}", classes=["coprod-label"])
    with solara.Row():
        with solara.Div(classes=["coprod-citizens"], style={"width": "140px"}):
            solara.Select(words["citizens"], value=str(s["n_citizens"]), values=[str(n) for n in CITIZEN_CHOICES],
                          on_value=lambda v: change({**settings.value, "n_citizens": int(v)}))
        with solara.Div(style={"width": "120px"}):
            solara.InputInt(words["seed"], value=int(s["seed"]),
                            on_value=lambda v: change({**settings.value, "seed": int(v or 0)}))


@solara.component
def Levers(settings, change):
    s = settings.value
    lang = s["language"]
    words = WORDS[lang]

    def set_lever(name: str, value: Any) -> None:
        current = settings.value
        if all(lever_or_rule(arm, name) == value for arm in arm_parameters(current)):
            return
        # (the story stays named: it is where the run began, and what downloads are called after)
        change({**current, "common": {**current["common"], name: value}})

    with solara.Card(words["levers"]):
        solara.Text(words["restart"], classes=["coprod-label"])
        for name in SLIDERS:
            declared = PARAMETERS[name]
            with solara.Tooltip(explanation(name, lang)):
                with solara.Div(classes=[f"lever-{name}"]):
                    # Sides that differ (a story): both values named, the handle between them, so a move
                    # to either value (or any other) sets it for both.
                    sides = [float(lever_or_rule(arm, name)) for arm in arm_parameters(s)]
                    value = float(lever_value(s, name)) if len(set(sides)) == 1 else sum(sides) / len(sides)
                    shown = format_number(value, lang) if len(set(sides)) == 1 else " · ".join(
                        f"{side} {format_number(v, lang)}" for side, v in zip("AB", sides))
                    solara.Text(f"{label(name, lang)}: {shown}")
                    solara.SliderFloat("", value=value, min=float(declared.low), max=float(declared.high),
                                       step=slider_step(name),
                                       on_value=lambda v, n=name: set_lever(n, round(float(v), 6)))
        for name in CHOICES:
            declared = PARAMETERS[name]
            shown = {c: declared.choice_word(c, lang) for c in declared.choices}
            back = {v: k for k, v in shown.items()}
            # Sides that differ (a story) show no choice but what each has, so either can be chosen for both.
            sides = [lever_or_rule(arm, name) for arm in arm_parameters(s)]
            with solara.Tooltip(explanation(name, lang)):
                with solara.Div(classes=[f"lever-{name}"]):
                    solara.Select(label(name, lang), value=shown[sides[0]] if len(set(sides)) == 1 else None,
                                  values=list(shown.values()), on_value=lambda v, n=name, b=back: set_lever(n, b[v]))
                    if len(set(sides)) > 1:
                        solara.Text(" · ".join(f"{side}: {shown[v]}" for side, v in zip("AB", sides)),
                                    classes=["coprod-label"])


@solara.component
def Extras(session, settings, frame, live: Live):
    lang = settings.value["language"]
    words = WORDS[lang]
    frame.value  # noqa: B018 (read to re-render with each frame the page is given; the newest is live.frame)
    f = live.frame
    month = f.month if f is not None else 0
    with solara.Div(classes=["coprod-downloads"]):
        PictureDownload.element(label=words["download_png"], filename=download_name(settings.value, month, "png"))
        solara.FileDownload(session.csv, filename=download_name(settings.value, month, "csv"),
                            label=words["download_csv"], mime_type="text/csv")
    seconds = f.seconds if f is not None else None
    solara.Text(f"{words['redraw']}: {format_number(round(1000 * seconds), lang)} ms" if seconds is not None else "",
                classes=["coprod-timing", "coprod-label"])


@solara.component
def Info(lang: str, informing):
    """What am I looking at, and the lessons: over the page, in every mode (presentation too)."""
    words = WORDS[lang]
    shown = solara.use_reactive(None)  # the lesson opened, if any
    with solara.Div(classes=["coprod-info"]):
        solara.Button(words["close"], on_click=lambda: informing.set(False), classes=["coprod-info-close"],
                      outlined=True)
        solara.HTML(tag="div", unsafe_innerHTML=as_html(INFO[lang]))
        for k, (title, text) in enumerate(lessons(lang)):
            with solara.Div(classes=["coprod-lesson"]):
                solara.Button(("▾ " if shown.value == k else "▸ ") + title, text=True, classes=["coprod-lesson-title"],
                              on_click=lambda k=k: shown.set(None if shown.value == k else k))
                if shown.value == k:
                    solara.HTML(tag="div", unsafe_innerHTML=as_html(text), classes=["coprod-lesson-text"])


def as_html(text: str) -> str:
    """Our own Markdown (the help and the lessons) as HTML, made here: solara's Markdown component
    loads katex from a CDN in the browser, which fails offline (issue 26)."""
    return markdown.markdown(text)


@solara.component
def Picture(frame, live: Live):
    # The same children in the same order every time (only their content changes), so a frame
    # never makes the browser build new elements beside the old ones.
    frame.value  # noqa: B018 (read to re-render with each frame the page is given; the newest is live.frame)
    f = live.frame
    with solara.Div(classes=["coprod-notes"]):
        if f is not None and f.problem:
            solara.Error(f.problem, classes=["coprod-problem"])
        if f is None or f.busy:
            solara.ProgressLinear(True, classes=["coprod-progress"])
    width, height = f.size if f else (16, 9)
    # Drawn for the room the page measured: shown at its natural size (never wider than the column).
    box = {"width": f"{width}px", "max-width": "100%"}
    with solara.Div(classes=["coprod-picture-box"] + (["busy"] if f is not None and f.busy else []), style=box):
        picture = LivePicture.element(svg=(f.picture if f is not None else None) or "")

    def hold() -> None:
        live.picture = widget_of(picture)

    solara.use_effect(hold)
    solara.Text(json.dumps(f.running if f else []), classes=["coprod-running"], style={"display": "none"})
