"""The 'numba' engine: the citizens as records, stepped by compiled kernels.

Same rules as the Mesa ``Citizen`` (``rules.citizen_month``, ``rules.acted_together``,
``rules.update_tie`` and the counter-based ``streams.citizen_draws``, inlined by Numba), another
scheduler: one parallel loop over citizens reading last month's behaviour of their ties. Each
citizen is two records (``agents/state.CitizenRecords``): the traits the month reads and never
changes, and the rest of the state; the rule reads and writes their fields by name, as it does a
Mesa citizen's attributes, so no quantity is listed here. Fields are float32 to keep 10^7 citizens
within ~200 bytes each; the rules compute in float64. A citizen's fields side by side, not one
array per quantity, make the month one memory stream per part instead of ~27 (1.2-1.3x at 10^6:
``benchmarks/layout_probe.py``).

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
from coprod.agents import state as declared
from coprod.agents.state import STORE_DTYPES, CitizenRecords, check_settable, fill_start
from coprod.core import streams
from coprod.core.kernel_cache import drop_stale_kernels
from coprod.core.streams import citizen_draws, month_keys
from coprod.core.threads import PARALLEL_FROM_CITIZENS, threads_for
from coprod.model import population
from coprod.model.network import Network, group_bounds
from coprod.model.offer import Offer, OfferRecord
from coprod.model.population import caseload_membership, caseload_without_division
from coprod.model.tally import (
    ASSOCIATION_BIT,
    GINI_BINS,
    MODE_BITS,
    VOLUNTEER_BIT,
    Tally,
    binned_gini_by_sorting,
    count_chunks,
    histogram_gini,
    seen_byte_of,
    sum_caseloads,
    sum_groups,
    tally_from_sums,
    tally_month,
    tally_of,
)

STATE = np.float32
N_THETA = len(rules.THETA_NAMES)
assert STORE_DTYPES["float"] == np.dtype(STATE).name
# Below this many citizens the Gini reads the citizens' sorted bins instead of a 2^16-bin histogram
# (same result, bit for bit): 12 against 59 us at 300 citizens, 141 against 287 us at 20,000, even
# near 50,000 (one thread, 2-core VM).
SORTED_GINI_BELOW = 40_000


@njit(parallel=True, cache=True, error_model="numpy")
def live_month(theta, offer_values, indptr, indices, group_of, n_caseloads, traits, state, seen_last, seen_now):
    """Every citizen's month (rules.citizen_month), reading only last month's behaviour of ties.
    ``traits`` and ``state`` are the citizens' records (agents/state.py), which the rule reads and
    writes by name; ``offer_values`` the month's ``Offer`` as a plain tuple (``Offer.values``). Each
    citizen's caseload is computed (``population.caseload_without_division``), not read from an array."""
    n = group_of.shape[0]
    citizens, caseloads = np.uint64(n), np.uint64(n_caseloads)
    share = n_caseloads / n
    offer = OfferRecord(*offer_values)  # named again here: a plain tuple is typed in C at the call
    keys = month_keys(np.uint64(offer.seed), np.uint64(offer.step))  # once a month, not once a citizen
    # The parameters as a tuple of numbers: read from registers, not reloaded from the array after
    # every store to the citizens' records (which the compiler cannot tell apart from it).
    parameters = to_fixed_tuple(theta, N_THETA)
    for i in prange(n):
        # Arrays are read at unsigned indices (u, k, j, g, c): Numba then leaves out the check for a
        # negative index (counted from the end) on each access.
        u = np.uint64(i)
        lo, hi = np.int64(indptr[u]), np.int64(indptr[u + np.uint64(1)])  # int32 stored: computed as before
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
        peers = (peer_active, peer_collective, rules.peer_share(associated, hi - lo))
        citizen = state[u]
        caseload = caseload_without_division(u, citizens, caseloads, share)
        rules.citizen_month(parameters, traits[u], citizen, peers, offer, caseload, np.uint64(group_of[u]),
                            citizen_draws(keys, u))
        seen_now[u] = seen_byte_of(citizen.mode, citizen.is_volunteer, citizen.activity)


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
drop_stale_kernels(live_month, "engine_numba", [rules.__file__, streams.__file__, population.__file__])


class NumbaEngine:
    name = "numba"

    def __init__(self, model, init: dict[str, np.ndarray], network: Network):
        self.model = model
        p = model.p
        n = len(init["group_of"])
        self.n = n
        self.indptr, self.indices = network.indptr, network.indices
        self.group_of = np.ascontiguousarray(init["group_of"], dtype=np.int32)
        self.n_caseloads = model.n_caseloads  # each citizen's caseload is computed (caseload_of), not kept
        self.group_bounds = group_bounds(n, p["n_groups"])
        self.caseload_bounds = np.searchsorted(init["caseload_of"], np.arange(self.n_caseloads + 1)).astype(np.int64)
        # Every declared quantity (agents/state.py) in two record arrays, traits and state. The float64
        # starting arrays are taken out of ``init`` as they are stored, so that at 10^7 citizens the
        # two copies never all coexist (the build's peak, 189 B a citizen, then stays below the
        # stepping's, 198 B, set once the ties' strengths are written: benchmarks/README.md).
        self.records = CitizenRecords(n)
        fill_start(self.records, init, p, let_go=True)
        self.traits, self.state = self.records.traits, self.records.state
        assert rules.MODE_NONE == 0 and not declared.QUANTITIES["is_volunteer"].initial  # a zero byte: nothing yet
        self.seen_now = np.zeros(n, dtype=np.uint8)  # this month's mode and volunteering, packed
        self.seen_last = np.zeros(n, dtype=np.uint8)  # last month's, what neighbours read
        self.strength = np.zeros(len(self.indices), dtype=STATE)
        self.tied = np.zeros(n, dtype=np.bool_)  # has a tie above zero (tend_ties keeps it)
        self.bonding = np.zeros(n, dtype=STATE)  # each citizen's summed tie strength inside / across groups
        self.bridging = np.zeros(n, dtype=STATE)
        # What does not change: members, need and need hours per group and caseload.
        self.members = np.diff(self.group_bounds).astype(np.float64)
        self.need_hours_by_group = np.bincount(self.group_of, weights=self.need_hours, minlength=p["n_groups"])
        self.need_hours_by_caseload = np.bincount(init["caseload_of"], weights=self.need_hours,
                                                  minlength=model.n_caseloads)
        self.quintile_members = np.bincount(self.traits["quintile"], minlength=5).astype(np.float64)

    def __getattr__(self, name: str) -> np.ndarray:
        """A declared quantity of every citizen by name (``engine.trust``, ``engine.need_hours``): a
        view of the records, as stored."""
        if name in declared.QUANTITIES and "records" in self.__dict__:
            return self.records[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def caseload_of(self) -> np.ndarray:
        """Each citizen's caseload, as ``initial_citizens`` assigned it (made when asked: the month
        computes it per citizen)."""
        return caseload_membership(self.n, self.n_caseloads)

    def month(self, offer: Offer) -> Tally:
        with threads_for(self.n):
            return self._month(offer)

    def _month(self, offer: Offer) -> Tally:
        p = self.model.p
        live_month(offer.theta, offer.values(), self.indptr, self.indices, self.group_of, self.n_caseloads,
                   self.traits, self.state, self.seen_last, self.seen_now)
        tend_ties(self.indptr, self.indices, self.group_of, self.group_bounds, self.seen_now, self.strength,
                  p["tie_build_rate"], p["tie_decay_rate"], self.bonding, self.bridging, self.tied)
        tally = self.tally()
        # This month's behaviour is what neighbours see next month.
        self.seen_last, self.seen_now = self.seen_now, self.seen_last
        return tally

    # Per-citizen state by name, for observers (pictures, pattern records) and in-silico trials.
    def citizen_values(self, name: str) -> np.ndarray:
        """One per-citizen quantity of the month just stepped, as a float64 (bool, int8 for a code) copy."""
        values = self.records[name]
        return values.astype(np.float64 if declared.QUANTITIES[name].kind == "float" else values.dtype)

    def set_citizen_values(self, name: str, index: np.ndarray, values) -> None:
        """Change a state quantity for some citizens (an intervention); later months read it."""
        check_settable(name)
        self.records.holding(name)[name][index] = values

    @property
    def current_mode(self) -> np.ndarray:
        """Each citizen's mode in the month just stepped (for pictures and tests)."""
        return self.state["mode"].copy()

    @property
    def last_phase(self) -> np.ndarray:
        """Each citizen's phase in the month just stepped."""
        return self.state["phase"]

    def tally(self) -> Tally:
        """The month's sums: in one serial kernel below ``PARALLEL_FROM_CITIZENS`` (where the month
        runs on one thread anyway), else by the parallel kernels; the same numbers either way."""
        if self.n < PARALLEL_FROM_CITIZENS:
            return self.tally_serially()
        return self.tally_in_parallel()

    def tally_serially(self) -> Tally:
        column, by_phase, heard, per_caseload, per_quintile, totals, gini = tally_month(
            self.group_bounds, self.caseload_bounds, self.traits, self.state, self.bonding, self.bridging)
        return tally_of(self.members, self.need_hours_by_group, column, by_phase, heard, per_caseload,
                        self.need_hours_by_caseload, self.quintile_members, per_quintile, totals, gini)

    def tally_in_parallel(self) -> Tally:
        groups = sum_groups(self.group_bounds, self.traits, self.state, self.bonding, self.bridging)
        caseloads = sum_caseloads(self.caseload_bounds, self.state)
        histogram_bins = GINI_BINS if self.n >= SORTED_GINI_BELOW else 0
        quintiles, histogram = count_chunks(self.traits, self.state, numba.get_num_threads(), histogram_bins)
        gini = histogram_gini(histogram) if histogram_bins else binned_gini_by_sorting(self.state)
        return tally_from_sums(self.members, self.need_hours_by_group, groups, caseloads, self.need_hours_by_caseload,
                               self.quintile_members, quintiles, gini)
