"""The 'agents' engine: every citizen is a Mesa ``Citizen`` agent stepped one by one.

This is the readable reference. It is exact but slow (pure Python per citizen); the 'numba'
engine runs the same rules over arrays for large populations.
"""

from __future__ import annotations

import numpy as np

from coprod.agents import state as declared
from coprod.agents.citizen import Citizen
from coprod.agents.state import AGENT_DTYPES, CitizenRecords, check_settable
from coprod.core import streams
from coprod.core.threads import threads_for
from coprod.model.network import Network, group_bounds
from coprod.model.offer import Offer
from coprod.model.tally import Tally, count_chunks, gini, sum_caseloads, sum_groups, tally_from_sums

# Quantities the tally sums over all citizens (``tally_of``'s totals), NumPy's sums here.
TOTALS = ("trust", "efficacy", "motivation")


class AgentEngine:
    name = "agents"

    def __init__(self, model, init: dict[str, np.ndarray], network: Network):
        self.model = model
        self.n_groups = model.p["n_groups"]
        self.n_caseloads = model.n_caseloads
        self.group_of = init["group_of"]
        self.caseload_of = init["caseload_of"]
        # Each citizen's drawn starting values (model/population.py), as plain Python values.
        drawn = {name: init[name].tolist() for name in declared.drawn_names()}
        self.citizens: list[Citizen] = [
            Citizen(model, i, int(init["group_of"][i]), int(init["caseload_of"][i]),
                    {name: values[i] for name, values in drawn.items()})
            for i in range(len(init["group_of"]))
        ]
        bonding = network.bonding
        for i, citizen in enumerate(self.citizens):
            lo, hi = network.indptr[i], network.indptr[i + 1]
            citizen.neighbours = [self.citizens[j] for j in network.indices[lo:hi]]
            citizen.tie_strength = np.zeros(hi - lo)
            citizen.bonding_tie = bonding[lo:hi].copy()
        self.need_hours = np.array([c.need_hours for c in self.citizens])
        # Groups and caseloads are contiguous ranges of citizens (what the tally's kernels sum).
        n = len(self.citizens)
        self.group_bounds = group_bounds(n, self.n_groups)
        self.caseload_bounds = np.searchsorted(self.caseload_of, np.arange(self.n_caseloads + 1)).astype(np.int64)
        self.members = np.bincount(self.group_of, minlength=self.n_groups).astype(np.float64)
        self.need_hours_by_group = np.bincount(self.group_of, weights=self.need_hours, minlength=self.n_groups)
        self.need_hours_by_caseload = np.bincount(self.caseload_of, weights=self.need_hours,
                                                  minlength=self.n_caseloads).astype(np.float64)
        self.quintile_members = np.bincount(init["quintile"], minlength=5).astype(np.float64)

    def month(self, offer: Offer) -> Tally:
        n = len(self.citizens)
        draws = [streams.uniforms(offer.seed, offer.step, s, n) for s in range(streams.N_STREAMS)]
        for citizen in self.citizens:
            citizen.live_month(offer, draws)
        p = self.model.p
        for citizen in self.citizens:
            citizen.tend_ties(p["tie_build_rate"], p["tie_decay_rate"])
        for citizen in self.citizens:
            citizen.end_month()
        return self.tally()

    def column(self, name: str, dtype=np.float64) -> np.ndarray:
        """One attribute of every citizen as an array (for tallies and pictures)."""
        return np.fromiter((getattr(c, name) for c in self.citizens), dtype=dtype, count=len(self.citizens))

    def records(self) -> CitizenRecords:
        """Every declared quantity of every citizen, as the numba engine keeps them but at the
        agents' precision (float64): what the tally's kernels read."""
        records = CitizenRecords(len(self.citizens), AGENT_DTYPES)
        for quantity in declared.CITIZEN_STATE:
            records[quantity.name] = self.citizen_values(quantity.name)
        return records

    def tally(self) -> Tally:
        """The month's sums (the tally's kernels) of the citizens' state, each of its declared kind;
        totals over citizens by NumPy and the exact Gini."""
        bonding = sum(float(c.tie_strength[c.bonding_tie].sum()) for c in self.citizens)
        bridging = sum(float(c.tie_strength[~c.bonding_tie].sum()) for c in self.citizens)
        records = self.records()
        traits, state = records.traits, records.state
        no_ties = np.zeros(len(self.citizens))  # tie sums are the totals above
        with threads_for(len(self.citizens)):
            groups = sum_groups(self.group_bounds, traits, state, no_ties, no_ties)
            caseloads = sum_caseloads(self.caseload_bounds, state)
            quintiles, _ = count_chunks(traits, state, 1, 0)
        return tally_from_sums(self.members, self.need_hours_by_group, groups, caseloads, self.need_hours_by_caseload,
                               self.quintile_members, quintiles, gini(state["wellbeing"]),
                               totals=(*(np.ascontiguousarray(state[name]).sum() for name in TOTALS), bonding,
                                       bridging))

    # Per-citizen state by name, for observers (pictures, pattern records) and in-silico trials.
    def citizen_values(self, name: str) -> np.ndarray:
        """One per-citizen quantity of the month just stepped, as an array."""
        return self.column(name, AGENT_DTYPES[declared.QUANTITIES[name].kind])

    def set_citizen_values(self, name: str, index: np.ndarray, values) -> None:
        """Change a state quantity for some citizens (an intervention); later months read it."""
        check_settable(name)
        values = np.broadcast_to(np.asarray(values), np.shape(index))
        for i, value in zip(np.asarray(index), values):
            setattr(self.citizens[int(i)], name, value.item())
