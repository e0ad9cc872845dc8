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
from coprod.model import municipality
from coprod.model.municipality import member_mean

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


def read_month(model, tally, row: np.ndarray, tracker: HorizonTracker) -> None:
    """Write this month's outcomes (``ROW_NAMES``) into ``row`` and move ``tracker`` on a month."""
    politician, staff, society = model.politician, model.staff, model.civil_society
    _read_month(
        row, tracker.averages, tracker.baselines, tracker.started,
        tally.members, tally.need_hours, tally.met_need_hours, tally.coproduced_need_hours, tally.hours,
        tally.volunteer_hours, tally.heard, tally.participants, tally.individual, tally.group, tally.collective,
        tally.volunteers, tally.wellbeing, tally.met,
        tally.quintile_members, tally.quintile_participants, tally.quintile_heard,
        tally.trust_sum, tally.efficacy_sum, tally.motivation_sum, tally.wellbeing_gini, tally.bonding, tally.bridging,
        model.fit_gain, staff.strain, staff.meeting_hours, staff.service_hours,
        float(model.design.normalised_fitness),
        # float(): the politician's sums start as integer 0 (no grants), which would compile a second kernel.
        float(politician.staff_spent), float(politician.grants), float(politician.takeover_cost),
        float(politician.reinvested), float(politician.approval), float(politician.budget),
        society.initiatives, society.has_ngo, float(model.initiatives_taken_over), float(model.proposals_adopted))
    tracker.started = True


def outcome_dict(row: np.ndarray) -> dict[str, float]:
    """The row as ``model.outcomes``: every name in ``ROW_NAMES`` with its plain float."""
    return dict(zip(ROW_NAMES, row.tolist()))


@njit(cache=True)
def _read_month(row, averages, baselines, started,
                members, need_hours, met_need_hours_by_group, coproduced_need_hours, hours, volunteer_hours, heard,
                participants_by_group, individual, group, collective, volunteers, wellbeing, met,
                quintile_members, quintile_participants, quintile_heard,
                trust_sum, efficacy_sum, motivation_sum, wellbeing_gini, bonding, bridging,
                fit_gain, strain, meeting_hours, service_hours,
                innovation, staff_spent, grants, takeover_cost, reinvested, approval, budget,
                initiatives_by_group, has_ngo, initiatives_taken_over, proposals_adopted):
    """This month's reading of the five dimensions and the risks, from what happened, then the horizons.

    - wellbeing: citizens' mean wellbeing (empowerment, their mean self-efficacy, is reported apart);
    - efficiency and precision: need met where need is (the need-weighted share of need met);
    - resource mobilisation: the share of need met that citizens' and volunteers' work produced
      (hours that produced nothing, e.g. collective effort below the critical mass, count nothing);
    - democracy: influence realised (services changed by citizens' input), inclusion (the poorest
      fifth heard as often as the richest) and legitimacy (trust in the public sector), a third each;
    - innovation: the position of the service design on its landscape.
    """
    n = max(_total(members), 1.0)
    hours_citizens = _total(hours)
    hours_volunteers = _total(volunteer_hours)
    met_need_hours = _total(met_need_hours_by_group)
    mobilisation = _total(coproduced_need_hours) / max(met_need_hours, 1e-9)
    precision = met_need_hours / max(_total(need_hours), 1e-9)

    heard_total = 0.0
    for g in range(heard.shape[0]):
        heard_total += heard[g, 0] + heard[g, 1] + heard[g, 2] + heard[g, 3]
    voice_share = heard_total / n
    top_rate = quintile_heard[4] / max(quintile_members[4], 1.0)
    bottom_rate = quintile_heard[0] / max(quintile_members[0], 1.0)
    # Nobody heard means nobody included; otherwise the poorest fifth's rate against the richest's.
    representation = 0.0 if top_rate + bottom_rate <= 0 else min(1.0, bottom_rate / max(top_rate, 1e-12))
    influence = 1.0 - math.exp(-member_mean(fit_gain, members) / INFLUENCE_SCALE)
    legitimacy = trust_sum / n
    democracy = (influence + representation + legitimacy) / 3.0

    mean_wellbeing = _total(wellbeing) / n
    mean_efficacy = efficacy_sum / n
    met_total = _total(met)
    cost = staff_spent + grants + takeover_cost + reinvested
    top_taking_part = quintile_participants[4] / max(quintile_members[4], 1.0)
    bottom_taking_part = quintile_participants[0] / max(quintile_members[0], 1.0)
    participants = _total(participants_by_group)
    initiatives = 0  # counts, so any order of summing gives the same number
    ngos = 0
    for g in range(has_ngo.shape[0]):
        if has_ngo[g]:
            initiatives += initiatives_by_group[g]
            ngos += 1

    row[COLUMN.innovation] = innovation
    row[COLUMN.wellbeing] = mean_wellbeing
    row[COLUMN.efficiency_precision] = precision
    row[COLUMN.resource_mobilisation] = mobilisation
    row[COLUMN.democracy] = democracy
    row[COLUMN.wellbeing_gini] = wellbeing_gini
    row[COLUMN.participation_rate] = participants / n
    row[COLUMN.participation_top_quintile] = top_taking_part
    row[COLUMN.participation_bottom_quintile] = bottom_taking_part
    row[COLUMN.participation_gap] = top_taking_part - bottom_taking_part
    row[COLUMN.individual_share] = _total(individual) / n
    row[COLUMN.group_share] = _total(group) / n
    row[COLUMN.collective_share] = _total(collective) / n
    row[COLUMN.bonding_ties] = bonding / n
    row[COLUMN.bridging_ties] = bridging / n
    row[COLUMN.public_cost] = cost
    row[COLUMN.citizen_hours] = hours_citizens
    row[COLUMN.volunteer_hours] = hours_volunteers
    row[COLUMN.volunteer_share] = _total(volunteers) / n
    row[COLUMN.mean_trust] = legitimacy
    row[COLUMN.mean_efficacy] = mean_efficacy
    row[COLUMN.empowerment] = mean_efficacy
    row[COLUMN.mean_motivation] = motivation_sum / n
    row[COLUMN.mean_strain] = _total(strain) / strain.shape[0]
    row[COLUMN.unmet_need] = 1.0 - met_total / n
    row[COLUMN.initiatives] = float(initiatives)
    row[COLUMN.ngos] = float(ngos)
    row[COLUMN.initiatives_taken_over] = initiatives_taken_over
    row[COLUMN.approval] = approval
    row[COLUMN.budget] = budget
    row[COLUMN.value_for_money] = met_total / max(cost, 1e-9)
    row[COLUMN.voice_share] = voice_share
    row[COLUMN.representation] = representation
    row[COLUMN.influence] = influence
    row[COLUMN.legitimacy] = legitimacy
    row[COLUMN.proposals_adopted] = proposals_adopted
    row[COLUMN.meeting_hours] = _total(meeting_hours)
    row[COLUMN.service_hours] = _total(service_hours)

    # The horizons: each reading starts at the first month's value and moves by its weight a month.
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


# The reading inlines the municipality's member mean: recompile when it changes.
drop_stale_kernels(_read_month, "outcomes", [municipality.__file__])
