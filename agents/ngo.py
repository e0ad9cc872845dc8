"""NGOs and social enterprises: volunteer pools running initiatives that are born, supported,
taken over or die.

An NGO belongs to one group (its neighbourhood). Its volunteers are citizens; their hours give
birth to initiatives. Each initiative dies with a hazard that economic support lowers (Samskabelse manifesto 2017,
claim 12; Stinchcombe 1965 on the liability of newness). A supplier contract pays but controls;
a take-over removes the initiative from the NGO and shocks its volunteers' sense of ownership.
That control crowds out volunteers' motivation (Frey & Jegen 2001), which the citizen rules read.

A group has at most one NGO, so civil society's numbers live in one ledger (``CivilSociety``: an
array per quantity, an entry per group) and the rules below run once a month for every NGO in
compiled loops; each ``NGO`` Mesa agent reads its own entries, as a ``Professional`` reads the
staff ledger.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import mesa
import numpy as np
from numba import njit
from numba.extending import register_jitable

from coprod.core import streams
from coprod.core.kernel_cache import drop_stale_kernels
from coprod.core.parameters import parameter_values
from coprod.core.streams import (
    PUBLIC_BIRTHS,
    PUBLIC_DEATHS,
    PUBLIC_FOUNDING,
    PUBLIC_TAKEOVER,
    SLOT_BITS,
    counter_uniform,
)

# Monthly fade of the control shock a take-over leaves behind.
SHOCK_DECAY = 0.8
# Months an NGO survives with neither initiatives nor volunteers.
IDLE_MONTHS_TO_CLOSE = 12
# Control a partnership puts on volunteers (light reporting).
PARTNER_CONTROL = 0.1
# Share of an initiative's grant that reaches citizens as service (the rest is overhead); assumption.
GRANT_DELIVERY = 0.8
# Volunteer hours count fully only when an initiative organises them (Brudney 1990 on the
# management of volunteers); loose volunteering without one produces this share.
UNORGANISED_SHARE = 0.3
# How much harder a funded NGO recruits (a paid coordinator asks people; Wilson 2000).
FUNDED_RECRUITMENT = 1.5

LEDGER_FIELDS = ("initiatives", "volunteers", "volunteer_hours", "shock", "idle_months", "born", "died", "taken_over")


class NGOParameters(NamedTuple):
    """What the NGO rules read of the model's parameters (a tuple, so compiled rules can read it);
    read afresh each month, since an experiment may switch the NGOs' relation mid-run."""
    supported: bool  # the municipality supports initiatives with grants
    supplier: bool  # NGOs deliver under supplier contracts
    partner: bool  # NGOs are partners
    takeover: bool  # the municipality takes initiatives over
    initiative_grant: float
    contract_control: float
    initiative_birth_rate: float
    initiative_hazard: float
    support_hazard_reduction: float
    takeover_rate: float
    takeover_control: float
    coproduction_productivity: float
    critical_mass: float
    founding_rate: float

    @classmethod
    def of(cls, p: dict) -> NGOParameters:
        response, relation = p["initiative_response"], p["ngo_relation"]
        return cls(response == "support", relation == "supplier", relation == "partner", response == "takeover",
                   *(float(p[name]) for name in cls._fields[4:]))

    values = classmethod(parameter_values)


@register_jitable
def poisson_quantile(u, mean):
    """The Poisson(mean) draw at uniform ``u`` (inverse CDF), so that one keyed uniform gives one
    draw whatever other NGOs drew."""
    if mean <= 0.0:
        return 0
    k = 0
    probability = math.exp(-mean)
    cdf = probability
    while u > cdf and k < 10_000:
        k += 1
        probability *= mean / k
        cdf += probability
    return k


@register_jitable
def funded(initiatives, q):
    """Supported by grants (when the municipality supports initiatives) or paid by contract."""
    return initiatives > 0 and (q.supported or q.supplier)


@register_jitable
def control(initiatives, shock, q):
    """External control on the volunteers: contract terms, partnership, take-over shock."""
    base = 0.0
    if q.supplier and initiatives > 0:
        base = q.contract_control
    elif q.partner:
        base = PARTNER_CONTROL
    return min(1.0, base + shock)


@register_jitable
def grant_asked(initiatives, q):
    return q.initiative_grant * initiatives if funded(initiatives, q) else 0.0


@register_jitable
def recruitment_pull(initiatives, reinvested, q):
    """How strongly the NGO draws in volunteers (read by the citizens' joining rule)."""
    return FUNDED_RECRUITMENT if (funded(initiatives, q) or reinvested > 0) else 1.0


@register_jitable
def delivered_hours(initiatives, volunteer_hours, grant_paid_share, reinvested, q):
    """Service this month, in professional-hour equivalents: volunteers' hours (fully counted only
    when an initiative organises them) and the part of the grant and of reinvested savings
    that reaches citizens."""
    organised = 1.0 if initiatives > 0 else UNORGANISED_SHARE
    volunteered = q.coproduction_productivity * volunteer_hours * organised
    return volunteered + GRANT_DELIVERY * (grant_asked(initiatives, q) * grant_paid_share + reinvested)


@njit(cache=True)
def run_initiatives(has_ngo, initiatives, volunteers, volunteer_hours, shock, idle_months, born, died, taken_over,
                    takeovers, group_volunteers, group_volunteer_hours, group_collective, members, seed, step,
                    parameters):
    """Every NGO's month: births, deaths and take-overs of initiatives, closing after a year idle;
    then groups without an NGO whose collective action passed the critical mass may found one.

    Works on the ledger in place (``takeovers`` gains the initiatives the municipality took over).
    Every draw is keyed by (seed, month, group, initiative slot, purpose), so a lever that changes
    no behaviour changes no draw. Returns (initiatives taken over, NGOs closing, groups founding)."""
    q = NGOParameters(*parameters)  # a plain tuple at the boundary (parameters.parameter_values)
    s, t = np.uint64(seed), np.uint64(step)
    n_groups = has_ngo.shape[0]
    closing = np.zeros(n_groups, dtype=np.bool_)
    founding = np.zeros(n_groups, dtype=np.bool_)
    taken_in_all = 0
    for g in range(n_groups):
        if not has_ngo[g]:
            continue
        volunteers[g], volunteer_hours[g] = group_volunteers[g], group_volunteer_hours[g]
        births = poisson_quantile(counter_uniform(s, t, np.uint64(g), np.uint64(PUBLIC_BIRTHS)),
                                  q.initiative_birth_rate * volunteer_hours[g] / 100.0)
        hazard = q.initiative_hazard * (1.0 - q.support_hazard_reduction * funded(initiatives[g], q))
        if volunteers[g] == 0:
            hazard = min(1.0, 3.0 * hazard)
        survivors = 0
        for slot in range(initiatives[g]):
            if not counter_uniform(s, t, np.uint64((g << SLOT_BITS) | slot), np.uint64(PUBLIC_DEATHS)) < hazard:
                survivors += 1
        died[g] += initiatives[g] - survivors
        taken = 0
        if q.takeover:
            # Survivors keep their slots' keys in order: the first ``survivors`` take-over draws.
            for slot in range(survivors):
                if counter_uniform(s, t, np.uint64((g << SLOT_BITS) | slot),
                                   np.uint64(PUBLIC_TAKEOVER)) < q.takeover_rate:
                    taken += 1
            if taken:
                shock[g] = q.takeover_control
        taken_over[g] += taken
        born[g] += births
        initiatives[g] = survivors - taken + births
        shock[g] *= SHOCK_DECAY
        idle_months[g] = idle_months[g] + 1 if (initiatives[g] == 0 and volunteers[g] == 0) else 0
        takeovers[g] += taken
        taken_in_all += taken
        closing[g] = idle_months[g] >= IDLE_MONTHS_TO_CLOSE
    # Collective action past the critical mass founds an NGO where none exists (or one just closed).
    for g in range(n_groups):
        if (has_ngo[g] and not closing[g]) or members[g] <= 0:
            continue
        if group_collective[g] / max(members[g], 1.0) >= q.critical_mass:
            founding[g] = counter_uniform(s, t, np.uint64(g), np.uint64(PUBLIC_FOUNDING)) < q.founding_rate
    return taken_in_all, closing, founding


@njit(cache=True)
def grants_asked(has_ngo, initiatives, parameters):
    """The grants all NGOs ask for this month."""
    q = NGOParameters(*parameters)  # a plain tuple at the boundary (parameters.parameter_values)
    asked = 0.0
    for g in range(has_ngo.shape[0]):
        if has_ngo[g]:
            asked += grant_asked(initiatives[g], q)
    return asked


@njit(cache=True)
def month_offer(has_ngo, initiatives, shock, reinvested, parameters):
    """What the NGOs offer citizens this month, per group: recruitment pull (0 without an NGO) and
    control on volunteers."""
    q = NGOParameters(*parameters)  # a plain tuple at the boundary (parameters.parameter_values)
    n_groups = has_ngo.shape[0]
    pull = np.zeros(n_groups)
    on_volunteers = np.zeros(n_groups)
    for g in range(n_groups):
        if has_ngo[g]:
            pull[g] = recruitment_pull(initiatives[g], reinvested, q)
            on_volunteers[g] = control(initiatives[g], shock[g], q)
    return pull, on_volunteers


@njit(cache=True)
def delivery_by_group(has_ngo, initiatives, volunteer_hours, grants_paid, grants_asked, reinvested, parameters):
    """Service hours each group receives from its NGO this month (``delivered_hours``): grants in the
    share the budget paid, and reinvested savings shared among NGOs by their initiatives (an idle
    NGO counts as one)."""
    q = NGOParameters(*parameters)  # a plain tuple at the boundary (parameters.parameter_values)
    n_groups = has_ngo.shape[0]
    hours = np.zeros(n_groups)
    paid_share = min(1.0, grants_paid / max(grants_asked, 1e-12))
    weights = 0.0
    for g in range(n_groups):
        if has_ngo[g]:
            weights += initiatives[g] + 1.0
    for g in range(n_groups):
        if has_ngo[g]:
            share = reinvested * (initiatives[g] + 1.0) / max(weights, 1.0)
            hours[g] += delivered_hours(initiatives[g], volunteer_hours[g], paid_share, share, q)
    return hours


# The kernels inline the public draws: recompile when they change.
drop_stale_kernels(run_initiatives, "ngo", [streams.__file__])


class CivilSociety:
    """The NGOs' ledger: one array per quantity in ``LEDGER_FIELDS``, one entry per group."""

    def __init__(self, n_groups: int):
        self.has_ngo = np.zeros(n_groups, dtype=np.bool_)
        self.initiatives = np.zeros(n_groups, dtype=np.int64)
        self.idle_months = np.zeros(n_groups, dtype=np.int64)
        self.born = np.zeros(n_groups, dtype=np.int64)
        self.died = np.zeros(n_groups, dtype=np.int64)
        self.taken_over = np.zeros(n_groups, dtype=np.int64)
        for name in ("volunteers", "volunteer_hours", "shock"):
            setattr(self, name, np.zeros(n_groups))

    def found(self, group: int, initiatives: int = 1) -> None:
        """A new NGO in ``group``: its entries start afresh."""
        for name in LEDGER_FIELDS:
            getattr(self, name)[group] = 0
        self.initiatives[group] = initiatives
        self.has_ngo[group] = True

    def close(self, group: int) -> None:
        self.has_ngo[group] = False


def _ledger_entry(name: str, kind=float):
    def read(self):
        return kind(getattr(self.model.civil_society, name)[self.home_group])
    read.__name__ = name
    return property(read, doc=f"This NGO's {name.replace('_', ' ')} (from the civil-society ledger).")


class NGO(mesa.Agent):
    """One NGO: its group, and its entries in the model's ``CivilSociety`` ledger."""

    def __init__(self, model, home_group: int, initiatives: int = 1):
        super().__init__(model)
        self.home_group = home_group
        model.civil_society.found(home_group, initiatives)

    initiatives = _ledger_entry("initiatives", int)
    volunteers = _ledger_entry("volunteers")
    volunteer_hours = _ledger_entry("volunteer_hours")
    shock = _ledger_entry("shock")
    idle_months = _ledger_entry("idle_months", int)
    born = _ledger_entry("born", int)
    died = _ledger_entry("died", int)
    taken_over = _ledger_entry("taken_over", int)

    @property
    def _rules(self) -> NGOParameters:
        return NGOParameters.of(self.model.p)

    @property
    def funded(self) -> bool:
        return bool(funded(self.initiatives, self._rules))

    @property
    def control(self) -> float:
        return float(control(self.initiatives, self.shock, self._rules))

    def grant_asked(self) -> float:
        return float(grant_asked(self.initiatives, self._rules))

    @property
    def recruitment_pull(self) -> float:
        return float(recruitment_pull(self.initiatives, self.model.politician.reinvested, self._rules))

    @property
    def closing(self) -> bool:
        return self.idle_months >= IDLE_MONTHS_TO_CLOSE
