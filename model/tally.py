"""What the citizens did this month, summed by group, caseload and resource quintile, and the Gini.

Both engines sum their citizens with the same compiled code (what one citizen adds to its group,
caseload and quintile is written once, in ``_sum_group``, ``_sum_caseload`` and
``_count_quintiles``) and hand the model a ``Tally`` (``tally_of``); the public side
(professionals, NGOs, politician, learning and outcomes) reads only these sums, never individual
citizens. Groups and caseloads are contiguous ranges of citizens, each summed in order by one
thread, so the sums do not depend on the thread count. The parallel kernels (``sum_groups``,
``sum_caseloads``, ``count_chunks``) serve large populations and the agents engine; a small
population on one thread is tallied by ``tally_month`` in one call, to the same bits.
Only the whole-population totals and the Gini differ by engine: the agents engine takes NumPy's
sums and the exact Gini of its citizens, the numba engine sums its groups' sums (NumPy's pairwise
order) and bins the Gini (``histogram_gini``, or the same number from sorted bins).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, fields

import numpy as np
from numba import njit, prange
from numba.extending import register_jitable

from coprod.agents import rules
from coprod.core.kernel_cache import drop_stale_kernels

# What neighbours see of a citizen, packed in one byte so the neighbour loops gather one byte each:
# the mode in the low two bits, volunteering in the third.
MODE_BITS = np.uint8(3)
VOLUNTEER_BIT = np.uint8(4)
ASSOCIATION_BIT = np.uint8(8)  # volunteers in associational life (what ties see of it)
# Integer constants handed to the helper kernels below are written np.int64(...): a bare 0 is typed
# Literal[int](0) and compiles a second copy of the helper beside the int64 one (~1 s of a cold compile).
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

    members: np.ndarray  # citizens per group (float64, as every per-group sum)
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

    def values(self) -> tuple:
        """The fields as a plain tuple, in declaration order, for compiled readers, which name them
        again (``TallyRecord``): Numba types a plain tuple in C at each call, a named one in Python."""
        return tuple(map(self.__dict__.__getitem__, TallyRecord._fields))


# A ``Tally`` as the compiled readers name it (``tally = TallyRecord(*values)`` inside a kernel).
TallyRecord = namedtuple("TallyRecord", [field.name for field in fields(Tally)])


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float((2.0 * (ranks * x).sum()) / (n * total) - (n + 1.0) / n)


@register_jitable
def seen_byte_of(mode, volunteer, activity):
    """What neighbours see of a citizen in one byte: the mode, volunteering for the NGO and
    volunteering in associational life."""
    return np.uint8(mode | (VOLUNTEER_BIT if volunteer else 0)
                    | (ASSOCIATION_BIT if activity != rules.ACTIVITY_NONE else 0))


def tally_of(members, need_hours, column, by_phase, heard, per_caseload, caseload_need_hours, quintile_members,
             per_quintile, totals, wellbeing_gini) -> Tally:
    """The ``Tally`` of summed citizens: ``column`` has a row per group column (G_...), ``per_caseload``
    a row per caseload sum (participants, invited, met, planners), ``per_quintile`` a row for those
    taking part and one for those heard; ``totals`` are trust, efficacy, motivation, bonding and
    bridging summed over citizens (each tie at both ends). The per-group arrays are views of ``column``."""
    trust_sum, efficacy_sum, motivation_sum, bonding, bridging = totals
    return Tally(
        members=members, need_hours=need_hours,
        participants=column[G_PARTICIPANTS], by_phase=by_phase, heard=heard,
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
        caseload_participants=per_caseload[0],  # per_caseload[1], invitations, is summed but not read
        caseload_met=per_caseload[2], caseload_planners=per_caseload[3],
        caseload_need_hours=caseload_need_hours,
        quintile_members=quintile_members,
        quintile_participants=per_quintile[0], quintile_heard=per_quintile[1],
        trust_sum=float(trust_sum), efficacy_sum=float(efficacy_sum), motivation_sum=float(motivation_sum),
        wellbeing_gini=float(wellbeing_gini),
        # Each tie is stored at both ends.
        bonding=float(bonding) / 2.0, bridging=float(bridging) / 2.0,
    )


def tally_from_sums(members, need_hours, groups, caseloads, caseload_need_hours, quintile_members, quintiles,
                    wellbeing_gini, totals=None) -> Tally:
    """The ``Tally`` of the parallel kernels' sums (``sum_groups``, ``sum_caseloads``, ``count_chunks``).
    ``totals`` (trust, efficacy, motivation, bonding and bridging summed over citizens, each tie at
    both ends) default to NumPy's sums of the groups' sums."""
    # One contiguous copy, a row per quantity: the Tally's per-group arrays are views of it.
    column = np.ascontiguousarray(groups.T)
    if totals is None:
        totals = column[G_TRUST:G_BRIDGING + 1].sum(axis=1)
    return tally_of(members, need_hours, column, groups[:, G_COMMISSION:G_ASSESS + 1].copy(),
                    groups[:, G_HEARD_COMMISSION:G_HEARD_ASSESS + 1].copy(), np.ascontiguousarray(caseloads.T),
                    caseload_need_hours, quintile_members, np.ascontiguousarray(quintiles.T, dtype=np.float64),
                    totals, wellbeing_gini)


# Loops over citizens run on unsigned indices: Numba then leaves out the check for a negative index
# (counted from the end) on every array access, ~12% of the serial tally at 2,000 citizens.
#
# What one citizen adds to its group's, its caseload's and its quintile's sums is written once,
# in the three helpers below; the parallel kernels and the serial ``tally_month`` both loop over
# citizens in order and call them, so the two paths add the same numbers in the same order. They
# compile into their callers (no cache of their own, so the warm-up never counts them cold).
@njit
def _sum_group(row, lo, hi, traits, state, bonding, bridging):
    """Add citizens ``lo`` to ``hi - 1`` (one group, in order) to the group's ``row`` of sums.

    Each sum runs in a local variable, from 0.0, and is added to the row once at the end (the same
    additions in the same order as adding into the row citizen by citizen, without the compiler
    storing the whole row after every citizen: it cannot tell that ``row`` is not an input)."""
    participants = commission = design = deliver = assess = 0.0
    heard_commission = heard_design = heard_deliver = heard_assess = 0.0
    deliver_group = need_group = deliver_collective = need_collective = 0.0
    ignored_sum = hours_sum = collective = individual = group = volunteers = volunteer_hours_sum = 0.0
    wellbeing_sum = met_sum = met_need_hours = coproduced_need_hours = 0.0
    trust_sum = efficacy_sum = motivation_sum = bonding_sum = bridging_sum = 0.0
    for i in range(np.uint64(lo), np.uint64(hi)):
        citizen = state[i]
        need_hours = traits[i].need_hours
        p = citizen.phase
        mode = citizen.mode
        if p >= 0:
            participants += 1.0
            if p == rules.PHASE_COMMISSION:
                commission += 1.0
                heard_commission += 1.0 if citizen.heard else 0.0
            elif p == rules.PHASE_DESIGN:
                design += 1.0
                heard_design += 1.0 if citizen.heard else 0.0
            elif p == rules.PHASE_DELIVER:
                deliver += 1.0
                heard_deliver += 1.0 if citizen.heard else 0.0
                if mode == rules.MODE_GROUP:
                    deliver_group += citizen.hours
                    need_group += need_hours
                elif mode == rules.MODE_COLLECTIVE:
                    deliver_collective += citizen.hours
                    need_collective += need_hours
            elif p == rules.PHASE_ASSESS:
                assess += 1.0
                heard_assess += 1.0 if citizen.heard else 0.0
        ignored_sum += 1.0 if citizen.ignored else 0.0
        hours_sum += citizen.hours
        collective += 1.0 if rules.acts_collectively(mode, citizen.is_volunteer) else 0.0
        individual += 1.0 if mode == rules.MODE_INDIVIDUAL else 0.0
        group += 1.0 if mode == rules.MODE_GROUP else 0.0
        if citizen.is_volunteer:
            volunteers += 1.0
            volunteer_hours_sum += citizen.volunteer_hours
        wellbeing_sum += citizen.wellbeing
        met_sum += citizen.met
        met_need_hours += need_hours * citizen.met
        coproduced_need_hours += need_hours * citizen.met_coproduced
        trust_sum += citizen.trust
        efficacy_sum += citizen.efficacy
        motivation_sum += citizen.motivation
        bonding_sum += bonding[i]
        bridging_sum += bridging[i]
    _add_to_row(row, (participants, commission, design, deliver, assess, heard_commission, heard_design,
                      heard_deliver, heard_assess, ignored_sum, hours_sum, deliver_group, deliver_collective,
                      need_group, need_collective, collective, volunteers, volunteer_hours_sum, wellbeing_sum, met_sum,
                      trust_sum, efficacy_sum, motivation_sum, bonding_sum, bridging_sum, met_need_hours,
                      coproduced_need_hours, individual, group))


@njit
def _add_to_row(row, sums):
    """Add ``sums``, one per group column in the order of the G_ constants, to ``row``."""
    for k in range(N_GROUP_COLUMNS):
        row[k] += sums[k]


@njit
def _sum_caseload(row, lo, hi, state):
    """Add citizens ``lo`` to ``hi - 1`` (one caseload, in order) to its ``row``: participants,
    invitations, need met and planners (local sums, as in ``_sum_group``)."""
    participants = invitations = met_sum = planners = 0.0
    for i in range(np.uint64(lo), np.uint64(hi)):
        citizen = state[i]
        if citizen.phase >= 0:
            participants += 1.0
        if rules.plans(citizen.phase):
            planners += 1.0
        if citizen.invited:
            invitations += 1.0
        met_sum += citizen.met
    row[0] += participants
    row[1] += invitations
    row[2] += met_sum
    row[3] += planners


@njit
def _count_quintiles(counts, lo, hi, traits, state):
    """Count citizens ``lo`` to ``hi - 1`` taking part and heard, per quintile, into ``counts`` (5, 2)."""
    for i in range(np.uint64(lo), np.uint64(hi)):
        q = traits[i].quintile
        if state[i].phase >= 0:
            counts[q, 0] += 1
        if state[i].heard:
            counts[q, 1] += 1


@njit(parallel=True, cache=True, error_model="numpy")
def sum_groups(bounds, traits, state, bonding, bridging):
    """Per-group sums; each group is a contiguous range summed in order by one thread."""
    n_groups = bounds.shape[0] - 1
    out = _zeros_2d(n_groups, np.int64(N_GROUP_COLUMNS))
    for g in prange(n_groups):
        _sum_group(out[g], bounds[g], bounds[g + 1], traits, state, bonding, bridging)
    return out


@njit(parallel=True, cache=True, error_model="numpy")
def sum_caseloads(caseload_bounds, state):
    """Participants, invitations, need met and planners per caseload (contiguous ranges, one thread each)."""
    n_caseloads = caseload_bounds.shape[0] - 1
    out = _zeros_2d(n_caseloads, np.int64(4))
    for c in prange(n_caseloads):
        _sum_caseload(out[c], caseload_bounds[c], caseload_bounds[c + 1], state)
    return out


@njit(parallel=True, cache=True, error_model="numpy")
def count_chunks(traits, state, n_chunks, histogram_bins):
    """Integer counts by chunk: quintile participation and uptake, and (when ``histogram_bins`` is
    GINI_BINS) the wellbeing histogram; with ``histogram_bins`` 0 it is not counted.

    Integer counts summed over chunks do not depend on the chunking, so the result is the same
    for any thread count. Per-chunk bins are int32 (a chunk holds < 2^31 citizens) to halve the
    memory the fixed-size histogram touches every month."""
    n = state.shape[0]
    quintiles, histogram = _chunk_counts(n_chunks, histogram_bins)
    for chunk in prange(n_chunks):
        lo = chunk * n // n_chunks
        hi = (chunk + 1) * n // n_chunks
        _count_quintiles(quintiles[chunk], lo, hi, traits, state)
        if histogram_bins > 0:
            for i in range(np.uint64(lo), np.uint64(hi)):
                histogram[chunk, gini_bin(state[i].wellbeing)] += 1
    return _chunk_totals(quintiles, histogram)


# Array set-up and the sum over chunks, outside the parallel kernels: in a ``parallel=True``
# kernel Numba turns every ``np.zeros`` and ``sum(axis=...)`` into a parallel loop of its own,
# compiled (seconds, on a cold cache) and launched (microseconds, every month) apart.
@njit
def _zeros_2d(rows, columns):
    return np.zeros((rows, columns))


@njit
def _chunk_counts(n_chunks, histogram_bins):
    return np.zeros((n_chunks, 5, 2), dtype=np.int64), np.zeros((n_chunks, histogram_bins), dtype=np.int32)


@njit
def _chunk_totals(quintiles, histogram):
    quintile_total = np.zeros((5, 2), dtype=np.int64)
    total = np.zeros(histogram.shape[1], dtype=np.int64)
    for chunk in range(quintiles.shape[0]):
        for q in range(5):
            quintile_total[q, 0] += quintiles[chunk, q, 0]
            quintile_total[q, 1] += quintiles[chunk, q, 1]
        for b in range(histogram.shape[1]):
            total[b] += histogram[chunk, b]
    return quintile_total, total


@njit(cache=True)
def tally_month(group_bounds, caseload_bounds, traits, state, bonding, bridging):
    """The numba engine's month on one thread, in one call: ``sum_groups``, ``sum_caseloads``,
    ``count_chunks``' quintiles and the sorted-bins Gini, laid out as ``tally_of`` takes them (one
    kernel launch and no NumPy copies, where the parallel path takes five and a dozen).

    Same helpers, same order, so the same bits as the parallel path; the totals are NumPy's
    pairwise sums of the groups' sums, as ``tally_from_sums`` takes them."""
    n_groups = group_bounds.shape[0] - 1
    groups = np.zeros((n_groups, N_GROUP_COLUMNS))
    for g in range(n_groups):
        _sum_group(groups[g], group_bounds[g], group_bounds[g + 1], traits, state, bonding, bridging)
    n_caseloads = caseload_bounds.shape[0] - 1
    caseloads = np.zeros((n_caseloads, 4))
    for c in range(n_caseloads):
        _sum_caseload(caseloads[c], caseload_bounds[c], caseload_bounds[c + 1], state)
    quintiles = np.zeros((5, 2), dtype=np.int64)
    _count_quintiles(quintiles, np.int64(0), state.shape[0], traits, state)
    column = np.ascontiguousarray(groups.T)
    totals = (numpy_sum(column[G_TRUST]), numpy_sum(column[G_EFFICACY]), numpy_sum(column[G_MOTIVATION]),
              numpy_sum(column[G_BONDING]), numpy_sum(column[G_BRIDGING]))
    return (column, np.ascontiguousarray(groups[:, G_COMMISSION:G_ASSESS + 1]),
            np.ascontiguousarray(groups[:, G_HEARD_COMMISSION:G_HEARD_ASSESS + 1]),
            np.ascontiguousarray(caseloads.T), np.ascontiguousarray(quintiles.T).astype(np.float64), totals,
            sorted_bins_gini(sorted_wellbeing_bins(state)))


@njit
def numpy_sum(values):
    """``np.sum`` of a contiguous float64 array, to the bit: NumPy adds pairwise, in blocks of up
    to 128 values with eight running sums (``pairwise_sum`` in NumPy's ``loops_utils.h.src``),
    onto the identity 0.0 (so a sum of nothing, or of -0.0, is 0.0)."""
    n = values.shape[0]
    if n <= 128:  # one block: no recursion to walk (and nothing to allocate)
        return 0.0 + block_sum(values, np.int64(0), n)
    return 0.0 + _pairwise_sum(values, np.int64(0), n)


@njit
def _pairwise_sum(values, lo, n):
    """NumPy's recursion (halves cut at a multiple of 8, blocks of up to 128 at the leaves), walked
    with a stack of its own: Numba's cache does not load recursive functions safely (it crashed)."""
    depth = 64  # halving n < 2^63 down to 128 takes fewer levels
    start_of = np.empty(depth, dtype=np.int64)
    size_of = np.empty(depth, dtype=np.int64)
    right_next = np.zeros(depth, dtype=np.bool_)  # the left half is summed, in left_sum
    left_sum = np.empty(depth)
    top = 0
    start_of[0], size_of[0] = lo, n
    while True:
        if size_of[top] > 128:  # descend into the left half
            half = size_of[top] // 2
            half -= half % 8
            start_of[top + 1], size_of[top + 1], right_next[top + 1] = start_of[top], half, False
            top += 1
            continue
        total = block_sum(values, start_of[top], size_of[top])
        top -= 1
        while top >= 0 and right_next[top]:  # both halves done: left + right, as NumPy adds them
            total = left_sum[top] + total
            top -= 1
        if top < 0:
            return total
        left_sum[top], right_next[top] = total, True
        half = size_of[top] // 2
        half -= half % 8
        start_of[top + 1], size_of[top + 1], right_next[top + 1] = start_of[top] + half, size_of[top] - half, False
        top += 1


@njit
def block_sum(values, lo, n):
    """NumPy's sum of ``values[lo:lo + n]`` for up to 128 values (add it to 0.0 for ``np.sum``'s
    result): in order below 8, else eight running sums, then the rest."""
    if n < 8:
        total = -0.0  # as NumPy starts: keeps a sum of -0.0 negative
        for i in range(lo, lo + n):
            total += values[i]
        return total
    r0, r1, r2, r3 = values[lo], values[lo + 1], values[lo + 2], values[lo + 3]
    r4, r5, r6, r7 = values[lo + 4], values[lo + 5], values[lo + 6], values[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += values[lo + i]
        r1 += values[lo + i + 1]
        r2 += values[lo + i + 2]
        r3 += values[lo + i + 3]
        r4 += values[lo + i + 4]
        r5 += values[lo + i + 5]
        r6 += values[lo + i + 6]
        r7 += values[lo + i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        total += values[lo + i]
        i += 1
    return total


# The Gini of wellbeing, binned: from a 2^16-bin histogram (``histogram_gini``) for large
# populations, or from the citizens' bins sorted (``sorted_bins_gini``), the same number to the bit.
@njit(cache=True)
def histogram_gini(counts):
    """Gini from counts in equal bins on [0, 1], each value taken at its bin's centre.

    One pass over the bins: a bin's rank sum needs only the count below it, and empty bins
    add nothing, so they are skipped."""
    bins = counts.shape[0]
    total = 0.0
    ranked = 0.0
    below = np.int64(0)  # citizens ranked below this bin
    for b in range(bins):
        c = counts[b]
        if c > 0:
            total, ranked, below = _add_bin(total, ranked, below, b, c, bins)
    return _binned_gini(total, ranked, below)


@njit(cache=True)
def binned_gini_by_sorting(state):
    """``histogram_gini`` of the wellbeing histogram, from the citizens' bins sorted."""
    return sorted_bins_gini(sorted_wellbeing_bins(state))


# The helpers below compile into the Gini kernels that call them (and are cached with them), so
# they carry no cache of their own for the warm-up to find cold.
@njit
def _add_bin(total, ranked, below, b, c, bins):
    """Add ``c`` citizens in bin ``b`` (of ``bins``) to the running sums of the binned Gini: a
    bin's rank sum needs only the count of citizens below it. Both Gini kernels add bins with this,
    in the same order, so they give the same number to the bit."""
    value = (b + 0.5) / bins
    return total + c * value, ranked + c * value * (below + (c + 1) / 2.0), below + c


@njit
def _binned_gini(total, ranked, n):
    if n == 0 or total <= 0.0:
        return 0.0
    return 2.0 * ranked / (n * total) - (n + 1.0) / n


@njit
def wellbeing_bins(state):
    """Each citizen's wellbeing bin, as uint16 (GINI_BINS is 2^16), for ``sorted_bins_gini``."""
    bins_of = np.empty(state.shape[0], dtype=np.uint16)
    for i in range(np.uint64(state.shape[0])):
        bins_of[i] = gini_bin(state[i].wellbeing)
    return bins_of


@njit
def sorted_wellbeing_bins(state):
    """``np.sort(wellbeing_bins(state))``, by the same method as NumPy's for 16-bit keys: a
    radix sort, two counting passes over the low then the high byte (linear time, and a sorted
    array is the same whatever sorted it)."""
    bins_of = wellbeing_bins(state)
    by_low_byte = np.empty_like(bins_of)
    _counting_pass(bins_of, by_low_byte, np.int64(0))
    _counting_pass(by_low_byte, bins_of, np.int64(8))
    return bins_of


@njit
def _counting_pass(source, target, shift):
    """Stable counting sort of ``source`` into ``target`` by the byte at ``shift``."""
    starts = np.zeros(257, dtype=np.uint64)
    n = np.uint64(source.shape[0])
    for i in range(n):
        starts[np.uint64((source[i] >> shift) & 0xFF) + np.uint64(1)] += np.uint64(1)
    for b in range(np.uint64(256)):
        starts[b + np.uint64(1)] += starts[b]
    for i in range(n):
        key = np.uint64((source[i] >> shift) & 0xFF)
        target[starts[key]] = source[i]
        starts[key] += np.uint64(1)


@njit
def sorted_bins_gini(sorted_bins):
    """``histogram_gini`` without the histogram: the citizens' bins, sorted, visit the same
    non-empty bins in the same order with the same counts, so the sums run in the same order and
    the result is bit-identical. Used for small populations, where touching 2^16 bins a month
    cost more than the citizens' whole month."""
    n = sorted_bins.shape[0]
    bins = np.int64(GINI_BINS)
    total = 0.0
    ranked = 0.0
    below = np.int64(0)  # citizens ranked below this bin
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and sorted_bins[stop] == sorted_bins[start]:
            stop += 1
        total, ranked, below = _add_bin(total, ranked, below, np.int64(sorted_bins[start]), np.int64(stop - start),
                                        bins)
        start = stop
    return _binned_gini(total, ranked, below)


@njit(cache=True)
def gini_bin(value):
    """The histogram bin (of GINI_BINS equal bins on [0, 1]) a wellbeing value falls in."""
    b = int(value * GINI_BINS)
    return min(max(b, 0), GINI_BINS - 1)


# The kernels inline the citizens' rules: recompile when they change.
drop_stale_kernels(sum_groups, "tally", [rules.__file__])
