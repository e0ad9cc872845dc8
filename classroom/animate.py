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
import shutil
from pathlib import Path
from typing import Any

import mesa
import networkx as nx
import numpy as np
from matplotlib import animation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.core.storage import write_atomically
from coprod.experiments.checks import check_at_least, check_at_most, check_out_file, check_positive_number
from coprod.experiments.scenarios import load_scenario
from coprod.model.engine_numba import VOLUNTEER_BIT
from coprod.model.model import CoProductionModel, resolve_parameters
from coprod.model.outcomes import DIMENSIONS
from coprod.model.paradigms import PARADIGM_RULES, paradigm_name
from coprod.reports.words import dimension_name

SAMPLE_SIZE = 200
MODE_COLOURS = ("#d0d0d0", "#4c72b0", "#dd8452", "#2ca02c")  # none, individual, group, collective
ARM_COLOURS = ("#1f4e9c", "#c0392b")
GHOST_ALPHA = 0.35  # the path without any change: the same colour, faint and dashed
CHANGE_COLOUR = "#555555"
PROFESSIONAL_COLOUR = "#222222"
NGO_COLOUR = "#8e44ad"
INEQUALITY_SERIES = ("wellbeing_gini", "participation_top_quintile", "participation_bottom_quintile")
INEQUALITY_STYLES = ("-", "--", ":")

# Every word on the pictures, in English and Danish (parameters, paradigms and dimensions are named
# where they are declared: core/parameters.py, model/paradigms.py, reports/words.py).
TEXT = {
    "en": {
        "month": "Month", "modes": ("not taking part", "individual", "group", "collective"),
        "professional": "professional", "ngo": "NGO", "volunteer": "volunteer",
        "invited": "invited this month",
        "inequality": "Inequality",
        "series": {"wellbeing_gini": "wellbeing Gini", "participation_top_quintile": "taking part: richest fifth",
                   "participation_bottom_quintile": "taking part: poorest fifth"},
        "thin": "this month, 6-month average",
        "ghost": "without the changes", "change": "lever moved",
        "participation": "taking part",
        "citizen": "Citizen", "resources": "resources", "trust": "trust", "efficacy": "efficacy",
        "wellbeing_short": "wellbeing", "volunteer_now": "volunteer", "invited_now": "invited by a professional",
        "did": "this month", "hours": "hours", "heard": "input taken up",
    },
    "da": {
        "month": "Måned", "modes": ("deltager ikke", "individuel", "gruppe", "kollektiv"),
        "professional": "medarbejder", "ngo": "forening", "volunteer": "frivillig",
        "invited": "inviteret denne måned",
        "inequality": "Ulighed",
        "series": {"wellbeing_gini": "Gini for trivsel", "participation_top_quintile": "deltager: rigeste femtedel",
                   "participation_bottom_quintile": "deltager: fattigste femtedel"},
        "thin": "denne måned, 6-måneders gennemsnit",
        "ghost": "uden ændringerne", "change": "greb flyttet",
        "participation": "deltager",
        "citizen": "Borger", "resources": "ressourcer", "trust": "tillid", "efficacy": "mestring",
        "wellbeing_short": "trivsel", "volunteer_now": "frivillig", "invited_now": "inviteret af en medarbejder",
        "did": "denne måned", "hours": "timer", "heard": "input taget op",
    },
}
LANGUAGES = tuple(TEXT)

# What the pictures read from each month's outcomes.
SERIES = [f"{d}_output" for d in DIMENSIONS] + [f"{d}_short" for d in DIMENSIONS] + list(INEQUALITY_SERIES) + [
    "participation_rate"]


# What a lever moved mid-run may change: parameters the model reads afresh every month (the
# professionals' plan, the municipality's learning, the NGOs' rules, the citizens' theta, which
# ``set_parameters`` rebuilds). Everything else (citizens, network, groups, seed) is built at month
# 0, so changing it starts the run again.
CHANGEABLE_MID_RUN = frozenset(set().union(*PARADIGM_RULES.values()) | {
    "paradigm", "savings_target", "budget_per_citizen", "outreach", "facilitation_skill", "savings_reinvested"})


def set_parameters(model: CoProductionModel, parameters: dict[str, Any]) -> dict[str, Any]:
    """Give a running model new lever values from its next month on; return what changed.

    ``parameters`` are the arm's overrides (paradigm, levers, n_citizens) as at a model's start;
    they are resolved like a new model's (defaults < paradigm rules < overrides), and only values
    the model reads afresh each month may differ (``CHANGEABLE_MID_RUN``; ``ValueError`` otherwise).
    """
    wanted = resolve_parameters(parameters)
    changed = {name: value for name, value in wanted.items() if model.p[name] != value}
    fixed = sorted(set(changed) - CHANGEABLE_MID_RUN)
    if fixed:
        raise ValueError(f"cannot change {', '.join(fixed)} mid-run; allowed: levers and the paradigm")
    model.p.update(changed)
    model.theta = model._citizen_parameters()  # the citizens' rules read their levers from theta
    if "savings_target" in changed:  # the council sets a new target (elections may ease it later)
        model.politician.savings = model.p["savings_target"]
    return changed


class Track:
    """A model and the month-by-month readings it has given (``SERIES``)."""

    def __init__(self, model: CoProductionModel, history: dict[str, list[float]] | None = None):
        self.model = model
        self.history: dict[str, list[float]] = history or {name: [] for name in SERIES}

    def step(self) -> None:
        self.model.step()
        outcomes = self.model.outcomes
        for name in SERIES:
            self.history[name].append(float(outcomes.get(name, np.nan)))

    def forget(self) -> None:
        self.model.forget()


class Arm:
    """One arm of a classroom: a model, its label and the month-by-month readings it has given.

    ``engine`` is the model's citizen engine: ``agents`` (Mesa agents, the animations' default) or
    ``numba`` (arrays; the dashboard's, for fluid playing). The pictures read citizens through
    ``citizen`` and ``states``, which know both.

    Levers moved mid-run (``intervene``) apply from the next month. The arm then keeps a ghost:
    the same run without any of its changes (the run as it began), stepped alongside from the
    first change on. One ghost, not one per change: a class compares "what we did" with "what
    would have happened had we done nothing", and a second or third change does not move that
    line. Both come from the same seed, and the model's random numbers are common to both (each
    draw is a function of seed, month and citizen), so the gap between live and ghost is the
    effect of all the changes together. A run is fixed by its seed, starting parameters and
    changes (``changes``), so any month of it can be built again by replaying them (``back_to``).
    """

    def __init__(self, label: str, parameters: dict[str, Any], seed: int, engine: str = "agents"):
        self.label = label
        self.seed, self.engine = seed, engine
        self.start = dict(parameters)  # the parameters at month 0
        self.parameters = dict(parameters)  # the parameters in force now
        self.changes: list[tuple[int, dict[str, Any]]] = []  # (month, parameters from the next month on)
        self.live = Track(CoProductionModel(seed=seed, engine=engine, **self.parameters))
        self.ghost: Track | None = None  # the run without any change (None until the first)
        self.ghost_from = 0  # the month of the first change: the ghost's path starts there

    @property
    def model(self) -> CoProductionModel:
        return self.live.model

    @property
    def history(self) -> dict[str, list[float]]:
        return self.live.history

    @property
    def paradigm(self) -> str:
        return self.model.p["paradigm"]

    def step(self) -> None:
        self.live.step()
        if self.ghost is not None:
            self.ghost.step()

    def intervene(self, parameters: dict[str, Any]) -> bool:
        """Run on with ``parameters`` from the next month; at the first change the run as it was goes
        on as the ghost (the run without any change). Returns whether anything changed
        (``ValueError`` for what cannot change mid-run)."""
        month = self.model.steps
        if self.ghost is not None:  # the live model has the earlier changes: change it in place
            if not set_parameters(self.live.model, parameters):
                return False
        else:
            changed_model = self._replay(self.changes, month).model
            try:
                changed = set_parameters(changed_model, parameters)
            except ValueError:
                changed_model.forget()
                raise
            if not changed:
                changed_model.forget()
                return False
            # The model that ran so far goes on unchanged as the ghost; its readings so far are shared.
            self.ghost = Track(self.live.model, {name: list(values) for name, values in self.history.items()})
            self.live.model = changed_model
            self.ghost_from = month
        self.changes.append((month, dict(parameters)))
        self.parameters = dict(parameters)
        return True

    def back_to(self, month: int) -> None:
        """Back to ``month`` (at most the month now) as it was: the changes made from that month
        on are dropped, so the class can try another one."""
        month = max(0, min(int(month), self.model.steps))
        kept = [(m, p) for m, p in self.changes if m < month]
        self.live.forget()
        if self.ghost is not None:
            self.ghost.forget()
        for values in self.history.values():
            del values[month:]
        self.live = Track(self._replay(kept, month).model, self.history)
        self.ghost = self._replay([], month) if kept else None
        self.ghost_from = kept[0][0] if kept else 0
        self.changes = kept
        self.parameters = dict(kept[-1][1]) if kept else dict(self.start)

    def _replay(self, changes: list[tuple[int, dict[str, Any]]], months: int) -> Track:
        """The run from month 0 to ``months`` with these changes (same seed: the same numbers)."""
        track = Track(CoProductionModel(seed=self.seed, engine=self.engine, **self.start))
        due = dict(changes)
        if 0 in due:
            set_parameters(track.model, due[0])
        for _ in range(months):
            track.step()
            if track.model.steps in due:
                set_parameters(track.model, due[track.model.steps])
        return track

    def forget(self) -> None:
        """Free the models (Mesa keeps a model alive in a class-level counter until told)."""
        self.live.forget()
        if self.ghost is not None:
            self.ghost.forget()

    def citizen(self, i: int) -> dict[str, Any]:
        """One citizen's state in the month just stepped."""
        population = self.model.population
        i = int(i)
        if hasattr(population, "citizens"):
            person = population.citizens[i]
            return {name: getattr(person, name) for name in ("mode", "hours", "is_volunteer", "invited", "heard",
                                                               "resources", "trust", "efficacy", "wellbeing",
                                                               "caseload")}
        return {"mode": int(population.current_mode[i]), "hours": float(population.hours[i]),
                "is_volunteer": bool(population.seen_last[i] & VOLUNTEER_BIT),
                "invited": bool(population.invited[i]), "heard": bool(population.heard[i]),
                "resources": float(population.resources[i]), "trust": float(population.trust[i]),
                "efficacy": float(population.efficacy[i]), "wellbeing": float(population.wellbeing[i]),
                "caseload": int(population.caseload_of[i])}

    def states(self, citizens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mode, volunteering and invitation of these citizens in the month just stepped."""
        population = self.model.population
        if hasattr(population, "citizens"):
            people = population.citizens
            n = len(citizens)
            return (np.fromiter((people[i].mode for i in citizens), dtype=np.int64, count=n),
                    np.fromiter((people[i].is_volunteer for i in citizens), dtype=bool, count=n),
                    np.fromiter((people[i].invited for i in citizens), dtype=bool, count=n))
        return (population.current_mode[citizens].astype(np.int64),
                (population.seen_last[citizens] & VOLUNTEER_BIT) > 0, population.invited[citizens].astype(bool))

    def describe(self, i: int, language: str = "en") -> str:
        """Who citizen ``i`` is and what they did this month (the dashboard's hover text)."""
        t = TEXT[language]
        person = self.citizen(i)
        did = t["modes"][int(person["mode"])]
        if person["mode"] and person["hours"]:
            did += f", {person['hours']:.1f} {t['hours']}"
        extras = [word for flag, word in ((person["is_volunteer"], t["volunteer_now"]),
                                          (person["invited"], t["invited_now"]), (person["heard"], t["heard"]))
                  if flag]
        return (f"{t['citizen']} {int(i)}: {t['resources']} {person['resources']:.2f}, "
                f"{t['trust']} {person['trust']:.2f}, {t['efficacy']} {person['efficacy']:.2f}, "
                f"{t['wellbeing_short']} {person['wellbeing']:.2f}\n{t['did']}: {', '.join([did] + extras)}")

    def modes(self, citizens: np.ndarray) -> np.ndarray:
        return self.states(citizens)[0]


class Classroom(mesa.Model):
    """One or two co-production models on the same seed, stepped together (one step = one month).

    ``settings`` is a dict (or a solara reactive holding one) with ``arms`` (a list of one or
    two parameter-override dicts, each with its ``paradigm``), ``seed`` and optional ``labels``
    and ``engine`` (default ``agents``).
    """

    def __init__(self, settings: Any = None):
        settings = getattr(settings, "value", settings) or {"arms": [{"paradigm": "npg"}], "seed": 0}
        seed = int(settings.get("seed", 0))
        super().__init__(seed=seed)
        labels = settings.get("labels") or ["A", "B"]
        engine = settings.get("engine", "agents")
        self.arms = [Arm(labels[k], arm, seed, engine) for k, arm in enumerate(settings["arms"][:2])]
        first = self.arms[0].model
        self.sample = sample_citizens(first.network.indptr, first.network.indices, first.group_of,
                                      SAMPLE_SIZE, np.random.default_rng(seed))
        self.layout = Layout(first, self.sample, seed)

    @property
    def month(self) -> int:
        return self.arms[0].model.steps

    def step(self) -> None:
        for arm in self.arms:
            arm.step()

    def intervene(self, arms: list[dict[str, Any]]) -> bool:
        """New parameters for each arm from the next month on (see ``Arm.intervene``); whether any
        arm changed. Nothing changes if one arm's change is not possible mid-run (``ValueError``)."""
        if len(arms) != len(self.arms):
            raise ValueError("cannot change the number of arms mid-run")
        for arm, parameters in zip(self.arms, arms):  # check every arm before changing any
            wanted = resolve_parameters(parameters)
            fixed = sorted(name for name in wanted if wanted[name] != arm.model.p[name]
                           and name not in CHANGEABLE_MID_RUN)
            if fixed:
                raise ValueError(f"cannot change {', '.join(fixed)} mid-run; allowed: levers and the paradigm")
        changed = [arm.intervene(parameters) for arm, parameters in zip(self.arms, arms)]
        return any(changed)

    def change_months(self) -> list[int]:
        """The months at which levers were moved (in any arm), in order."""
        return sorted({month for arm in self.arms for month, _ in arm.changes})

    def back_to(self, month: int) -> None:
        for arm in self.arms:
            arm.back_to(month)

    def forget(self) -> None:
        for arm in self.arms:
            arm.forget()


# Levers that may tell two arms of the same paradigm apart, in the order a title names them.
TITLE_LEVERS = ("initiative_response", "savings_target", "cp_level", "power_sharing", "ngo_relation",
                "budget_per_citizen", "process_openness", "outreach", "frontline_autonomy", "output_target_pressure",
                "facilitation_orientation", "facilitation_skill")


def lever_words(name: str, value: Any, language: str) -> str:
    """A lever and its value in words: "Co-production level: collective", "Savings target: 0,5"."""
    declared = PARAMETERS[name]
    if declared.kind == "choice":
        shown = declared.choice_word(value, language)
    else:
        shown = format_number(float(value), language)
    return f"{declared.display(language)}: {shown}"


def x_range(months: int) -> int:
    """The time axis' end: it grows in a few big steps (24, 60, 120, then by 120), so the picture's
    frame changes rarely."""
    return next((top for top in (24, 60, 120) if months <= top), 120 * int(np.ceil(months / 120)))


def series_name(name: str, language: str = "en") -> str:
    """A series of the pictures (``SERIES``) in readers' words: "Democracy (this month)"."""
    t = TEXT[language]
    if name in t["series"]:
        return t["series"][name]
    if name == "participation_rate":
        return t["participation"]
    dimension, _, kind = name.rpartition("_")
    this_month, average = (part.strip() for part in t["thin"].split(","))
    return f"{dimension_name(dimension, language)} ({this_month if kind == 'output' else average})"


def format_number(value: float, language: str = "en", digits: int | None = None) -> str:
    """A number as readers of the language write it: a decimal comma in Danish. Without ``digits``
    the shortest form (``:g``)."""
    text = f"{value:.{digits}f}" if digits is not None else f"{value:g}"
    return text.replace(".", ",") if language == "da" else text


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
        population = model.population
        if hasattr(population, "citizens"):  # the agents engine
            caseload_of = np.array([population.citizens[i].caseload for i in sample], dtype=np.int64)
        else:  # the numba engine keeps arrays
            caseload_of = np.asarray(population.caseload_of)[sample].astype(np.int64)
        self.caseload_of = caseload_of
        self.caseloads = np.unique(caseload_of)
        # A professional sits just outside the middle of their caseload's sampled citizens (half as far
        # again from the centre), beside the group clusters they serve.
        self.professional_xy = np.array([1.55 * self.xy[caseload_of == c].mean(axis=0) for c in self.caseloads]
                                        ).reshape(-1, 2)
        # An NGO sits in the middle of its home group's cluster.
        self.group_xy = {int(g): self.xy[groups == g].mean(axis=0) for g in present}


def arm_title(arms: list[Arm], arm: Arm, language: str, short: bool = False) -> str:
    """An arm's name: its label (beside another arm, or a scenario's name), its paradigm, and
    when both arms share the paradigm, what differs between them (a story's point)."""
    named = len(arms) > 1 or arm.label not in ("A", "B")  # a scenario's name in an animation
    label = f"{arm.label}: " * named
    title = label + paradigm_name(arm.paradigm, language, short=short)
    others = [other for other in arms if other is not arm]
    if others and others[0].paradigm == arm.paradigm:  # same paradigm: name the first lever that differs
        differing = [name for name in TITLE_LEVERS if arm.model.p[name] != others[0].model.p[name]]
        if differing:
            title = label + lever_words(differing[0], arm.model.p[differing[0]], language)
    return title


class Pictures:
    """One matplotlib figure for a classroom (the animations' frames; the dashboard draws SVG,
    ``chart.py``): network samples and six small time plots in a portrait slide layout.

    Built once; ``update`` moves the data of the existing artists, and every frame is a full draw.
    Beside each plot's title stands each arm's current value, in the arm's colour.
    """

    def __init__(self, classroom: Classroom, language: str = "en", dpi: int = 72, width: float = 12.0):
        self.classroom = classroom
        self.language = language if language in TEXT else "en"
        self.dpi = dpi
        self.size = {"title": 11, "plot_title": 10, "ticks": 8, "legend": 8, "value": 9, "small_legend": 7}  # pt
        net_axes, plot_cells, bottom_row = self._grid(width, len(classroom.arms))
        self.net = [self._network_panel(ax, arm, colour)
                    for ax, arm, colour in zip(net_axes, classroom.arms, ARM_COLOURS)]
        self._legend(net_axes)
        self.plots = [self._time_plot(k, name, cell, k in bottom_row)
                      for k, (name, cell) in enumerate(zip(list(DIMENSIONS) + ["inequality"], plot_cells))]
        # Lay the figure out once, with room for the widest tick labels a long run will have; later
        # frames keep that layout (re-solving it costs most of a redraw).
        for plot in self.plots:
            plot["ax"].set_xlim(0, 240)
        self.canvas = self.figure.canvas if isinstance(self.figure.canvas, FigureCanvasAgg) \
            else FigureCanvasAgg(self.figure)
        self.canvas.draw()
        self.figure.set_layout_engine("none")
        self.update()

    def _grid(self, width: float, n_arms: int):
        """The figure, its network axes, the cells of the six time plots and which of them are at the bottom."""
        self.figure = Figure(figsize=(width, width * 0.8), dpi=self.dpi, layout="constrained")
        grid = self.figure.add_gridspec(3, 6, height_ratios=(1.8, 1.0, 1.0))
        if n_arms == 1:
            net_axes = [self.figure.add_subplot(grid[0, 1:5])]
        else:
            net_axes = [self.figure.add_subplot(grid[0, 0:3]), self.figure.add_subplot(grid[0, 3:6])]
        return net_axes, [grid[1 + k // 3, 2 * (k % 3):2 * (k % 3) + 2] for k in range(6)], (3, 4, 5)

    def _network_panel(self, ax, arm: Arm, colour: str) -> dict[str, Any]:
        """One arm's network sample: ties, citizens, professionals, NGOs and a two-line title."""
        layout, size, several = self.classroom.layout, self.size, len(self.classroom.arms) > 1
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color(colour)
            spine.set_linewidth(2.5 if several else 0.8)
        segments = layout.xy[layout.edges] if len(layout.edges) else np.zeros((0, 2, 2))
        ax.add_collection(LineCollection(segments, colors="#9a9a9a", linewidths=0.5, alpha=0.6, zorder=1))
        invites = LineCollection([], colors=PROFESSIONAL_COLOUR, linewidths=0.6, alpha=0.35, linestyles=":",
                                 zorder=1)
        ax.add_collection(invites)
        dots = ax.scatter(layout.xy[:, 0], layout.xy[:, 1], s=26,
                          c=[MODE_COLOURS[0]] * len(layout.xy), edgecolors="none", linewidths=0.0, zorder=2)
        ax.scatter(layout.professional_xy[:, 0], layout.professional_xy[:, 1], marker="s", s=30,
                   c=PROFESSIONAL_COLOUR, zorder=3)
        ngos = ax.scatter([], [], marker="*", s=260, c=NGO_COLOUR, edgecolors="white", linewidths=0.6, zorder=4)
        every = np.vstack([layout.xy, layout.professional_xy])
        pad = 0.1
        ax.set_xlim(every[:, 0].min() - pad, every[:, 0].max() + pad)
        ax.set_ylim(every[:, 1].min() - pad, every[:, 1].max() + pad)
        # The title's first line (which run) never changes and is drawn once; its second line
        # (month, share taking part) is redrawn each month. Text is the dearest thing to draw.
        colour_of_title = colour if several else "black"
        heading = ax.set_title(self.arm_title(arm), fontsize=size["title"], color=colour_of_title,
                               pad=4 + 1.35 * size["title"])
        # (a placeholder of the same height until the first month, so the layout leaves room for it)
        title = ax.text(0.5, 1.0, TEXT[self.language]["participation"], transform=ax.transAxes, ha="center",
                        va="bottom", fontsize=size["title"], color=colour_of_title)
        title.set_in_layout(True)
        return {"ax": ax, "dots": dots, "ngos": ngos, "invites": invites, "title": title, "arm": arm,
                "heading": heading}

    def arm_title(self, arm: Arm) -> str:
        return arm_title(self.classroom.arms, arm, self.language)

    def _legend(self, net_axes) -> None:
        t, size = TEXT[self.language], self.size
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
        if len(net_axes) == 1:
            net_axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=size["legend"],
                               frameon=False)
        else:
            self.figure.legend(handles=handles, loc="outside upper center", ncol=6, fontsize=size["legend"],
                               frameon=False)

    def _time_plot(self, k: int, name: str, cell, at_bottom: bool) -> dict[str, Any]:
        """One small time plot: a dimension (monthly and 6-month lines per arm) or inequality."""
        t, size, arms = TEXT[self.language], self.size, self.classroom.arms
        ax = self.figure.add_subplot(cell)
        ax.tick_params(labelsize=size["ticks"])
        if self.language == "da":  # decimal commas
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(round(v, 6), "da")))
        ax.grid(alpha=0.3)
        ax.set_xlim(0, 12)
        lines = []
        now = []  # a dot on each arm's latest value, so even month 1 shows something
        if name == "inequality":
            ax.set_title(t["inequality"], fontsize=size["plot_title"], loc="left")
            for arm, colour in zip(arms, ARM_COLOURS):
                for series, style in zip(INEQUALITY_SERIES, INEQUALITY_STYLES):
                    label = t["series"][series] if arm is arms[0] else None
                    (line,) = ax.plot([], [], ls=style, color=colour, lw=1.6, label=label)
                    lines.append((line, arm, series))
                (dot,) = ax.plot([], [], "o", color=colour, markersize=5)
                now.append((dot, arm, "wellbeing_gini"))
            ax.set_ylim(0, 0.3)
            ax.legend(fontsize=size["small_legend"], loc="upper left", frameon=False)
            shown = "wellbeing_gini"
        else:
            ax.set_title(dimension_name(name, self.language), fontsize=size["plot_title"], loc="left")
            ax.set_ylim(0, 1.02)
            for arm, colour in zip(arms, ARM_COLOURS):
                (thin,) = ax.plot([], [], color=colour, lw=0.8, alpha=0.45)
                (thick,) = ax.plot([], [], color=colour, lw=2.0, label=arm.label if len(arms) > 1 else None)
                lines.append((thin, arm, f"{name}_output"))
                lines.append((thick, arm, f"{name}_short"))
                (dot,) = ax.plot([], [], "o", color=colour, markersize=5)
                now.append((dot, arm, f"{name}_short"))
            if k == 0 and len(arms) > 1:
                ax.legend(fontsize=size["legend"], loc="lower right", frameon=False)
            shown = f"{name}_short"
        # The current value of each arm in the arm's colour, above the plot's right end.
        values = []
        for j, (arm, colour) in enumerate(zip(arms, ARM_COLOURS)):
            x = 1.0 - 0.16 * (len(arms) - 1 - j)
            text = ax.text(x, 1.02, "", transform=ax.transAxes, ha="right", va="bottom",
                           fontsize=size["value"], fontweight="bold", color=colour)
            values.append((text, arm, shown))
        if at_bottom:
            ax.set_xlabel(t["month"], fontsize=size["ticks"])
        return {"ax": ax, "lines": lines + now, "name": name, "values": values}

    def update(self) -> None:
        """Bring every artist up to the classroom's current month."""
        t = TEXT[self.language]
        layout = self.classroom.layout
        sample = self.classroom.sample
        for panel in self.net:
            arm = panel["arm"]
            modes, volunteer, invited = arm.states(sample)
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
            taking_part = f"{t['participation']} {format_number(100 * share, self.language, 1)} %"
            panel["title"].set_text(f"{t['month']} {arm.model.steps} · {taking_part}")
        months = max(len(arm.history[SERIES[0]]) for arm in self.classroom.arms)
        x_max = x_range(months)
        for plot in self.plots:
            ax = plot["ax"]
            top = 0.0
            for line, arm, series in plot["lines"]:
                values = arm.history[series]
                if line.get_linestyle() == "None":  # the dot on the latest value
                    line.set_data(([len(values)], [values[-1]]) if values else ([], []))
                    continue
                line.set_data(np.arange(1, len(values) + 1), values)
                if values and not np.all(np.isnan(values)):
                    top = max(top, float(np.nanmax(values)))
            for text, arm, series in plot["values"]:
                values = arm.history[series]
                shown = values and np.isfinite(values[-1])
                text.set_text(format_number(values[-1], self.language, 2) if shown else "")
            ax.set_xlim(0, x_max)
            if plot["name"] == "inequality":
                y_top = max(0.3, np.ceil(10 * top * 1.05) / 10)
                ax.set_ylim(0, y_top)


# --- coprod animate ------------------------------------------------------------------------------

def register(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Render the dashboard's pictures (network sample and the five value dimensions) month by "
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
    out = Path(args.out)
    check_at_least(args.steps, "--steps")
    check_at_most(args.steps, "--steps", "frames")  # a frame per month
    check_positive_number(args.fps, "--fps")  # nan and inf too, which argparse's float lets through
    check_out_file(out)  # before the simulation: a bad --out must not cost (and lose) it
    writer = _writer_for(out, args.fps)
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
    suffix = out.suffix.lower()
    if suffix == ".gif":
        return animation.PillowWriter(fps=fps)
    if suffix == ".mp4":
        if shutil.which("ffmpeg") is None:
            raise InputError(f"--out {out}: MP4 needs ffmpeg on PATH, which was not found; "
                             "install ffmpeg or write a .gif")
        return animation.FFMpegWriter(fps=fps)
    raise InputError(f"--out {out}: got suffix {out.suffix!r}; allowed: .gif or .mp4")


def write_animation(classroom: Classroom, out: Path, steps: int, writer, language: str = "en") -> None:
    """Step the classroom ``steps`` months, one frame after each; write ``out`` atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)

    def frames(tmp: Path) -> None:
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

    # the writers choose the format by the suffix; a single picture for people, so no checksum sidecar
    write_atomically(out, frames, suffix=out.suffix, checksum=False)
