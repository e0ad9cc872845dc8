"""The classroom pictures, and ``coprod animate``: a network sample and the five value dimensions.

The same pictures serve the live dashboard (``coprod dashboard``) and the animation written to a
GIF or MP4 file, so a teacher can show a run in a browser or drop it into slides.

``Classroom`` is a small Mesa model holding one or two ``CoProductionModel`` arms built with the
same seed (same citizens, same network) and stepped together, so any difference between the arms
comes from the paradigm or levers alone. ``Pictures`` draws one matplotlib figure of a classroom:
a sample of about 200 citizens of each arm coloured by how they take part, their professionals
and NGOs, and the monthly course of the five value dimensions and of inequality.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from coprod.experiments.errors import InputError
from coprod.model.model import CoProductionModel
from coprod.model.outcomes import DIMENSIONS

SAMPLE_SIZE = 200
MODE_COLOURS = ("#d0d0d0", "#4c72b0", "#dd8452", "#2ca02c")  # none, individual, group, collective
ARM_COLOURS = ("#1f4e9c", "#c0392b")
PROFESSIONAL_COLOUR = "#222222"
NGO_COLOUR = "#8e44ad"
INEQUALITY_SERIES = ("wellbeing_gini", "participation_top_quintile", "participation_bottom_quintile")
INEQUALITY_STYLES = ("-", "--", ":")

# Every word on the pictures, in English and Danish.
TEXT = {
    "en": {
        "month": "Month", "modes": ("not taking part", "individual", "group", "collective"),
        "professional": "professional", "ngo": "NGO", "volunteer": "volunteer (ring)",
        "invited": "invited this month",
        "dimensions": {"innovation": "Innovation", "wellbeing": "Wellbeing & empowerment",
                       "efficiency_precision": "Efficiency & precision",
                       "resource_mobilisation": "Resource mobilisation", "democracy": "Democracy"},
        "inequality": "Inequality",
        "series": {"wellbeing_gini": "wellbeing Gini", "participation_top_quintile": "taking part: richest fifth",
                   "participation_bottom_quintile": "taking part: poorest fifth"},
        "thin": "this month, 6-month average",
        "participation": "taking part",
        "paradigms": {"traditional": "Client (traditional administration)",
                      "npm": "Customer (New Public Management)",
                      "npg": "Co-citizen (New Public Governance)",
                      "hybrid": "Hybrid (NPM + NPG)"},
    },
    "da": {
        "month": "Måned", "modes": ("deltager ikke", "individuel", "gruppe", "kollektiv"),
        "professional": "medarbejder", "ngo": "forening", "volunteer": "frivillig (ring)",
        "invited": "inviteret denne måned",
        "dimensions": {"innovation": "Innovation", "wellbeing": "Trivsel & empowerment",
                       "efficiency_precision": "Effektivitet & træfsikkerhed",
                       "resource_mobilisation": "Ressourcemobilisering", "democracy": "Demokrati"},
        "inequality": "Ulighed",
        "series": {"wellbeing_gini": "Gini for trivsel", "participation_top_quintile": "deltager: rigeste femtedel",
                   "participation_bottom_quintile": "deltager: fattigste femtedel"},
        "thin": "denne måned, 6-måneders gennemsnit",
        "participation": "deltager",
        "paradigms": {"traditional": "Klient (traditionel forvaltning)",
                      "npm": "Kunde (New Public Management)",
                      "npg": "Medborger (New Public Governance)",
                      "hybrid": "Hybrid (NPM + NPG)"},
    },
}
LANGUAGES = tuple(TEXT)

# What the pictures read from each month's outcomes.
SERIES = [f"{d}_output" for d in DIMENSIONS] + [f"{d}_short" for d in DIMENSIONS] + list(INEQUALITY_SERIES) + [
    "participation_rate"]


class Arm:
    """One arm of a classroom: a model, its label and the month-by-month readings it has given."""

    def __init__(self, label: str, parameters: dict[str, Any], seed: int):
        self.label = label
        self.parameters = dict(parameters)
        self.model = CoProductionModel(seed=seed, engine="agents", **self.parameters)
        self.paradigm = self.model.p["paradigm"]
        self.history: dict[str, list[float]] = {name: [] for name in SERIES}

    def step(self) -> None:
        self.model.step()
        for name in SERIES:
            self.history[name].append(float(self.model.outcomes.get(name, np.nan)))

    def modes(self, citizens: np.ndarray) -> np.ndarray:
        people = self.model.population.citizens
        return np.fromiter((people[i].mode for i in citizens), dtype=np.int64, count=len(citizens))


class Classroom(mesa.Model):
    """One or two co-production models on the same seed, stepped together (one step = one month).

    ``settings`` is a dict (or a solara reactive holding one) with ``arms`` (a list of one or
    two parameter-override dicts, each with its ``paradigm``), ``seed`` and optional ``labels``.
    """

    def __init__(self, settings: Any = None):
        settings = getattr(settings, "value", settings) or {"arms": [{"paradigm": "npg"}], "seed": 0}
        seed = int(settings.get("seed", 0))
        super().__init__(seed=seed)
        labels = settings.get("labels") or ["A", "B"]
        self.arms = [Arm(labels[k], arm, seed) for k, arm in enumerate(settings["arms"][:2])]
        first = self.arms[0].model
        self.sample = sample_citizens(first.network.indptr, first.network.indices, first.group_of,
                                      SAMPLE_SIZE, np.random.default_rng(seed))
        self.layout = Layout(first, self.sample, seed)

    def step(self) -> None:
        for arm in self.arms:
            arm.step()


def sample_citizens(indptr: np.ndarray, indices: np.ndarray, group_of: np.ndarray, size: int,
                    rng: np.random.Generator) -> np.ndarray:
    """About ``size`` citizens as a snowball: breadth-first from random starts, a few per group,
    so the sample keeps its ties (a uniform sample of a sparse network has almost none)."""
    n = len(indptr) - 1
    if n <= size:
        return np.arange(n)
    n_groups = int(group_of.max()) + 1
    starts = []
    for g in rng.permutation(n_groups)[: max(1, min(n_groups, size // 20))]:
        members = np.flatnonzero(group_of == g)
        starts.append(int(rng.choice(members)))
    chosen: list[int] = []
    seen = set()
    queues = [[s] for s in starts]
    per_start = max(1, size // len(starts))
    for queue in queues:
        taken = 0
        while queue and taken < per_start and len(chosen) < size:
            i = queue.pop(0)
            if i in seen:
                continue
            seen.add(i)
            chosen.append(i)
            taken += 1
            neighbours = indices[indptr[i]:indptr[i + 1]]
            queue.extend(int(j) for j in rng.permutation(neighbours) if int(j) not in seen)
    while len(chosen) < size:  # top up from anywhere (small or fragmented networks)
        i = int(rng.integers(n))
        if i not in seen:
            seen.add(i)
            chosen.append(i)
    return np.array(sorted(chosen), dtype=np.int64)


class Layout:
    """Where the sampled citizens, their professionals and the NGOs sit in the network picture."""

    def __init__(self, model: CoProductionModel, sample: np.ndarray, seed: int):
        import networkx as nx

        indptr, indices = model.network.indptr, model.network.indices
        position = {int(i): k for k, i in enumerate(sample)}
        edges = []
        for k, i in enumerate(sample):
            for j in indices[indptr[i]:indptr[i + 1]]:
                m = position.get(int(j))
                if m is not None and m > k:
                    edges.append((k, m))
        self.edges = np.array(edges, dtype=np.int64).reshape(-1, 2)
        groups = model.group_of[sample]
        # Groups sit on a circle (so bridging ties cross the middle); inside a group a spring
        # layout of its bonding ties.
        present = np.unique(groups)
        angle = {int(g): 2 * np.pi * k / len(present) for k, g in enumerate(present)}
        self.xy = np.zeros((len(sample), 2))
        radius = 0.42 if len(present) > 1 else 0.0
        for g in present:
            members = np.flatnonzero(groups == g)
            graph = nx.Graph()
            graph.add_nodes_from(members.tolist())
            graph.add_edges_from((a, b) for a, b in self.edges if groups[a] == g and groups[b] == g)
            local = nx.spring_layout(graph, seed=seed, iterations=30)
            centre = np.array([np.cos(angle[int(g)]), np.sin(angle[int(g)])])
            for k in members:
                self.xy[k] = centre + radius * np.asarray(local[int(k)])
        self.centre = {int(g): np.array([np.cos(a), np.sin(a)]) for g, a in angle.items()}
        self.groups = groups
        caseload_of = np.fromiter((model.population.citizens[i].caseload for i in sample), dtype=np.int64,
                                  count=len(sample))
        self.caseload_of = caseload_of
        self.caseloads = np.unique(caseload_of)
        # A professional sits beside the middle of the sampled citizens of their caseload.
        # A professional sits just outside the group cluster of their caseload's sampled citizens.
        self.professional_xy = np.array([1.55 * self.xy[caseload_of == c].mean(axis=0) for c in self.caseloads]
                                        ).reshape(-1, 2)
        # An NGO sits in the middle of its home group's cluster.
        self.group_xy = {int(g): self.xy[groups == g].mean(axis=0) for g in present}


class Pictures:
    """One figure for a classroom: network samples on top, six small time plots below.

    Built once; ``update`` moves the data of the existing artists. With ``blit`` (the dashboard)
    ``png`` redraws only what changes each month over a saved background, and redraws everything
    only when an axis range grows; without it (animations) every frame is a full draw.
    """

    def __init__(self, classroom: Classroom, language: str = "en", dpi: int = 72, width: float = 12.0,
                 blit: bool = False):
        self.classroom = classroom
        self.blit = blit
        self._background = None
        self._drawn_limits = None
        self.limits = None
        self.language = language if language in TEXT else "en"
        self.dpi = dpi
        t = TEXT[self.language]
        arms = classroom.arms
        self.figure = Figure(figsize=(width, width * 0.8), dpi=dpi, layout="constrained")
        grid = self.figure.add_gridspec(3, 6, height_ratios=(1.8, 1.0, 1.0))
        if len(arms) == 1:
            net_axes = [self.figure.add_subplot(grid[0, 1:5])]
        else:
            net_axes = [self.figure.add_subplot(grid[0, 0:3]), self.figure.add_subplot(grid[0, 3:6])]
        layout = classroom.layout
        self.net = []
        for ax, arm, colour in zip(net_axes, arms, ARM_COLOURS):
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_color(colour)
                spine.set_linewidth(2.5 if len(arms) > 1 else 0.8)
            segments = layout.xy[layout.edges] if len(layout.edges) else np.zeros((0, 2, 2))
            ax.add_collection(LineCollection(segments, colors="#9a9a9a", linewidths=0.5, alpha=0.6, zorder=1))
            invites = LineCollection([], colors=PROFESSIONAL_COLOUR, linewidths=0.6, alpha=0.35, linestyles=":",
                                     zorder=1)
            ax.add_collection(invites)
            dots = ax.scatter(layout.xy[:, 0], layout.xy[:, 1], s=26, c=[MODE_COLOURS[0]] * len(layout.xy),
                              edgecolors="none", linewidths=0.0, zorder=2)
            ax.scatter(layout.professional_xy[:, 0], layout.professional_xy[:, 1], marker="s", s=30,
                       c=PROFESSIONAL_COLOUR, zorder=3)
            ngos = ax.scatter([], [], marker="*", s=260, c=NGO_COLOUR, edgecolors="white", linewidths=0.6, zorder=4)
            every = np.vstack([layout.xy, layout.professional_xy])
            pad = 0.1
            ax.set_xlim(every[:, 0].min() - pad, every[:, 0].max() + pad)
            ax.set_ylim(every[:, 1].min() - pad, every[:, 1].max() + pad)
            title = ax.set_title("", fontsize=11, color=colour if len(arms) > 1 else "black")
            self.net.append({"ax": ax, "dots": dots, "ngos": ngos, "invites": invites, "title": title, "arm": arm})
        handles = [Line2D([], [], marker="o", ls="", color=c, label=name, markersize=7)
                   for c, name in zip(MODE_COLOURS, t["modes"])]
        handles += [Line2D([], [], marker="o", ls="", mfc="white", mec="black", mew=1.6, label=t["volunteer"],
                           markersize=7),
                    Line2D([], [], marker="s", ls="", color=PROFESSIONAL_COLOUR, label=t["professional"],
                           markersize=7),
                    Line2D([], [], ls=":", color=PROFESSIONAL_COLOUR, label=t["invited"]),
                    Line2D([], [], marker="*", ls="", color=NGO_COLOUR, label=t["ngo"], markersize=12),
                    Line2D([], [], color="#777777", lw=0.8, label=t["thin"].split(",")[0]),
                    Line2D([], [], color="#777777", lw=2.0, label=t["thin"].split(",")[1].strip())]
        if len(arms) == 1:
            net_axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                               frameon=False)
        else:
            self.figure.legend(handles=handles, loc="outside upper center", ncol=6, fontsize=8, frameon=False)

        self.plots = []
        names = list(DIMENSIONS) + ["inequality"]
        for k, name in enumerate(names):
            ax = self.figure.add_subplot(grid[1 + k // 3, 2 * (k % 3):2 * (k % 3) + 2])
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            ax.set_xlim(0, 12)
            lines = []
            if name == "inequality":
                ax.set_title(t["inequality"], fontsize=10)
                for arm, colour in zip(arms, ARM_COLOURS):
                    for series, style in zip(INEQUALITY_SERIES, INEQUALITY_STYLES):
                        label = t["series"][series] if arm is arms[0] else None
                        (line,) = ax.plot([], [], ls=style, color=colour, lw=1.6, label=label)
                        lines.append((line, arm, series))
                ax.set_ylim(0, 0.3)
                ax.legend(fontsize=7, loc="upper left", frameon=False)
            else:
                ax.set_title(t["dimensions"][name], fontsize=10)
                ax.set_ylim(0, 1.02)
                for arm, colour in zip(arms, ARM_COLOURS):
                    (thin,) = ax.plot([], [], color=colour, lw=0.8, alpha=0.45)
                    (thick,) = ax.plot([], [], color=colour, lw=2.0, label=arm.label if len(arms) > 1 else None)
                    lines.append((thin, arm, f"{name}_output"))
                    lines.append((thick, arm, f"{name}_short"))
                if k == 0 and len(arms) > 1:
                    ax.legend(fontsize=8, loc="lower right", frameon=False)
            if k >= 3:
                ax.set_xlabel(t["month"], fontsize=8)
            self.plots.append({"ax": ax, "lines": lines, "name": name})
        self.update()
        # Lay the figure out once; later frames keep that layout (re-solving it costs most of a redraw).
        self.canvas = FigureCanvasAgg(self.figure)
        self.canvas.draw()
        self.figure.set_layout_engine("none")
        if blit:
            for panel in self.net:
                for key in ("dots", "ngos", "invites", "title"):
                    panel[key].set_animated(True)
            for plot in self.plots:
                for line, _, _ in plot["lines"]:
                    line.set_animated(True)

    def update(self) -> None:
        """Bring every artist up to the classroom's current month."""
        t = TEXT[self.language]
        layout = self.classroom.layout
        sample = self.classroom.sample
        for panel in self.net:
            arm = panel["arm"]
            modes = arm.modes(sample)
            people = arm.model.population.citizens
            volunteer = np.fromiter((people[i].is_volunteer for i in sample), dtype=bool, count=len(sample))
            invited = np.fromiter((people[i].invited for i in sample), dtype=bool, count=len(sample))
            panel["dots"].set_facecolor(np.array(MODE_COLOURS)[modes])
            panel["dots"].set_edgecolor(np.where(volunteer, "black", "none"))
            panel["dots"].set_linewidths(np.where(volunteer, 1.6, 0.0))
            prof_of = {int(c): k for k, c in enumerate(layout.caseloads)}
            segments = [(layout.professional_xy[prof_of[int(layout.caseload_of[k])]], layout.xy[k])
                        for k in np.flatnonzero(invited)]
            panel["invites"].set_segments(segments)
            ngo_xy = [layout.group_xy[ngo.home_group] for ngo in arm.model.ngos
                      if ngo.home_group in layout.group_xy]
            panel["ngos"].set_offsets(np.array(ngo_xy).reshape(-1, 2))
            share = arm.history["participation_rate"][-1] if arm.history["participation_rate"] else 0.0
            name = t["paradigms"].get(arm.paradigm, arm.paradigm)
            prefix = f"{arm.label}: " if len(self.net) > 1 else ""
            panel["title"].set_text(f"{prefix}{name}\n{t['month']} {arm.model.steps} · "
                                    f"{t['participation']} {100 * share:.1f}%")
        months = max(len(arm.history[SERIES[0]]) for arm in self.classroom.arms)
        # Axis ranges grow by two years and by tenths, so they change (and force a full redraw) rarely.
        x_max = 24 * max(1, int(np.ceil(months / 24)))
        y_top = 0.3
        for plot in self.plots:
            ax = plot["ax"]
            top = 0.0
            for line, arm, series in plot["lines"]:
                values = arm.history[series]
                line.set_data(np.arange(1, len(values) + 1), values)
                if values and not np.all(np.isnan(values)):
                    top = max(top, float(np.nanmax(values)))
            ax.set_xlim(0, x_max)
            if plot["name"] == "inequality":
                y_top = max(0.3, np.ceil(10 * top * 1.05) / 10)
                ax.set_ylim(0, y_top)
        self.limits = (x_max, y_top)

    def png(self) -> bytes:
        """The figure as PNG bytes: one Agg draw and a fast PNG encoding (savefig would draw twice)."""
        from PIL import Image

        if not self.blit:
            self.canvas.draw()
        else:
            if self._background is None or self.limits != self._drawn_limits:
                self.canvas.draw()  # everything but the animated artists
                self._background = self.canvas.copy_from_bbox(self.figure.bbox)
                self._drawn_limits = self.limits
            else:
                self.canvas.restore_region(self._background)
            for panel in self.net:
                for key in ("invites", "dots", "ngos", "title"):
                    self.figure.draw_artist(panel[key])
            for plot in self.plots:
                for line, _, _ in plot["lines"]:
                    self.figure.draw_artist(line)
        image = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


# --- coprod animate ------------------------------------------------------------------------------

def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "animate", help="render a run (or two side by side) to a GIF or MP4 for teaching",
        description="Render the dashboard's pictures (network sample and the five value dimensions) month by "
                    "month to an animation. One frame per month. GIF needs nothing extra; MP4 needs ffmpeg.")
    parser.add_argument("scenario", help="a bundled scenario name (see `coprod scenarios`) or a scenario file")
    parser.add_argument("--compare", metavar="SCENARIO", help="a second scenario run beside the first, same seed")
    parser.add_argument("--steps", type=int, default=60, help="months to simulate, one frame each (default 60)")
    parser.add_argument("--citizens", type=int, default=None, help="number of citizens (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed shared by both arms (default 0)")
    parser.add_argument("--fps", type=float, default=4.0, help="frames per second (default 4)")
    parser.add_argument("--language", choices=LANGUAGES, default="en", help="words on the pictures (en or da)")
    parser.add_argument("--out", required=True, help="output file, .gif or .mp4")
    parser.set_defaults(func=animate_command)


def animate_command(args: argparse.Namespace) -> int:
    from coprod.experiments.scenarios import load_scenario

    out = Path(args.out)
    writer = _writer_for(out, args.fps)
    if args.steps < 1:
        raise InputError(f"--steps: got {args.steps}; allowed: an integer of at least 1")
    if args.fps <= 0:
        raise InputError(f"--fps: got {args.fps}; allowed: a positive number")
    names = [args.scenario] + ([args.compare] if args.compare else [])
    arms = []
    for name in names:
        parameters = dict(load_scenario(name).parameters)
        if args.citizens is not None:
            parameters["n_citizens"] = args.citizens
        arms.append(parameters)
    labels = [Path(name).stem for name in names]
    try:
        classroom = Classroom({"arms": arms, "seed": args.seed, "labels": labels})
    except ValueError as err:
        raise InputError(f"--citizens: {err}") from None
    write_animation(classroom, out, args.steps, writer, args.language)
    print(out)
    return 0


def _writer_for(out: Path, fps: float):
    from matplotlib import animation

    suffix = out.suffix.lower()
    if suffix == ".gif":
        return animation.PillowWriter(fps=fps)
    if suffix == ".mp4":
        if shutil.which("ffmpeg") is None:
            raise InputError(f"--out {out}: MP4 needs ffmpeg on PATH, which was not found; install ffmpeg or write a .gif")
        return animation.FFMpegWriter(fps=fps)
    raise InputError(f"--out {out}: got suffix {out.suffix!r}; allowed: .gif or .mp4")


def write_animation(classroom: Classroom, out: Path, steps: int, writer, language: str = "en") -> None:
    """Step the classroom ``steps`` months, one frame after each; write ``out`` atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}.", suffix=out.suffix)
    os.close(fd)
    try:
        pictures = Pictures(classroom, language=language, dpi=72)
        writer.setup(pictures.figure, tmp, dpi=72)
        try:
            for _ in range(steps):
                classroom.step()
                pictures.update()
                writer.grab_frame()
        except BaseException:
            process = getattr(writer, "_proc", None)  # an ffmpeg pipe: stop it, keep the first error
            if process is not None:
                process.kill()
                process.wait()
            raise
        writer.finish()
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
