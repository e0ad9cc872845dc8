"""The dashboard's picture as SVG: built on the server as a string, drawn by the browser.

Each month the dashboard shows a network sample of each arm and the six time plots (the five
value dimensions and inequality). Drawing that with matplotlib and encoding it as JPEG cost some
50 ms of the server's CPU a month (issue 26); an SVG string costs a few: the parts that change
only when an axis grows or a lever moves (frames, grid, ticks, titles, the network's ties, the
legend) are built once and kept, and a month adds only the lines, the dots' colours and the
values. The browser draws it at its natural size, so 18 px text is 18 px on any projector, and the
page's PNG download is the browser's own rendering of this SVG (the same picture as the screen).

Nothing here is fetched: plain SVG in the page, no script, no web font.
"""

from __future__ import annotations

import textwrap
from html import escape
from typing import Any

import numpy as np

from coprod.classroom.animate import (
    ARM_COLOURS,
    CHANGE_COLOUR,
    GHOST_ALPHA,
    INEQUALITY_SERIES,
    MODE_COLOURS,
    NGO_COLOUR,
    PROFESSIONAL_COLOUR,
    SERIES,
    TEXT,
    Classroom,
    arm_title,
    format_number,
    x_range,
)
from coprod.model.outcomes import DIMENSIONS
from coprod.reports.words import dimension_name

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
TEXT_PX = 18  # every text of the picture: the back row reads it (issue 26)
TITLE_PX = 20
VALUE_PX = 20
EM = 0.62  # a character's width in ems (DejaVu Sans, a little generous) for fitting words
LINE_PX = 24
PAD = 6
INEQUALITY_DASHES = ("", "7 4", "2 3")  # solid, dashed, dotted: the series of INEQUALITY_SERIES
GHOST_DASH = "6 4"
STYLE = (f"<style>svg.coprod-picture text{{font-family:{FONT};font-size:{TEXT_PX}px !important;fill:#222}}"
         f"svg.coprod-picture text.t{{font-size:{TITLE_PX}px !important}}"
         f"svg.coprod-picture text.v{{font-size:{VALUE_PX}px !important;font-weight:bold}}"
         "svg.coprod-picture .hover circle{fill:transparent;pointer-events:all;cursor:help}</style>")


def text_width(text: str, px: float = TEXT_PX) -> float:
    """About how wide a line of text is drawn (pixels): enough to keep words inside their room."""
    return EM * px * len(text)


def x_ticks(x_max: int) -> list[int]:
    step = {24: 6, 60: 12, 120: 30}.get(x_max, x_max // 4)
    return list(range(0, x_max + 1, step))


def star(x: float, y: float, r: float) -> str:
    """A five-pointed star's polygon points around (x, y)."""
    angles = -np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
    return " ".join(f"{x + q * np.cos(a):.1f},{y + q * np.sin(a):.1f}" for q, a in zip(radii, angles))


class Chart:
    """The picture of a classroom at a size in pixels, in a language; ``svg()`` is the current month."""

    def __init__(self, classroom: Classroom, language: str = "en", width: int = 1400, height: int = 756):
        self.classroom = classroom
        self.language = language if language in TEXT else "en"
        self.width, self.height = int(width), int(height)
        self.arms = classroom.arms
        self._kept: tuple[Any, str] | None = None  # (what the background was built for, the background)
        self._lay_out()

    # -- where everything goes (once per size)
    def _lay_out(self) -> None:
        t, w, h = TEXT[self.language], self.width, self.height
        self.legend_items = self._legend_items(t)
        self.legend_rows = self._legend_rows(w - 2 * PAD)
        top = h - PAD - LINE_PX * len(self.legend_rows)  # the legend's top
        n = len(self.arms)
        wide = w / max(top, 1) > 2.1
        net_share = 0.36 + (0.12 if n > 1 and wide else 0.0)
        net_width = int(w * net_share)
        if n == 1 or not wide:  # one panel, or two one above the other
            step = top / n
            self.panels = [(PAD, k * step, net_width - 2 * PAD, step) for k in range(n)]
        else:
            half = net_width / 2
            self.panels = [(PAD + k * half, 0.0, half - 2 * PAD, top) for k in range(n)]
        self.cells = self._cells(net_width, top)

    def _cells(self, left: float, bottom: float) -> list[tuple[float, float, float, float]]:
        """The six time plots' axes boxes (x, y, width, height), two columns by three rows."""
        value_room = PAD + text_width("0,00", VALUE_PX) + PAD
        tick_room = text_width("0,25") + PAD
        column = (self.width - left) / 2
        below = LINE_PX + LINE_PX  # the bottom row's tick labels and "Month"
        row = (bottom - below) / 3
        cells = []
        for k in range(6):
            x0 = left + (k % 2) * column + tick_room
            y0 = (k // 2) * row + LINE_PX + 4  # under the plot's title
            cells.append((x0, y0, column - tick_room - value_room, row - LINE_PX - 12))
        return cells

    def _legend_items(self, t: dict[str, Any]) -> list[tuple[str, str]]:
        """Each legend entry: its symbol (SVG drawn in a 28x20 box at the origin) and its words."""
        items = [(f'<circle cx="14" cy="0" r="6" fill="{c}"/>', name) for c, name in zip(MODE_COLOURS, t["modes"])]
        thin, thick = (part.strip() for part in t["thin"].split(","))
        items += [('<circle cx="14" cy="0" r="6" fill="white" stroke="black" stroke-width="1.8"/>', t["volunteer"]),
                  (f'<rect x="9" y="-5" width="10" height="10" fill="{PROFESSIONAL_COLOUR}"/>', t["professional"]),
                  (f'<path d="M0 0H28" stroke="{PROFESSIONAL_COLOUR}" stroke-dasharray="2 3"/>', t["invited"]),
                  (f'<polygon points="{star(14, 0, 9)}" fill="{NGO_COLOUR}"/>', t["ngo"]),
                  ('<path d="M0 0H28" stroke="#777" stroke-width="1.2"/>', thin),
                  ('<path d="M0 0H28" stroke="#777" stroke-width="3"/>', thick),
                  (f'<path d="M0 0H28" stroke="#777" stroke-width="3.2" stroke-dasharray="{GHOST_DASH}" '
                   f'opacity="{GHOST_ALPHA + 0.15}"/>', t["ghost"]),
                  (f'<path d="M0 0H28" stroke="{CHANGE_COLOUR}" stroke-width="2" stroke-dasharray="5 3"/>',
                   t["change"])]
        return items

    def _legend_rows(self, room: float) -> list[list[tuple[str, str, float]]]:
        """The legend's entries in rows as wide as the picture (symbol, words, x of the entry)."""
        rows: list[list[tuple[str, str, float]]] = [[]]
        x = 0.0
        for symbol, words in self.legend_items:
            width = 28 + 6 + text_width(words) + 22
            if rows[-1] and x + width > room:
                rows.append([])
                x = 0.0
            rows[-1].append((symbol, words, x))
            x += width
        return rows

    # -- what is drawn only when an axis grows, a lever moves or a title changes
    def _background(self, limits: tuple) -> str:
        x_max, y_top, marks, headings = limits
        parts = [self._legend()]
        for k, (panel, arm) in enumerate(zip(self.panels, self.arms)):
            parts.append(self._network_background(k, panel, arm, headings[k]))
        names = [*DIMENSIONS, "inequality"]
        for k, (cell, name) in enumerate(zip(self.cells, names)):
            parts.append(self._plot_background(k, cell, name, x_max, y_top if name == "inequality" else 1.0, marks))
        return "".join(parts)

    def _legend(self) -> str:
        parts = []
        top = self.height - PAD - LINE_PX * len(self.legend_rows)
        for r, row in enumerate(self.legend_rows):
            y = top + r * LINE_PX + LINE_PX / 2
            for symbol, words, x in row:
                parts.append(f'<g transform="translate({PAD + x:.1f},{y:.1f})">{symbol}</g>'
                             f'<text x="{PAD + x + 34:.1f}" y="{y:.1f}" dominant-baseline="central">'
                             f'{escape(words)}</text>')
        return "".join(parts)

    def heading(self, arm) -> list[str]:
        """An arm's name (``animate.arm_title``) in lines that fit its panel."""
        title = arm_title(self.arms, arm, self.language, short=True)
        room = self.panels[self.arms.index(arm)][2]
        return textwrap.wrap(title, max(10, int(room / (EM * TITLE_PX))), break_long_words=False)

    def _panel_box(self, k: int) -> tuple[float, float, float]:
        """Where panel ``k``'s network goes: the left, top and side of a square, and its scale."""
        x, y, width, height = self.panels[k]
        lines = len(self._headings[k]) + 1
        top = y + PAD + LINE_PX * lines + 4
        side = max(40.0, min(width, y + height - top - PAD))
        return x + (width - side) / 2, top, side

    def _to_panel(self, k: int, xy: np.ndarray) -> np.ndarray:
        left, top, side = self._panel_box(k)
        low, span = self._net_low, self._net_span
        out = np.empty_like(xy, dtype=float)
        out[:, 0] = left + (xy[:, 0] - low[0]) / span * side
        out[:, 1] = top + (1 - (xy[:, 1] - low[1]) / span) * side
        return out

    def _network_background(self, k: int, panel, arm, heading: list[str]) -> str:
        x, y, width, _ = panel
        colour = ARM_COLOURS[k] if len(self.arms) > 1 else "#222"
        parts = [f'<text class="t" x="{x + width / 2:.1f}" y="{y + PAD + LINE_PX * (j + 1) - 4:.1f}" '
                 f'text-anchor="middle" style="fill:{colour}">{escape(line)}</text>' for j, line in enumerate(heading)]
        left, top, side = self._panel_box(k)
        if len(self.arms) > 1:
            parts.append(f'<rect x="{left - 3:.1f}" y="{top - 3:.1f}" width="{side + 6:.1f}" height="{side + 6:.1f}" '
                         f'fill="none" stroke="{colour}" stroke-width="2.5"/>')
        layout = self.classroom.layout
        xy = self._dots[k]
        if len(layout.edges):
            ends = xy[layout.edges]
            d = "".join(f"M{a[0]:.1f} {a[1]:.1f}L{b[0]:.1f} {b[1]:.1f}" for a, b in ends)
            parts.append(f'<path d="{d}" stroke="#9a9a9a" stroke-width="0.6" opacity="0.6" fill="none"/>')
        for px, py in self._to_panel(k, layout.professional_xy):
            parts.append(f'<rect x="{px - 4:.1f}" y="{py - 4:.1f}" width="8" height="8" fill="{PROFESSIONAL_COLOUR}"/>')
        return "".join(parts)

    def _plot_background(self, k: int, cell, name: str, x_max: int, y_top: float, marks: tuple) -> str:
        x, y, width, height = cell
        title = TEXT[self.language]["inequality"] if name == "inequality" else dimension_name(name, self.language)
        parts = [f'<text class="t" x="{x - text_width("0,25") - PAD + 2:.1f}" y="{y - 8:.1f}">{escape(title)}</text>',
                 f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="none" '
                 'stroke="#444" stroke-width="1"/>']
        for value in (0.0, y_top / 2, y_top):
            ty = y + height * (1 - value / y_top)
            parts.append(f'<path d="M{x:.1f} {ty:.1f}H{x + width:.1f}" stroke="#ddd"/>'
                         f'<text x="{x - 4:.1f}" y="{ty:.1f}" text-anchor="end" dominant-baseline="central">'
                         f'{format_number(round(value, 6), self.language)}</text>')
        bottom = k >= 4
        for month in x_ticks(x_max):
            tx = x + width * month / x_max
            parts.append(f'<path d="M{tx:.1f} {y:.1f}V{y + height:.1f}" stroke="#eee"/>')
            if bottom:
                anchor = "end" if month == x_max else "start" if month == 0 else "middle"
                parts.append(f'<text x="{tx:.1f}" y="{y + height + LINE_PX - 4:.1f}" text-anchor="{anchor}">'
                             f'{month}</text>')
        if bottom:
            parts.append(f'<text x="{x + width / 2:.1f}" y="{y + height + 2 * LINE_PX - 2:.1f}" text-anchor="middle">'
                         f'{escape(TEXT[self.language]["month"])}</text>')
        for month in marks:
            mx = x + width * month / x_max
            parts.append(f'<path d="M{mx:.1f} {y:.1f}V{y + height:.1f}" stroke="{CHANGE_COLOUR}" stroke-width="2" '
                         'stroke-dasharray="5 3"/>')
        return "".join(parts)

    # -- each month
    def limits(self) -> tuple:
        months = max(len(arm.history[SERIES[0]]) for arm in self.arms)
        top = max((v for arm in self.arms for s in INEQUALITY_SERIES for v in arm.history[s][-1:] if np.isfinite(v)),
                  default=0.0)
        self._y_top = max(getattr(self, "_y_top", 0.3), float(np.ceil(10 * top * 1.05) / 10))
        headings = tuple(tuple(self.heading(arm)) for arm in self.arms)
        return x_range(months), self._y_top, tuple(self.classroom.change_months()), headings

    def svg(self, hover: bool = False) -> str:
        """The picture of the classroom now; with ``hover``, a hover text on each sampled citizen."""
        limits = self.limits()
        if self._kept is None or self._kept[0] != limits:
            self._headings = limits[3]
            self._net_geometry()
            self._kept = (limits, self._background(limits))
        x_max, y_top = limits[0], limits[1]
        parts = [f'<svg class="coprod-picture" xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
                 f'height="{self.height}" viewBox="0 0 {self.width} {self.height}">{STYLE}'
                 f'<rect width="100%" height="100%" fill="white"/>', self._kept[1]]
        for k, arm in enumerate(self.arms):
            parts.append(self._network_now(k, arm))
        names = [*DIMENSIONS, "inequality"]
        for cell, name in zip(self.cells, names):
            parts.append(self._plot_now(cell, name, x_max, y_top if name == "inequality" else 1.0))
        if hover:
            parts.append(self._hover())
        parts.append("</svg>")
        return "".join(parts)

    def _net_geometry(self) -> None:
        layout = self.classroom.layout
        every = np.vstack([layout.xy, layout.professional_xy])
        low, high = every.min(axis=0) - 0.1, every.max(axis=0) + 0.1
        self._net_low, self._net_span = low, float(max(high - low))
        self._dots = [self._to_panel(k, layout.xy) for k in range(len(self.arms))]

    def _network_now(self, k: int, arm) -> str:
        layout, t = self.classroom.layout, TEXT[self.language]
        modes, volunteer, invited = arm.states(self.classroom.sample)
        xy = self._dots[k]
        parts = []
        invites = np.flatnonzero(invited)
        if len(invites):
            prof_of = {int(c): j for j, c in enumerate(layout.caseloads)}
            pro = self._to_panel(k, layout.professional_xy)
            d = "".join(f"M{pro[prof_of[int(layout.caseload_of[i])]][0]:.1f} "
                        f"{pro[prof_of[int(layout.caseload_of[i])]][1]:.1f}L{xy[i][0]:.1f} {xy[i][1]:.1f}"
                        for i in invites)
            parts.append(f'<path d="{d}" stroke="{PROFESSIONAL_COLOUR}" stroke-width="0.8" opacity="0.5" '
                         'stroke-dasharray="2 3" fill="none"/>')
        for mode in range(len(MODE_COLOURS)):  # one group per colour: the colour is written once
            shown = np.flatnonzero(modes == mode)
            if len(shown):
                parts.append(f'<g fill="{MODE_COLOURS[mode]}">'
                             + "".join(f'<circle cx="{xy[i][0]:.1f}" cy="{xy[i][1]:.1f}" r="4.5"/>' for i in shown)
                             + "</g>")
        ring = np.flatnonzero(volunteer)
        if len(ring):
            parts.append('<g fill="none" stroke="black" stroke-width="1.6">'
                         + "".join(f'<circle cx="{xy[i][0]:.1f}" cy="{xy[i][1]:.1f}" r="5.2"/>' for i in ring) + "</g>")
        homes = [layout.group_xy[ngo.home_group] for ngo in arm.model.ngos if ngo.home_group in layout.group_xy]
        if homes:
            for sx, sy in self._to_panel(k, np.array(homes).reshape(-1, 2)):
                parts.append(f'<polygon points="{star(sx, sy, 11)}" fill="{NGO_COLOUR}" stroke="white" '
                             'stroke-width="0.8"/>')
        share = arm.history["participation_rate"][-1] if arm.history["participation_rate"] else 0.0
        x, y, width, _ = self.panels[k]
        colour = ARM_COLOURS[k] if len(self.arms) > 1 else "#222"
        words = f"{t['participation']} {format_number(100 * share, self.language, 1)} %"
        parts.append(f'<text class="t" x="{x + width / 2:.1f}" '
                     f'y="{y + PAD + LINE_PX * (len(self._headings[k]) + 1) - 4:.1f}" text-anchor="middle" '
                     f'style="fill:{colour}">{words}</text>')
        return "".join(parts)

    def _plot_now(self, cell, name: str, x_max: int, y_top: float) -> str:
        x, y, width, height = cell
        sx, sy = width / x_max, height / y_top

        def path(values, first: int = 0) -> str:
            values = np.asarray(values, dtype=float)
            if not len(values):
                return ""
            months = np.arange(first + 1, first + 1 + len(values))
            keep = np.isfinite(values)
            px = x + sx * months[keep]
            py = y + height - sy * np.clip(values[keep], 0, y_top)
            return "M" + "L".join(f"{a:.1f} {b:.1f}" for a, b in zip(px, py)) if len(px) else ""

        parts = []
        for j, (arm, colour) in enumerate(zip(self.arms, ARM_COLOURS)):
            shown = "wellbeing_gini" if name == "inequality" else f"{name}_short"
            ghost = getattr(arm, "ghost", None)
            if ghost is not None:  # the run without the changes, from the first change on
                first = max(arm.ghost_from - 1, 0)
                d = path(ghost.history[shown][first:], first)
                if d:
                    parts.append(f'<path d="{d}" stroke="{colour}" stroke-width="3.2" opacity="{GHOST_ALPHA}" '
                                 f'stroke-dasharray="{GHOST_DASH}" fill="none"/>')
            if name == "inequality":
                lines = [(series, 1.8, 1.0, dash) for series, dash in zip(INEQUALITY_SERIES, INEQUALITY_DASHES)]
            else:
                lines = [(f"{name}_output", 1.0, 0.45, ""), (f"{name}_short", 2.6, 1.0, "")]
            for series, stroke, opacity, dash in lines:
                d = path(arm.history[series])
                if d:
                    parts.append(f'<path d="{d}" stroke="{colour}" stroke-width="{stroke}" opacity="{opacity}" '
                                 + (f'stroke-dasharray="{dash}" ' if dash else "") + 'fill="none"/>')
            values = arm.history[shown]
            if values and np.isfinite(values[-1]):
                now = min(max(values[-1], 0.0), y_top)
                parts.append(f'<circle cx="{x + sx * len(values):.1f}" cy="{y + height - sy * now:.1f}" r="4" '
                             f'fill="{colour}"/>'
                             f'<text class="v" x="{x + width + PAD:.1f}" y="{y + (j + 0.5) * LINE_PX + 2:.1f}" '
                             f'dominant-baseline="central" style="fill:{colour}">'
                             f'{format_number(values[-1], self.language, 2)}</text>')
        return "".join(parts)

    def _hover(self) -> str:
        """Invisible dots over the sampled citizens, each with a hover text saying who they are."""
        parts = ['<g class="hover">']
        for k, arm in enumerate(self.arms):
            prefix = f"{arm.label}: " if len(self.arms) > 1 else ""
            for i, (cx, cy) in zip(self.classroom.sample, self._dots[k]):
                parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="7"><title>'
                             f'{escape(prefix + arm.describe(i, self.language))}</title></circle>')
        parts.append("</g>")
        return "".join(parts)
