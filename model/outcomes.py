"""The outcomes: five value dimensions read at five horizons, and the risks beside them.

Dimensions follow Brix, Krogstrup & Mortensen (2020) as summarised in docs/background.md. Each is
computed each month from what agents did (the output reading); the short, medium and long
readings are exponential moving averages over about 6, 24 and 60 months; impact is the long
reading minus the first month's output, the lasting change from where the municipality began.

The month's reading is one compiled kernel (``read_month``) that writes a row of floats in the
order of ``ROW_NAMES``; the outcome history stores the row, and ``model.outcomes`` is the same
row as a dict. Sums run in order over groups (a NumPy sum over eight or more groups may differ
in the last bit).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from coprod.core.kernel_cache import drop_stale_kernels
from coprod.model import municipality, tally
from coprod.model.municipality import member_mean
from coprod.model.tally import TallyRecord

DIMENSIONS = ("innovation", "wellbeing", "efficiency_precision", "resource_mobilisation", "democracy")
HORIZONS = {"output": 1.0, "short": 1.0 / 6.0, "medium": 1.0 / 24.0, "long": 1.0 / 60.0}
HORIZON_NAMES = ("output", "short", "medium", "long", "impact")
# Risks also read at the horizons (a single month of them is noisy at small sizes).
TRACKED_RISKS = ("participation_gap", "wellbeing_gini")

# Influence saturates: a member-weighted fit gain from citizens' input of about this much a month
# (what keeps well-fitted services fitted against drift) reads as substantial influence.
INFLUENCE_SCALE = 0.005

RISKS = (
    "wellbeing_gini", "participation_rate", "participation_top_quintile", "participation_bottom_quintile",
    "participation_gap", "individual_share", "group_share",
    "collective_share", "bonding_ties", "bridging_ties", "public_cost", "citizen_hours", "volunteer_hours",
    "volunteer_share",
    "mean_trust", "mean_efficacy", "empowerment", "mean_motivation", "mean_strain", "unmet_need", "initiatives", "ngos",
    "initiatives_taken_over", "approval", "budget", "value_for_money", "voice_share", "representation",
    "influence", "legitimacy", "proposals_adopted", "meeting_hours", "service_hours",
)


def reporter_names() -> list[str]:
    """Every column the DataCollector records, in order."""
    return ([f"{d}_{h}" for d in DIMENSIONS for h in HORIZON_NAMES] + list(RISKS)
            + [f"{r}_{h}" for r in TRACKED_RISKS for h in HORIZON_NAMES if h != "output"])


# The month's row: the recorded columns first (the history keeps those), then what ``model.outcomes``
# holds besides them: each dimension's own monthly reading and the tracked risks' output horizon.
TRACKED = DIMENSIONS + TRACKED_RISKS
ROW_NAMES = tuple(reporter_names()) + DIMENSIONS + tuple(f"{r}_output" for r in TRACKED_RISKS)
# The kernel names its columns as the dict did: ``row[COLUMN.mean_trust]``.
COLUMN = namedtuple("Columns", ROW_NAMES)(*range(len(ROW_NAMES)))
# For each tracked quantity: the column of its monthly reading, and of its readings at each horizon.
TRACKED_COLUMN = tuple(ROW_NAMES.index(name) for name in TRACKED)
HORIZON_COLUMNS = tuple(tuple(ROW_NAMES.index(f"{name}_{h}") for h in HORIZON_NAMES) for name in TRACKED)
HORIZON_WEIGHTS = tuple(HORIZONS.values())  # output, short, medium, long; impact follows from long
LONG = HORIZON_NAMES.index("long")
IMPACT = HORIZON_NAMES.index("impact")


class HorizonTracker:
    """Keeps the moving averages that give each tracked quantity its output, short, medium and long
    reading (a row per quantity in ``TRACKED``), and each one's first month (the impact baseline)."""

    def __init__(self):
        self.averages = np.zeros((len(TRACKED), len(HORIZON_WEIGHTS)))
        self.baselines = np.zeros(len(TRACKED))
        self.started = False


# What the reading takes from the public side besides the tally, by name.
PublicSide = namedtuple("PublicSide", (
    "fit_gain", "strain", "meeting_hours", "service_hours", "innovation", "staff_spent", "grants", "takeover_cost",
    "reinvested", "approval", "budget", "initiatives", "has_ngo", "initiatives_taken_over", "proposals_adopted"))


def read_month(model, tally, row: np.ndarray, tracker: HorizonTracker) -> None:
    """Write this month's outcomes (``ROW_NAMES``) into ``row`` and move ``tracker`` on a month."""
    politician, staff, society = model.politician, model.staff, model.civil_society
    # float(): the politician's sums start as integer 0 (no grants), which would compile a second kernel.
    public = PublicSide(
        fit_gain=model.fit_gain, strain=staff.strain, meeting_hours=staff.meeting_hours,
        service_hours=staff.service_hours, innovation=float(model.design.normalised_fitness),
        staff_spent=float(politician.staff_spent), grants=float(politician.grants),
        takeover_cost=float(politician.takeover_cost), reinvested=float(politician.reinvested),
        approval=float(politician.approval), budget=float(politician.budget), initiatives=society.initiatives,
        has_ngo=society.has_ngo, initiatives_taken_over=float(model.initiatives_taken_over),
        proposals_adopted=float(model.proposals_adopted))
    # Plain tuples: Numba types them in C at the call; the kernel names them again.
    _read_month(row, tracker.averages, tracker.baselines, tracker.started, tally.values(), tuple(public))
    tracker.started = True


def outcome_dict(row: np.ndarray) -> dict[str, float]:
    """The row as ``model.outcomes``: every name in ``ROW_NAMES`` with its plain float."""
    return dict(zip(ROW_NAMES, row.tolist()))


@njit(cache=True)
def _read_month(row, averages, baselines, started, tally_values, public_values):
    """This month's reading of the five dimensions and the risks, from what happened (a ``Tally``'s
    and a ``PublicSide``'s values), then the horizons."""
    tally = TallyRecord(*tally_values)
    public = PublicSide(*public_values)
    _read_dimensions(row, tally, public)
    _read_risks(row, tally, public)
    _move_horizons(row, averages, baselines, started)


@njit
def _read_dimensions(row, tally, public):
    """The five dimensions, and the parts of democracy:

    - wellbeing: citizens' mean wellbeing (empowerment, their mean self-efficacy, is reported apart);
    - efficiency and precision: need met where need is (the need-weighted share of need met);
    - resource mobilisation: the share of need met that citizens' and volunteers' work produced
      (hours that produced nothing, e.g. collective effort below the critical mass, count nothing);
    - democracy: influence realised (services changed by citizens' input), inclusion (the poorest
      fifth heard as often as the richest) and legitimacy (trust in the public sector), a third each;
    - innovation: the position of the service design on its landscape.
    """
    n = max(_total(tally.members), 1.0)
    met_need_hours = _total(tally.met_need_hours)
    heard_total = 0.0
    heard = tally.heard
    for g in range(heard.shape[0]):
        heard_total += heard[g, 0] + heard[g, 1] + heard[g, 2] + heard[g, 3]
    top_rate = tally.quintile_heard[4] / max(tally.quintile_members[4], 1.0)
    bottom_rate = tally.quintile_heard[0] / max(tally.quintile_members[0], 1.0)
    # Nobody heard means nobody included; otherwise the poorest fifth's rate against the richest's.
    representation = 0.0 if top_rate + bottom_rate <= 0 else min(1.0, bottom_rate / max(top_rate, 1e-12))
    influence = 1.0 - math.exp(-member_mean(public.fit_gain, tally.members) / INFLUENCE_SCALE)
    legitimacy = tally.trust_sum / n

    row[COLUMN.innovation] = public.innovation
    row[COLUMN.wellbeing] = _total(tally.wellbeing) / n
    row[COLUMN.efficiency_precision] = met_need_hours / max(_total(tally.need_hours), 1e-9)
    row[COLUMN.resource_mobilisation] = _total(tally.coproduced_need_hours) / max(met_need_hours, 1e-9)
    row[COLUMN.democracy] = (influence + representation + legitimacy) / 3.0
    row[COLUMN.voice_share] = heard_total / n
    row[COLUMN.representation] = representation
    row[COLUMN.influence] = influence
    row[COLUMN.legitimacy] = legitimacy
    row[COLUMN.mean_trust] = legitimacy


@njit
def _read_risks(row, tally, public):
    """The risks and what else the month is read as, beside the dimensions."""
    n = max(_total(tally.members), 1.0)
    mean_efficacy = tally.efficacy_sum / n
    met_total = _total(tally.met)
    cost = public.staff_spent + public.grants + public.takeover_cost + public.reinvested
    top_taking_part = tally.quintile_participants[4] / max(tally.quintile_members[4], 1.0)
    bottom_taking_part = tally.quintile_participants[0] / max(tally.quintile_members[0], 1.0)
    initiatives = 0  # counts, so any order of summing gives the same number
    ngos = 0
    for g in range(public.has_ngo.shape[0]):
        if public.has_ngo[g]:
            initiatives += public.initiatives[g]
            ngos += 1

    row[COLUMN.wellbeing_gini] = tally.wellbeing_gini
    row[COLUMN.participation_rate] = _total(tally.participants) / n
    row[COLUMN.participation_top_quintile] = top_taking_part
    row[COLUMN.participation_bottom_quintile] = bottom_taking_part
    row[COLUMN.participation_gap] = top_taking_part - bottom_taking_part
    row[COLUMN.individual_share] = _total(tally.individual) / n
    row[COLUMN.group_share] = _total(tally.group) / n
    row[COLUMN.collective_share] = _total(tally.collective) / n
    row[COLUMN.bonding_ties] = tally.bonding / n
    row[COLUMN.bridging_ties] = tally.bridging / n
    row[COLUMN.public_cost] = cost
    row[COLUMN.citizen_hours] = _total(tally.hours)
    row[COLUMN.volunteer_hours] = _total(tally.volunteer_hours)
    row[COLUMN.volunteer_share] = _total(tally.volunteers) / n
    row[COLUMN.mean_efficacy] = mean_efficacy
    row[COLUMN.empowerment] = mean_efficacy
    row[COLUMN.mean_motivation] = tally.motivation_sum / n
    row[COLUMN.mean_strain] = _total(public.strain) / public.strain.shape[0]
    row[COLUMN.unmet_need] = 1.0 - met_total / n
    row[COLUMN.initiatives] = float(initiatives)
    row[COLUMN.ngos] = float(ngos)
    row[COLUMN.initiatives_taken_over] = public.initiatives_taken_over
    row[COLUMN.approval] = public.approval
    row[COLUMN.budget] = public.budget
    row[COLUMN.value_for_money] = met_total / max(cost, 1e-9)
    row[COLUMN.proposals_adopted] = public.proposals_adopted
    row[COLUMN.meeting_hours] = _total(public.meeting_hours)
    row[COLUMN.service_hours] = _total(public.service_hours)


@njit
def _move_horizons(row, averages, baselines, started):
    """The horizons: each reading starts at the first month's value and moves by its weight a month."""
    for t in range(len(TRACKED_COLUMN)):
        x = row[TRACKED_COLUMN[t]]
        if not started:
            baselines[t] = x
            for h in range(len(HORIZON_WEIGHTS)):
                averages[t, h] = x
        for h in range(len(HORIZON_WEIGHTS)):
            averages[t, h] += HORIZON_WEIGHTS[h] * (x - averages[t, h])
            row[HORIZON_COLUMNS[t][h]] = averages[t, h]
        row[HORIZON_COLUMNS[t][IMPACT]] = averages[t, LONG] - baselines[t]


@njit
def _total(values):
    """The sum of ``values``, in order."""
    total = 0.0
    for value in values:
        total += value
    return total


# The reading inlines the municipality's member mean and names the tally's fields: recompile when either changes.
drop_stale_kernels(_read_month, "outcomes", [municipality.__file__, tally.__file__])
