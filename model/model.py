"""CoProductionModel: the world, its actors and the order of events in one month.

Read ``step`` top to bottom: it is the whole schedule. Citizens run in one of two engines
('agents': Mesa agents, the readable reference; 'numba': compiled kernels for large
populations) that apply the same rules; the public side reads only their monthly tally.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from coprod.agents.ngo import (
    NGO,
    CivilSociety,
    NGOParameters,
    delivery_by_group,
    grants_asked,
    month_offer,
    run_initiatives,
)
from coprod.agents.politician import Politician
from coprod.agents.professional import Professional, Staff
from coprod.agents.rules import (
    MODE_COLLECTIVE,
    MODE_GROUP,
    MODE_INDIVIDUAL,
    T_POWER_UPTAKE,
    THETA_NAMES,
    outreach_weight,
)
from coprod.core.streams import PUBLIC_SEARCH, PUBLIC_TURBULENCE, public_draws
from coprod.model import municipality
from coprod.model.engine_agents import AgentEngine
from coprod.model.engine_numba import NumbaEngine
from coprod.model.history import OutcomeHistory
from coprod.model.innovation import ServiceDesign
from coprod.model.network import build_network
from coprod.model.offer import Offer
from coprod.model.outcomes import COLUMN, ROW_NAMES, HorizonTracker, outcome_dict, read_month, reporter_names
from coprod.model.paradigms import resolve_parameters
from coprod.model.population import group_membership, initial_citizens

# 'auto' is the compiled engine at every size: it agrees with the agents (tests/test_engine_equivalence.py)
# and is 50-200 times faster; 'agents' stays the readable reference.
ENGINES = ("auto", "agents", "numba")
LEVEL_CODES = {"individual": MODE_INDIVIDUAL, "group": MODE_GROUP, "collective": MODE_COLLECTIVE}


def _seed_of(seed) -> int:
    return 0 if seed is None else int(seed) & 0xFFFFFFFFFFFFFFFF


class CoProductionModel(mesa.Model):
    """Co-production of public services in one municipality.

    Keyword arguments are model parameters (see ``coprod.core.parameters.PARAMETERS``);
    ``paradigm`` first sets its rule set, explicit values override it.
    """

    def __init__(self, seed: int | None = 0, engine: str = "auto", **parameters: Any):
        if engine not in ENGINES:
            raise ValueError(f"engine: got {engine!r}; allowed: one of {', '.join(ENGINES)}")
        seed = 0 if seed is None else int(seed)
        super().__init__(seed=seed)
        self.seed_value = _seed_of(seed)
        self.p = resolve_parameters(parameters)
        self.overrides = dict(parameters)
        p = self.p
        n, n_groups = p["n_citizens"], p["n_groups"]
        if n_groups > n:
            raise ValueError(f"n_groups: got {n_groups}; allowed: at most n_citizens ({n})")
        self.n_caseloads = max(1, math.ceil(n / p["citizens_per_professional"]))

        # The world: citizens, their network, the public side and civil society.
        # The network first (it uses its own counter-based draws, not self.rng), so that its build
        # does not hold the citizens' starting arrays in memory at the same time.
        self.group_of = group_membership(n, n_groups)
        self.network = build_network(self.group_of, n_groups, p["mean_degree"], p["homophily"], self.seed_value)
        init = initial_citizens(p, self.group_of, self.n_caseloads, self.rng)
        caseload_sizes = np.bincount(init["caseload_of"], minlength=self.n_caseloads)
        self.staff = Staff(caseload_sizes, self.seed_value)
        self.professionals = [Professional(self, c, int(caseload_sizes[c])) for c in range(self.n_caseloads)]
        self.politician = Politician(self)
        self.ngo_of_group = np.full(n_groups, -1, dtype=np.int64)
        self.civil_society = CivilSociety(n_groups)
        self._ngo_by_group: dict[int, NGO] = {}
        self._ngo_rules = NGOParameters.values(p)
        for g in self.rng.choice(n_groups, size=min(p["n_ngos"], n_groups), replace=False):
            self._found_ngo(int(g))
        self.design = ServiceDesign(p["nk_n"], p["nk_k"], n_groups, p["perspective_width"], self.rng)
        # Providers differ in service per delivered hour; under choice, budgets follow satisfaction.
        self.provider_quality = np.clip(1.0 + p["provider_quality_spread"] * self.rng.standard_normal(self.n_caseloads),
                                        0.5, 1.5)
        self.budget_weight = np.ones(self.n_caseloads)

        # Group-level state of the public side.
        self.fit = np.full(n_groups, p["base_fit"])
        zeros = np.zeros(n_groups)
        self.group_benefit, self.collective_member_benefit = zeros.copy(), zeros.copy()
        self.collective_participant_benefit, self.ngo_benefit = zeros.copy(), zeros.copy()
        self.collective_success = zeros.copy()
        self.partner_voice = zeros.copy()
        self.fit_gain = zeros.copy()  # fit gained this month from citizens' input (influence realised)
        self.proposals_adopted = 0
        self.takeovers = zeros.copy()  # initiatives the municipality runs, per group
        self.takeover_hours = zeros.copy()
        self.initiatives_taken_over = 0
        self.theta = self._citizen_parameters()

        self.engine_name = "numba" if engine == "auto" else engine
        self.population = self._make_engine(init)
        self.last_tally = None
        self.tracker = HorizonTracker()
        self.outcome_row = np.zeros(len(ROW_NAMES))  # this month's outcomes (``ROW_NAMES``), rewritten monthly
        self._outcomes: dict[str, float] | None = {}
        self.datacollector = OutcomeHistory(reporter_names())

    # --- the month -----------------------------------------------------------------------------
    def step(self) -> None:
        """One month, in this order: budget, professionals plan, citizens act, NGOs run their
        initiatives, the public side learns, outcomes are read."""
        self._set_budget()
        self._professionals_plan()
        offer = self._offer()
        tally = self.population.month(offer)
        self._ngos_run(tally)
        self._learn(tally)
        self.last_tally = tally
        read_month(self, tally, self.outcome_row, self.tracker)
        self._outcomes = None  # ``outcomes`` is built from the new row when next read
        self.politician.face_voters(float(self.outcome_row[COLUMN.mean_trust]),
                                    tally.wellbeing.sum() / tally.n_citizens)
        self.datacollector.collect(self)

    @property
    def outcomes(self) -> dict[str, float]:
        """This month's outcomes by name (``outcome_row`` as a dict; built when first read, as most
        runs read it only at the end)."""
        if self._outcomes is None:
            self._outcomes = outcome_dict(self.outcome_row)
        return self._outcomes

    def forget(self) -> None:
        """Call when finished with a model in a long-lived process: Mesa 3.3 keeps every model alive
        in a class-level agent-id counter (``Agent._ids``, keyed by model), about 1 MB a run at
        2,000 citizens, which a pool worker of a sweep, battery or calibration would accumulate."""
        counters = getattr(mesa.Agent, "_ids", None)
        if isinstance(counters, dict):
            counters.pop(self, None)

    def _set_budget(self) -> None:
        # Read each month: an experiment may switch the NGOs' relation or the response mid-run.
        self._ngo_rules = NGOParameters.values(self.p)
        society = self.civil_society
        grants = grants_asked(society.has_ngo, society.initiatives, self._ngo_rules)
        self._grants_asked = grants
        takeover = municipality.takeover_cost(self.takeovers, self.p)
        self.politician.set_budget(grants, takeover)
        self.takeover_hours = municipality.takeover_hours(self.takeovers, self.politician.takeover_cost, takeover,
                                                          self.p)

    def _professionals_plan(self) -> None:
        tally = self.last_tally
        nobody = np.zeros(self.n_caseloads)
        participants = tally.caseload_participants if tally is not None else nobody
        planners = tally.caseload_planners if tally is not None else nobody
        # Savings kept are 'dumped': staff are told to recruit citizens to substitute. Savings passed on to
        # NGOs leave the recruiting to civil society.
        substitution = self.politician.savings * (1.0 - self.p["savings_reinvested"])
        self.staff.plan_month(self.p, self.politician.staff_budget, self.budget_weight, self.p["n_citizens"],
                              participants, planners, self._caseload_need_hours, substitution,
                              self._caseload_low_resources, self.provider_quality)
        self.politician.staff_spent = float(self.staff.paid_hours.sum())

    def _offer(self) -> Offer:
        society = self.civil_society
        pull, control = month_offer(society.has_ngo, society.initiatives, society.shock, self.politician.reinvested,
                                    self._ngo_rules)
        return Offer(
            theta=self.theta, seed=self.seed_value, step=self.steps, quality=0.8 + 0.4 * self.design.normalised_fitness,
            invite_rate=self.staff.invite_rate, outreach_rate=self.staff.outreach_rate,
            facilitation=self.staff.facilitation,
            service_share=self.staff.service_share,
            fit=self.fit, group_benefit=self.group_benefit,
            collective_member_benefit=self.collective_member_benefit,
            collective_participant_benefit=self.collective_participant_benefit,
            ngo_benefit=self.ngo_benefit, ngo_pull=pull, ngo_control=control)

    def _ngos_run(self, tally) -> None:
        """NGOs run their initiatives (births, deaths, take-overs), close after a year idle, and
        groups whose collective action passed the critical mass found new ones (``ngo.run_initiatives``)."""
        society = self.civil_society
        taken, closing, founding = run_initiatives(
            society.has_ngo, society.initiatives, society.volunteers, society.volunteer_hours, society.shock,
            society.idle_months, society.born, society.died, society.taken_over, self.takeovers, tally.volunteers,
            tally.volunteer_hours, tally.collective, tally.members, self.seed_value,
            self.steps, self._ngo_rules)
        self.initiatives_taken_over += taken
        if closing.any():  # seldom: most months no NGO closes or is founded
            for g in np.flatnonzero(closing):
                self._close_ngo(int(g))
        if founding.any():
            for g in np.flatnonzero(founding):
                self._found_ngo(int(g))

    def _learn(self, tally) -> None:
        p = self.p
        partner = p["ngo_relation"] == "partner"
        uptake = self.theta[T_POWER_UPTAKE]
        self.partner_voice = tally.volunteers * uptake if partner else np.zeros_like(tally.volunteers)
        self.fit, self.fit_gain = municipality.update_fit(self.fit, tally, self.partner_voice, p)
        self._providers_compete(tally)
        facilitation_by_group = municipality.facilitation_by_group(*self._group_caseload_overlap,
                                                                   self.staff.facilitation)
        society = self.civil_society
        ngo_hours = delivery_by_group(society.has_ngo, society.initiatives, society.volunteer_hours,
                                      self.politician.grants, self._grants_asked, self.politician.reinvested,
                                      self._ngo_rules)
        ngo_hours += self.takeover_hours
        (self.group_benefit, self.collective_member_benefit, self.collective_participant_benefit,
         self.ngo_benefit, self.collective_success) = municipality.shared_benefits(
            tally, facilitation_by_group, ngo_hours, p)
        self._innovate(tally)

    def _providers_compete(self, tally) -> None:
        """Provider choice (NPM): budgets follow users' satisfaction, and weaker providers close on
        the best (``municipality.providers_compete``). Without choice nothing moves."""
        choice = self.p["provider_choice"]
        if choice > 0.0:
            municipality.providers_compete(self.budget_weight, self.provider_quality, tally.caseload_met,
                                           self.staff.caseload_size, float(choice))

    def _innovate(self, tally) -> None:
        """Professionals search locally; every heard group brings its own perspective."""
        p = self.p
        self.design.turbulence(p["landscape_turbulence"], lambda count: self.public_draws(PUBLIC_TURBULENCE, count))
        self.design.local_search(self.public_draws(PUBLIC_SEARCH, p["professional_search"]))
        # Each heard group brings its own perspective; at most MAX_PROPOSALS are evaluated a month.
        self.proposals_adopted = self.design.heard_groups_propose(tally.heard[:, 0] + tally.heard[:, 1],
                                                                  self.seed_value,
                                                                  self.steps, MAX_PROPOSALS)

    def public_draws(self, purpose: int, count: int) -> np.ndarray:
        """This month's draws of the public side for ``purpose``, one for each of the entities
        0, ..., count - 1 (``streams``)."""
        return public_draws(self.seed_value, self.steps, purpose, count)

    # --- set-up helpers --------------------------------------------------------------------------
    @property
    def ngos(self):
        return self.agents_by_type[NGO] if NGO in self.agents_by_type else []

    def _found_ngo(self, group: int) -> None:
        ngo = NGO(self, group)
        self.ngo_of_group[group] = ngo.unique_id
        self._ngo_by_group[group] = ngo

    def _close_ngo(self, group: int) -> None:
        self.ngo_of_group[group] = -1
        self.civil_society.close(group)
        self._ngo_by_group.pop(group).remove()

    def _citizen_parameters(self) -> np.ndarray:
        p = self.p
        derived = {
            "level": LEVEL_CODES[p["cp_level"]],
            "power_uptake": p[f"uptake_{p['power_sharing']}"],
            "open_commission": float(p["phase_commission"]), "open_design": float(p["phase_design"]),
            "open_deliver": float(p["phase_deliver"]), "open_assess": float(p["phase_assess"]),
        }
        return np.array([derived[name] if name in derived else float(p[name]) for name in THETA_NAMES])

    def _make_engine(self, init):
        # Read before the numba engine takes the starting arrays over.
        self._caseload_low_resources = (np.bincount(init["caseload_of"], weights=outreach_weight(init["resources"]),
                                                    minlength=self.n_caseloads)
                                        / np.maximum(self.staff.caseload_size, 1))
        if self.engine_name == "numba":
            engine = NumbaEngine(self, init, self.network)
        else:
            engine = AgentEngine(self, init, self.network)
        self._caseload_need_hours = np.bincount(init["caseload_of"], weights=engine.need_hours,
                                                minlength=self.n_caseloads)

        self._group_caseload_overlap = _overlap(init["group_of"], init["caseload_of"], self.p["n_groups"],
                                                self.n_caseloads)
        return engine


# Heard groups whose proposals are evaluated in one month (bounds the cost for many groups).
MAX_PROPOSALS = 64


def _overlap(group_of: np.ndarray, caseload_of: np.ndarray, n_groups: int, n_caseloads: int):
    """Share of each group's citizens in each caseload (rows sum to 1), as a sparse matrix's rows:
    (row starts, caseloads, shares)."""
    pairs, counts = np.unique(group_of.astype(np.int64) * n_caseloads + caseload_of, return_counts=True)
    groups, caseloads = pairs // n_caseloads, pairs % n_caseloads
    members = np.bincount(group_of, minlength=n_groups)
    # The pairs come sorted and unique, so the rows are read off directly (what scipy.sparse's csr_matrix
    # built from them holds, without importing scipy.sparse: a tenth of a warm ``coprod run``'s imports).
    row_starts = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=n_groups), out=row_starts[1:])
    return row_starts, caseloads.astype(np.int64), counts / members[groups]

