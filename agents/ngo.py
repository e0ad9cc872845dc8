"""NGOs and social enterprises: volunteer pools running initiatives that are born, supported,
taken over or die.

An NGO belongs to one group (its neighbourhood). Its volunteers are citizens; their hours give
birth to initiatives. Each initiative dies with a hazard that economic support lowers (Samskabelse manifesto 2017,
claim 12; Stinchcombe 1965 on the liability of newness). A supplier contract pays but controls;
a take-over removes the initiative from the NGO and shocks its volunteers' sense of ownership.
That control crowds out volunteers' motivation (Frey & Jegen 2001), which the citizen rules read.
"""

from __future__ import annotations

from typing import NamedTuple

import mesa
import numpy as np

from coprod.model.streams import PUBLIC_BIRTHS, PUBLIC_DEATHS, PUBLIC_TAKEOVER, initiative_entities

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


def poisson_quantile(u: float, mean: float) -> int:
    """The Poisson(mean) draw at uniform ``u`` (inverse CDF), so that one keyed uniform gives one
    draw whatever other NGOs drew."""
    if mean <= 0.0:
        return 0
    k = 0
    cdf = probability = float(np.exp(-mean))
    while u > cdf and k < 10_000:
        k += 1
        probability *= mean / k
        cdf += probability
    return k


class InitiativeDraws(NamedTuple):
    """One NGO's draws of a month: births, and per initiative slot, death and take-over."""
    birth: float
    deaths: np.ndarray
    takeovers: np.ndarray


def month_draws(model, ngos: list) -> list[InitiativeDraws]:
    """Every NGO's draws of this month in three calls (one per purpose), each NGO's keyed by its
    group and initiative slots as if drawn alone; the take-over draws of a slot are the same
    whether or not its initiative survived, so they are drawn for every slot."""
    homes = [ngo.home_group for ngo in ngos]
    counts = [ngo.initiatives for ngo in ngos]
    slots = initiative_entities(homes, counts)
    births = model.public_uniforms(PUBLIC_BIRTHS, np.array(homes, dtype=np.uint64)).tolist()
    deaths = model.public_uniforms(PUBLIC_DEATHS, slots)
    takeovers = model.public_uniforms(PUBLIC_TAKEOVER, slots)
    draws, start = [], 0
    for birth, count in zip(births, counts):
        draws.append(InitiativeDraws(birth, deaths[start:start + count], takeovers[start:start + count]))
        start += count
    return draws


def delivery_by_group(ngos, n_groups: int, grants_paid: float, grants_asked: float,
                      reinvested: float) -> np.ndarray:
    """Service hours each group receives from its NGO this month (``NGO.delivered_hours``): grants
    in the share the budget paid, and reinvested savings shared among NGOs by their initiatives
    (an idle NGO counts as one)."""
    hours = np.zeros(n_groups)
    paid_share = min(1.0, grants_paid / max(grants_asked, 1e-12))
    weights = np.array([ngo.initiatives + 1.0 for ngo in ngos])
    shares = reinvested * weights / max(weights.sum(), 1.0)
    for ngo, share in zip(ngos, shares):
        hours[ngo.home_group] += ngo.delivered_hours(paid_share, float(share))
    return hours


class NGO(mesa.Agent):
    def __init__(self, model, home_group: int, initiatives: int = 1):
        super().__init__(model)
        self.home_group = home_group
        self.initiative_ages: list[int] = [0] * initiatives
        self.volunteers = 0.0
        self.volunteer_hours = 0.0
        self.shock = 0.0
        self.idle_months = 0
        self.born = 0
        self.died = 0
        self.taken_over = 0

    @property
    def initiatives(self) -> int:
        return len(self.initiative_ages)

    @property
    def funded(self) -> bool:
        """Supported by grants (when the municipality supports initiatives) or paid by contract."""
        p = self.model.p
        return self.initiatives > 0 and (p["initiative_response"] == "support" or p["ngo_relation"] == "supplier")

    @property
    def control(self) -> float:
        """External control on the volunteers: contract terms, partnership, take-over shock."""
        relation = self.model.p["ngo_relation"]
        base = 0.0
        if relation == "supplier" and self.initiatives > 0:
            base = self.model.p["contract_control"]
        elif relation == "partner":
            base = PARTNER_CONTROL
        return min(1.0, base + self.shock)

    def grant_asked(self) -> float:
        return self.model.p["initiative_grant"] * self.initiatives if self.funded else 0.0

    @property
    def recruitment_pull(self) -> float:
        """How strongly the NGO draws in volunteers (read by the citizens' joining rule)."""
        return FUNDED_RECRUITMENT if (self.funded or self.model.politician.reinvested > 0) else 1.0

    def delivered_hours(self, grant_paid_share: float, reinvested: float) -> float:
        """Service this month, in professional-hour equivalents: volunteers' hours (fully counted only
        when an initiative organises them) and the part of the grant and of reinvested savings
        that reaches citizens."""
        p = self.model.p
        organised = 1.0 if self.initiatives > 0 else UNORGANISED_SHARE
        volunteered = p["coproduction_productivity"] * self.volunteer_hours * organised
        return volunteered + GRANT_DELIVERY * (self.grant_asked() * grant_paid_share + reinvested)

    def run_initiatives(self, volunteers: float, volunteer_hours: float, draws: InitiativeDraws) -> int:
        """Births, deaths and take-overs of this month; returns initiatives taken over. Every draw is
        keyed by (seed, month, this NGO's group, initiative, purpose), so a lever that changes no
        behaviour changes no draw; the model draws them for all NGOs at once (``month_draws``)."""
        p = self.model.p
        self.volunteers, self.volunteer_hours = volunteers, volunteer_hours
        births = poisson_quantile(draws.birth, p["initiative_birth_rate"] * volunteer_hours / 100.0)
        hazard = p["initiative_hazard"] * (1.0 - p["support_hazard_reduction"] * self.funded)
        if volunteers == 0:
            hazard = min(1.0, 3.0 * hazard)
        dies = draws.deaths < hazard
        survivors = [age + 1 for age, dead in zip(self.initiative_ages, dies) if not dead]
        self.died += self.initiatives - len(survivors)
        taken = 0
        if p["initiative_response"] == "takeover":
            # Survivors keep their slots' keys in order: the first len(survivors) take-over draws.
            taken_now = draws.takeovers[:len(survivors)] < p["takeover_rate"]
            kept = [age for age, gone in zip(survivors, taken_now) if not gone]
            taken = len(survivors) - len(kept)
            survivors = kept
            if taken:
                self.shock = p["takeover_control"]
        self.taken_over += taken
        self.born += births
        self.initiative_ages = survivors + [0] * births
        self.shock *= SHOCK_DECAY
        self.idle_months = self.idle_months + 1 if (self.initiatives == 0 and volunteers == 0) else 0
        return taken

    @property
    def closing(self) -> bool:
        return self.idle_months >= IDLE_MONTHS_TO_CLOSE
