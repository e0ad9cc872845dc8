"""The 'numba' engine: the citizens as arrays, stepped by compiled kernels.

Same rules as the Mesa ``Citizen`` (``rules.citizen_month``, ``rules.acted_together``,
``rules.update_tie`` and the counter-based ``streams.counter_uniform``, inlined by Numba), another
scheduler: one parallel loop over citizens reading last month's behaviour of their ties. State
is stored as float32 to keep 10^7 citizens within ~200 bytes each; the rules compute in float64.

Every reduction is deterministic whatever the thread count: the monthly sums are the kernels of
``model/tally.py`` (groups and caseloads summed in order by one thread each; quintile counts and
the wellbeing histogram are integer counts in a fixed number of chunks); below 5,000 citizens,
where the month runs on one thread, one serial kernel (``tally_month``) does all of them, with the
same per-citizen code. The Gini coefficient is computed from a 2^16-bin histogram of wellbeing
(error below 1e-4), not from a full sort of the values; below 40,000 citizens from the same bins,
radix-sorted (the same number, cheaper than 2^16 bins).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange
from numba.np.unsafe.ndarray import to_fixed_tuple

from coprod.agents import rules
from coprod.agents.state import CITIZEN_STATE, QUANTITIES, STORE_DTYPES, check_settable
from coprod.core import streams
from coprod.core.kernel_cache import drop_stale_kernels
from coprod.core.streams import (
    STREAM_ASSOCIATION,
    STREAM_HEARD,
    STREAM_INVITE,
    STREAM_JOIN,
    STREAM_LEVEL,
    STREAM_LIFE_EVENT,
    STREAM_PHASE,
    STREAM_VOLUNTEER,
    counter_uniform,
)
from coprod.core.threads import PARALLEL_FROM_CITIZENS, threads_for
from coprod.model.network import Network, group_bounds
from coprod.model.offer import Offer
from coprod.model.tally import (
    ASSOCIATION_BIT,
    GINI_BINS,
    MODE_BITS,
    VOLUNTEER_BIT,
    Tally,
    binned_gini_by_sorting,
    count_chunks,
    histogram_gini,
    sum_caseloads,
    sum_groups,
    tally_from_sums,
    tally_month,
    tally_of,
)

STATE = np.float32
N_THETA = len(rules.THETA_NAMES)
assert STORE_DTYPES["float"] == np.dtype(STATE).name
# Quantities kept packed in the byte neighbours read (``seen_now``, ``seen_last``), not in arrays of their own.
PACKED = ("mode", "is_volunteer")
# Below this many citizens the Gini reads the citizens' sorted bins instead of a 2^16-bin histogram
# (same result, bit for bit): 12 against 59 us at 300 citizens, 141 against 287 us at 20,000, even
# near 50,000 (one thread, 2-core VM).
SORTED_GINI_BELOW = 40_000


@njit(parallel=True, cache=True, error_model="numpy")
def live_month(theta, seed, step, indptr, indices, group_of, caseload_of, need, resources, need_hours,
               trust, efficacy, efficacy0, motivation, motivation0, wellbeing, propensity, civic_pull, informed,
               activity, tenure, association_hours,
               seen_last, seen_now, phase, hours, heard, ignored, invited, volunteer_hours, met, met_coproduced,
               invite_rate, outreach_rate, facilitation, service_share, fit, quality, group_benefit,
               collective_member_benefit, collective_participant_benefit, ngo_benefit, ngo_pull, ngo_control):
    """Every citizen's month (rules.citizen_month), reading only last month's behaviour of ties."""
    n = group_of.shape[0]
    s = np.uint64(seed)
    t = np.uint64(step)
    # The parameters as a tuple of numbers: read from registers, not reloaded from the array after
    # every store to the citizens' arrays (which the compiler cannot tell apart from it).
    parameters = to_fixed_tuple(theta, N_THETA)
    for i in prange(n):
        # Arrays are read at unsigned indices (u, k, j, g, c): Numba then leaves out the check for a
        # negative index (counted from the end) on each access.
        u = np.uint64(i)
        lo, hi = indptr[u], indptr[u + np.uint64(1)]
        active = 0
        together = 0
        associated = 0
        for k in range(np.uint64(lo), np.uint64(hi)):
            seen = seen_last[np.uint64(indices[k])]
            if rules.takes_part(seen & MODE_BITS):
                active += 1
            if rules.acts_collectively(seen & MODE_BITS, (seen & VOLUNTEER_BIT) != 0):
                together += 1
            if (seen & ASSOCIATION_BIT) != 0:
                associated += 1
        peer_active, peer_collective = rules.peer_shares(active, together, hi - lo)
        peer_volunteering = rules.peer_share(associated, hi - lo)
        g = np.uint64(group_of[u])
        c = np.uint64(caseload_of[u])
        month = rules.citizen_month(
            parameters, np.float64(need[u]), np.float64(resources[u]), np.float64(trust[u]), np.float64(efficacy[u]),
            np.float64(efficacy0[u]), np.float64(motivation[u]), np.float64(motivation0[u]),
            np.float64(wellbeing[u]), (seen_last[u] & VOLUNTEER_BIT) != 0, peer_active, peer_collective,
            np.float64(propensity[u]), np.float64(civic_pull[u]), rules.takes_part(seen_last[u] & MODE_BITS),
            informed[u], np.int64(activity[u]), np.float64(tenure[u]), peer_volunteering,
            invite_rate[c], outreach_rate[c], facilitation[c], service_share[c], fit[g], quality,
            group_benefit[g], collective_member_benefit[g], collective_participant_benefit[g],
            ngo_benefit[g], ngo_pull[g], ngo_control[g],
            counter_uniform(s, t, u, np.uint64(STREAM_INVITE)), counter_uniform(s, t, u, np.uint64(STREAM_JOIN)),
            counter_uniform(s, t, u, np.uint64(STREAM_PHASE)), counter_uniform(s, t, u, np.uint64(STREAM_HEARD)),
            counter_uniform(s, t, u, np.uint64(STREAM_VOLUNTEER)), counter_uniform(s, t, u, np.uint64(STREAM_LEVEL)),
            counter_uniform(s, t, u, np.uint64(STREAM_LIFE_EVENT)),
            counter_uniform(s, t, u, np.uint64(STREAM_ASSOCIATION)))
        seen_now[u] = (month.mode | (VOLUNTEER_BIT if month.is_volunteer else 0)
                       | (ASSOCIATION_BIT if month.activity != rules.ACTIVITY_NONE else 0))
        activity[u] = month.activity
        tenure[u] = month.tenure
        association_hours[u] = month.association_hours
        phase[u] = month.phase
        hours[u] = month.hours
        heard[u] = month.heard
        ignored[u] = month.ignored
        invited[u] = month.invited
        wellbeing[u] = month.wellbeing
        trust[u] = month.trust
        efficacy[u] = month.efficacy
        motivation[u] = month.motivation
        volunteer_hours[u] = month.volunteer_hours
        met[u] = month.met
        met_coproduced[u] = month.met_coproduced


@njit(parallel=True, cache=True, error_model="numpy")
def tend_ties(indptr, indices, group_of, bounds, seen, strength, build_rate, decay_rate, bonding, bridging, tied):
    """Each stored tie grows if its two ends acted together this month, else fades (rules.update_tie).
    Also sums each citizen's bonding and bridging strength, so no other pass reads the ties.
    Whether a neighbour shares the group is a range check (groups are contiguous), not a lookup.
    ``tied`` says which citizens have a tie above zero; it is kept up to date here."""
    n = group_of.shape[0]
    for i in prange(n):
        u = np.uint64(i)  # unsigned indices, as in live_month
        mine = seen[u]
        # Most citizens could not have acted together with anyone this month: their ties only fade,
        # and the neighbours' bytes (the random reads) need not be fetched. A tie at zero that did
        # not act stays exactly zero (update_tie(0, False) == 0), so it is left as it is; and a
        # citizen all of whose ties are zero is skipped whole (their bonding and bridging are 0
        # already): most citizens, most months.
        could = rules.may_act_together(mine & MODE_BITS, (mine & VOLUNTEER_BIT) != 0)
        if not could and not tied[u]:
            continue
        g = np.uint64(group_of[u])
        first, last = bounds[g], bounds[g + np.uint64(1)]
        any_tie = False
        inside = 0.0
        across = 0.0
        # The group range check is written inside each branch, not hoisted into a variable:
        # hoisted, the compiled pass was about 40% slower at 10^6 (measured).
        for k in range(np.uint64(indptr[u]), np.uint64(indptr[u + np.uint64(1)])):
            j = indices[k]
            if could:
                theirs = seen[np.uint64(j)]
                together = rules.acted_together(mine & MODE_BITS, theirs & MODE_BITS, 0,
                                                0 if first <= j < last else 1,
                                                (mine & VOLUNTEER_BIT) != 0, (theirs & VOLUNTEER_BIT) != 0)
            else:
                together = False
            if together or strength[k] != 0.0:
                strength[k] = rules.update_tie(np.float64(strength[k]), together, build_rate, decay_rate)
                if first <= j < last:
                    inside += strength[k]
                else:
                    across += strength[k]
                if strength[k] != 0.0:
                    any_tie = True
        bonding[u] = inside
        bridging[u] = across
        tied[u] = any_tie


# The kernels inline the citizens' rules and the counter-based draws: recompile when those change.
drop_stale_kernels(live_month, "engine_numba", [rules.__file__, streams.__file__])


class NumbaEngine:
    name = "numba"

    def __init__(self, model, init: dict[str, np.ndarray], network: Network):
        self.model = model
        p = model.p
        n = len(init["group_of"])
        self.n = n
        self.indptr, self.indices = network.indptr, network.indices
        self.group_of = np.ascontiguousarray(init["group_of"], dtype=np.int32)
        self.caseload_of = np.ascontiguousarray(init["caseload_of"], dtype=np.int32)
        self.quintile_of = np.ascontiguousarray(init["quintile_of"], dtype=np.int8)
        self.group_bounds = group_bounds(n, p["n_groups"])
        self.caseload_bounds = np.searchsorted(self.caseload_of, np.arange(model.n_caseloads + 1)).astype(np.int64)
        # The float64 starting arrays are taken out of ``init`` as they are converted, so that at
        # 10^7 citizens the two copies never coexist (this sets the run's peak memory).
        need = init.pop("need")
        self.need = need.astype(STATE)
        self.need_hours = rules.citizen_need_hours(need, p["need_per_citizen_hours"]).astype(STATE)
        del need
        self.resources = init.pop("resources").astype(STATE)
        self.trust = init.pop("trust").astype(STATE)
        self.efficacy = init.pop("efficacy").astype(STATE)
        self.efficacy0 = self.efficacy.copy()
        self.motivation = init.pop("motivation").astype(STATE)
        self.motivation0 = self.motivation.copy()
        self.wellbeing = init.pop("wellbeing").astype(STATE)
        self.propensity = init.pop("propensity").astype(STATE)
        self.civic_pull = np.exp(self.propensity.astype(np.float64)).astype(STATE)  # e^propensity, for NGOs
        # The rest of the state starts where its declaration says (agents/state.py); mode and
        # volunteering are kept packed in one byte.
        for quantity in CITIZEN_STATE:
            if quantity.initial is not None and quantity.name not in PACKED:
                setattr(self, quantity.name, np.full(n, quantity.initial, dtype=STORE_DTYPES[quantity.kind]))
        assert rules.MODE_NONE == 0 and not QUANTITIES["is_volunteer"].initial  # a zero byte: nothing yet
        self.seen_now = np.zeros(n, dtype=np.uint8)  # this month's mode and volunteering, packed
        self.seen_last = np.zeros(n, dtype=np.uint8)  # last month's, what neighbours read
        self.strength = np.zeros(len(self.indices), dtype=STATE)
        self.tied = np.zeros(n, dtype=np.bool_)  # has a tie above zero (tend_ties keeps it)
        self.bonding = np.zeros(n, dtype=STATE)  # each citizen's summed tie strength inside / across groups
        self.bridging = np.zeros(n, dtype=STATE)
        # What does not change: members, need and need hours per group and caseload.
        self.members = np.diff(self.group_bounds).astype(np.float64)
        self.need_hours_by_group = np.bincount(self.group_of, weights=self.need_hours, minlength=p["n_groups"])
        self.need_hours_by_caseload = np.bincount(self.caseload_of, weights=self.need_hours,
                                                  minlength=model.n_caseloads)
        self.quintile_members = np.bincount(self.quintile_of, minlength=5).astype(np.float64)

    def month(self, offer: Offer) -> Tally:
        with threads_for(self.n):
            return self._month(offer)

    def _month(self, offer: Offer) -> Tally:
        p = self.model.p
        live_month(offer.theta, offer.seed, offer.step, self.indptr, self.indices, self.group_of, self.caseload_of,
                   self.need, self.resources, self.need_hours, self.trust, self.efficacy, self.efficacy0,
                   self.motivation, self.motivation0, self.wellbeing, self.propensity, self.civic_pull, self.informed,
                   self.activity, self.tenure, self.association_hours, self.seen_last, self.seen_now, self.phase,
                   self.hours, self.heard, self.ignored, self.invited,
                   self.volunteer_hours, self.met, self.met_coproduced,
                   offer.invite_rate, offer.outreach_rate, offer.facilitation, offer.service_share,
                   offer.fit, offer.quality, offer.group_benefit, offer.collective_member_benefit,
                   offer.collective_participant_benefit, offer.ngo_benefit, offer.ngo_pull, offer.ngo_control)
        tend_ties(self.indptr, self.indices, self.group_of, self.group_bounds, self.seen_now, self.strength,
                  p["tie_build_rate"], p["tie_decay_rate"], self.bonding, self.bridging, self.tied)
        tally = self.tally()
        # This month's behaviour is what neighbours see next month.
        self.seen_last, self.seen_now = self.seen_now, self.seen_last
        return tally

    # Per-citizen state by name, for observers (pictures, pattern records) and in-silico trials.
    def citizen_values(self, name: str) -> np.ndarray:
        """One per-citizen quantity of the month just stepped, as a float64 (bool, int8 for a code) copy."""
        if name == "mode":
            return self.current_mode
        if name == "phase":
            return self.phase.copy()
        if name == "is_volunteer":
            return (self.seen_last & VOLUNTEER_BIT) != 0
        if name == "quintile":
            return self.quintile_of.astype(np.int8)
        values = getattr(self, name)
        if values.dtype == np.bool_:
            return values.copy()
        # a code (an int8 quantity such as the association activity) stays a code, as the agents hand it
        return values.astype(np.int8) if QUANTITIES[name].kind == "int8" else values.astype(np.float64)

    def set_citizen_values(self, name: str, index: np.ndarray, values) -> None:
        """Change a state quantity for some citizens (an intervention); later months read it."""
        check_settable(name)
        array = getattr(self, name)
        array[index] = values

    @property
    def current_mode(self) -> np.ndarray:
        """Each citizen's mode in the month just stepped (for pictures and tests)."""
        return (self.seen_last & MODE_BITS).astype(np.int8)

    @property
    def last_phase(self) -> np.ndarray:
        """Each citizen's phase in the month just stepped."""
        return self.phase

    def tally(self) -> Tally:
        """The month's sums: in one serial kernel below ``PARALLEL_FROM_CITIZENS`` (where the month
        runs on one thread anyway), else by the parallel kernels; the same numbers either way."""
        if self.n < PARALLEL_FROM_CITIZENS:
            return self.tally_serially()
        return self.tally_in_parallel()

    def tally_serially(self) -> Tally:
        column, by_phase, heard, per_caseload, per_quintile, totals, gini = tally_month(
            self.group_bounds, self.caseload_bounds, self.quintile_of, self.need_hours, self.seen_now, self.phase,
            self.hours, self.heard, self.ignored, self.invited, self.volunteer_hours, self.wellbeing, self.met,
            self.met_coproduced, self.trust, self.efficacy, self.motivation, self.bonding, self.bridging)
        return tally_of(self.members, self.need_hours_by_group, column, by_phase, heard, per_caseload,
                        self.need_hours_by_caseload, self.quintile_members, per_quintile, totals, gini)

    def tally_in_parallel(self) -> Tally:
        groups = sum_groups(self.group_bounds, self.need_hours, self.seen_now, self.phase, self.hours, self.heard,
                            self.ignored, self.volunteer_hours, self.wellbeing, self.met, self.met_coproduced,
                            self.trust, self.efficacy, self.motivation, self.bonding, self.bridging)
        caseloads = sum_caseloads(self.caseload_bounds, self.phase, self.invited, self.met)
        histogram_bins = GINI_BINS if self.n >= SORTED_GINI_BELOW else 0
        quintiles, histogram = count_chunks(self.quintile_of, self.phase, self.heard, self.wellbeing,
                                            numba.get_num_threads(), histogram_bins)
        gini = histogram_gini(histogram) if histogram_bins else binned_gini_by_sorting(self.wellbeing)
        return tally_from_sums(self.members, self.need_hours_by_group, groups, caseloads, self.need_hours_by_caseload,
                               self.quintile_members, quintiles, gini)
