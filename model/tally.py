"""What the citizens did this month, summed by group, caseload and resource quintile.

Both engines sum their citizens with the same compiled kernels (``sum_groups``, ``sum_caseloads``,
``count_chunks``), so what is counted where is written once, and hand the model a ``Tally``
(``tally_from_sums``); the public side (professionals, NGOs, politician, learning and outcomes)
reads only these sums, never individual citizens. Groups and caseloads are contiguous ranges of
citizens, each summed in order by one thread, so the sums do not depend on the thread count.
Only the whole-population totals and the Gini differ by engine: the agents engine takes NumPy's
sums and the exact Gini of its citizens, the numba engine sums its groups' sums and bins the Gini.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from coprod.agents import rules
from coprod.model.kernel_cache import drop_stale_kernels

# What neighbours see of a citizen, packed in one byte so the neighbour loops gather one byte each:
# the mode in the low two bits, volunteering in the third.
MODE_BITS = np.uint8(3)
VOLUNTEER_BIT = np.uint8(4)
# Bins of the wellbeing histogram the numba engine's Gini reads.
GINI_BINS = 1 << 16

# Columns of the per-group sums, in order.
(G_PARTICIPANTS, G_COMMISSION, G_DESIGN, G_DELIVER, G_ASSESS, G_HEARD_COMMISSION, G_HEARD_DESIGN, G_HEARD_DELIVER,
 G_HEARD_ASSESS, G_IGNORED, G_HOURS, G_DELIVER_GROUP, G_DELIVER_COLLECTIVE, G_NEED_GROUP, G_NEED_COLLECTIVE,
 G_COLLECTIVE, G_VOLUNTEERS, G_VOLUNTEER_HOURS, G_WELLBEING, G_MET, G_TRUST, G_EFFICACY, G_MOTIVATION,
 G_BONDING, G_BRIDGING, G_MET_NEED_HOURS, G_COPRODUCED_NEED_HOURS, G_INDIVIDUAL, G_GROUP,
 N_GROUP_COLUMNS) = range(30)


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


def seen_byte(mode, volunteer):
    """What neighbours see of a citizen in one byte: the mode and the volunteering bit (arrays too)."""
    return (mode.astype(np.uint8) | np.where(volunteer, VOLUNTEER_BIT, np.uint8(0))).astype(np.uint8)


def tally_from_sums(members, need_hours, groups, caseloads, caseload_need_hours, quintile_members, quintiles,
                    wellbeing_gini, totals=None) -> Tally:
    """The ``Tally`` of the kernels' sums. ``totals`` (trust, efficacy, motivation, bonding and
    bridging summed over citizens, each tie at both ends) default to the sums of the groups' sums."""
    # One contiguous copy, a row per quantity: the Tally's per-group arrays are views of it.
    column = np.ascontiguousarray(groups.T)
    per_caseload = np.ascontiguousarray(caseloads.T)
    if totals is None:
        totals = (column[G_TRUST].sum(), column[G_EFFICACY].sum(), column[G_MOTIVATION].sum(),
                  column[G_BONDING].sum(), column[G_BRIDGING].sum())
    trust_sum, efficacy_sum, motivation_sum, bonding, bridging = totals
    return Tally(
        members=members, need_hours=need_hours,
        participants=column[G_PARTICIPANTS],
        by_phase=groups[:, G_COMMISSION:G_ASSESS + 1].copy(),
        heard=groups[:, G_HEARD_COMMISSION:G_HEARD_ASSESS + 1].copy(),
        ignored=column[G_IGNORED], hours=column[G_HOURS],
        deliver_hours_group=column[G_DELIVER_GROUP],
        deliver_hours_collective=column[G_DELIVER_COLLECTIVE],
        deliverers_need_hours_group=column[G_NEED_GROUP],
        deliverers_need_hours_collective=column[G_NEED_COLLECTIVE],
        individual=column[G_INDIVIDUAL], group=column[G_GROUP],
        collective=column[G_COLLECTIVE], volunteers=column[G_VOLUNTEERS],
        volunteer_hours=column[G_VOLUNTEER_HOURS], wellbeing=column[G_WELLBEING],
        met=column[G_MET], met_need_hours=column[G_MET_NEED_HOURS],
        coproduced_need_hours=column[G_COPRODUCED_NEED_HOURS],
        caseload_participants=per_caseload[0], caseload_invited=per_caseload[1],
        caseload_met=per_caseload[2], caseload_planners=per_caseload[3],
        caseload_need_hours=caseload_need_hours,
        quintile_members=quintile_members,
        quintile_participants=quintiles[:, 0].astype(np.float64),
        quintile_heard=quintiles[:, 1].astype(np.float64),
        trust_sum=float(trust_sum), efficacy_sum=float(efficacy_sum), motivation_sum=float(motivation_sum),
        wellbeing_gini=float(wellbeing_gini),
        # Each tie is stored at both ends.
        bonding=float(bonding) / 2.0, bridging=float(bridging) / 2.0,
    )


@njit(parallel=True, cache=True)
def sum_groups(bounds, need_hours, seen, phase, hours, heard, ignored, volunteer_hours, wellbeing, met,
               met_coproduced, trust, efficacy, motivation, bonding, bridging):
    """Per-group sums; each group is a contiguous range summed in order by one thread."""
    n_groups = bounds.shape[0] - 1
    out = np.zeros((n_groups, N_GROUP_COLUMNS))
    for g in prange(n_groups):
        row = out[g]
        for i in range(bounds[g], bounds[g + 1]):
            p = phase[i]
            mode = seen[i] & MODE_BITS
            volunteering = (seen[i] & VOLUNTEER_BIT) != 0
            if p >= 0:
                row[G_PARTICIPANTS] += 1.0
                row[G_COMMISSION + p] += 1.0
                if heard[i]:
                    row[G_HEARD_COMMISSION + p] += 1.0
                if p == rules.PHASE_DELIVER:
                    if mode == rules.MODE_GROUP:
                        row[G_DELIVER_GROUP] += hours[i]
                        row[G_NEED_GROUP] += need_hours[i]
                    elif mode == rules.MODE_COLLECTIVE:
                        row[G_DELIVER_COLLECTIVE] += hours[i]
                        row[G_NEED_COLLECTIVE] += need_hours[i]
            if ignored[i]:
                row[G_IGNORED] += 1.0
            row[G_HOURS] += hours[i]
            if rules.acts_collectively(mode, volunteering):
                row[G_COLLECTIVE] += 1.0
            if mode == rules.MODE_INDIVIDUAL:
                row[G_INDIVIDUAL] += 1.0
            elif mode == rules.MODE_GROUP:
                row[G_GROUP] += 1.0
            if volunteering:
                row[G_VOLUNTEERS] += 1.0
                row[G_VOLUNTEER_HOURS] += volunteer_hours[i]
            row[G_WELLBEING] += wellbeing[i]
            row[G_MET] += met[i]
            row[G_MET_NEED_HOURS] += need_hours[i] * met[i]
            row[G_COPRODUCED_NEED_HOURS] += need_hours[i] * met_coproduced[i]
            row[G_TRUST] += trust[i]
            row[G_EFFICACY] += efficacy[i]
            row[G_MOTIVATION] += motivation[i]
            row[G_BONDING] += bonding[i]
            row[G_BRIDGING] += bridging[i]
    return out


@njit(parallel=True, cache=True)
def sum_caseloads(caseload_bounds, phase, invited, met):
    """Participants, invitations, need met and planners per caseload (contiguous ranges, one thread each)."""
    n_caseloads = caseload_bounds.shape[0] - 1
    out = np.zeros((n_caseloads, 4))
    for c in prange(n_caseloads):
        for i in range(caseload_bounds[c], caseload_bounds[c + 1]):
            if phase[i] >= 0:
                out[c, 0] += 1.0
            if rules.plans(phase[i]):
                out[c, 3] += 1.0
            if invited[i]:
                out[c, 1] += 1.0
            out[c, 2] += met[i]
    return out


@njit(parallel=True, cache=True)
def count_chunks(quintile_of, phase, heard, wellbeing, n_chunks, histogram_bins):
    """Integer counts by chunk: quintile participation and uptake, and (when ``histogram_bins`` is
    GINI_BINS) the wellbeing histogram; with ``histogram_bins`` 0 it is not counted.

    Integer counts summed over chunks do not depend on the chunking, so the result is the same
    for any thread count. Per-chunk bins are int32 (a chunk holds < 2^31 citizens) to halve the
    memory the fixed-size histogram touches every month."""
    n = quintile_of.shape[0]
    quintiles = np.zeros((n_chunks, 5, 2), dtype=np.int64)
    histogram = np.zeros((n_chunks, histogram_bins), dtype=np.int32)
    for chunk in prange(n_chunks):
        lo = chunk * n // n_chunks
        hi = (chunk + 1) * n // n_chunks
        for i in range(lo, hi):
            q = quintile_of[i]
            if phase[i] >= 0:
                quintiles[chunk, q, 0] += 1
            if heard[i]:
                quintiles[chunk, q, 1] += 1
            if histogram_bins > 0:
                histogram[chunk, gini_bin(wellbeing[i])] += 1
    total = np.zeros(histogram_bins, dtype=np.int64)
    for chunk in range(n_chunks):
        for b in range(histogram_bins):
            total[b] += histogram[chunk, b]
    return quintiles.sum(axis=0), total


@njit(cache=True)
def gini_bin(value):
    """The histogram bin (of GINI_BINS equal bins on [0, 1]) a wellbeing value falls in."""
    b = int(value * GINI_BINS)
    return min(max(b, 0), GINI_BINS - 1)


# The kernels inline the citizens' rules: recompile when they change.
drop_stale_kernels(sum_groups, "tally", [rules.__file__])
