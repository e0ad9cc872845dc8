"""What the citizens did this month, summed by group, caseload and resource quintile.

Both engines hand the model a ``Tally``; the public side (professionals, NGOs, politician,
learning and outcomes) reads only these sums, never individual citizens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coprod.agents.rules import (MODE_COLLECTIVE, MODE_GROUP, MODE_INDIVIDUAL, PHASE_ASSESS, PHASE_COMMISSION, PHASE_DELIVER,
                                 PHASE_DESIGN, acts_collectively, plans)


@dataclass
class Tally:
    """Sums over citizens for one month. Per-group arrays have length ``n_groups``."""

    members: np.ndarray  # citizens per group
    need_hours: np.ndarray  # hours of professional work that would meet the group's needs
    participants: np.ndarray  # citizens taking part (any phase)
    by_phase: np.ndarray  # (groups, 4) participants per phase
    heard: np.ndarray  # (groups, 4) contributions taken up per phase
    ignored: np.ndarray  # contributions asked for and not taken up
    hours: np.ndarray  # all co-production hours
    deliver_hours_group: np.ndarray  # co-delivery hours at group level
    deliver_hours_collective: np.ndarray  # co-delivery hours at collective level
    deliverers_need_hours_group: np.ndarray  # need hours of group-level co-deliverers
    deliverers_need_hours_collective: np.ndarray
    individual: np.ndarray  # citizens co-producing individually
    group: np.ndarray  # citizens co-producing in group work
    collective: np.ndarray  # citizens acting collectively (collective mode or volunteering)
    volunteers: np.ndarray
    volunteer_hours: np.ndarray
    wellbeing: np.ndarray  # sums per group
    met: np.ndarray
    met_need_hours: np.ndarray  # need hours met (need_hours x share met), per group
    coproduced_need_hours: np.ndarray  # the part of them that citizens' and volunteers' work produced
    caseload_participants: np.ndarray  # per professional's caseload
    caseload_invited: np.ndarray
    caseload_planners: np.ndarray  # taking part in co-commissioning or co-design
    caseload_met: np.ndarray  # sum of the share of need met
    caseload_need_hours: np.ndarray
    quintile_members: np.ndarray  # per resource quintile (0 = poorest)
    quintile_participants: np.ndarray
    quintile_heard: np.ndarray
    trust_sum: float
    efficacy_sum: float
    motivation_sum: float
    wellbeing_gini: float
    bonding: float  # summed strength of ties inside groups (each tie counted once)
    bridging: float  # summed strength of ties across groups

    @property
    def n_citizens(self) -> int:
        return int(self.members.sum())


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float((2.0 * (ranks * x).sum()) / (n * total) - (n + 1.0) / n)


def tally_citizens(n_groups, n_caseloads, group_of, caseload_of, quintile_of, need_hours, mode, phase,
                   hours, heard, ignored, invited, volunteer, volunteer_hours, wellbeing, trust, efficacy,
                   motivation, met, met_coproduced, bonding, bridging) -> Tally:
    """Sum per-citizen arrays of one month into a ``Tally`` (vectorised NumPy reductions)."""

    def per_group(weights=None):
        return np.bincount(group_of, weights=weights, minlength=n_groups).astype(np.float64)

    taking_part = phase >= 0
    by_phase = np.stack([per_group(phase == k) for k in (PHASE_COMMISSION, PHASE_DESIGN, PHASE_DELIVER, PHASE_ASSESS)], axis=1)
    heard_by_phase = np.stack([per_group(heard & (phase == k)) for k in (PHASE_COMMISSION, PHASE_DESIGN, PHASE_DELIVER, PHASE_ASSESS)], axis=1)
    delivering = phase == PHASE_DELIVER
    group_delivery = delivering & (mode == MODE_GROUP)
    collective_delivery = delivering & (mode == MODE_COLLECTIVE)
    return Tally(
        members=per_group(),
        need_hours=per_group(need_hours),
        participants=per_group(taking_part),
        by_phase=by_phase,
        heard=heard_by_phase,
        ignored=per_group(ignored),
        hours=per_group(hours),
        deliver_hours_group=per_group(np.where(group_delivery, hours, 0.0)),
        deliver_hours_collective=per_group(np.where(collective_delivery, hours, 0.0)),
        deliverers_need_hours_group=per_group(np.where(group_delivery, need_hours, 0.0)),
        deliverers_need_hours_collective=per_group(np.where(collective_delivery, need_hours, 0.0)),
        individual=per_group(mode == MODE_INDIVIDUAL),
        group=per_group(mode == MODE_GROUP),
        collective=per_group(acts_collectively(mode, volunteer)),
        volunteers=per_group(volunteer),
        volunteer_hours=per_group(volunteer_hours),
        wellbeing=per_group(wellbeing),
        met=per_group(met),
        met_need_hours=per_group(need_hours * met),
        coproduced_need_hours=per_group(need_hours * met_coproduced),
        caseload_participants=np.bincount(caseload_of, weights=taking_part, minlength=n_caseloads).astype(np.float64),
        caseload_invited=np.bincount(caseload_of, weights=invited, minlength=n_caseloads).astype(np.float64),
        caseload_planners=np.bincount(caseload_of, weights=plans(phase),
                                      minlength=n_caseloads).astype(np.float64),
        caseload_met=np.bincount(caseload_of, weights=met, minlength=n_caseloads).astype(np.float64),
        caseload_need_hours=np.bincount(caseload_of, weights=need_hours, minlength=n_caseloads).astype(np.float64),
        quintile_members=np.bincount(quintile_of, minlength=5).astype(np.float64),
        quintile_participants=np.bincount(quintile_of, weights=taking_part, minlength=5).astype(np.float64),
        quintile_heard=np.bincount(quintile_of, weights=heard, minlength=5).astype(np.float64),
        trust_sum=float(trust.sum()),
        efficacy_sum=float(efficacy.sum()),
        motivation_sum=float(motivation.sum()),
        wellbeing_gini=gini(wellbeing),
        bonding=float(bonding),
        bridging=float(bridging),
    )
