"""The citizen as a Mesa agent: the readable reference for what one citizen does each month.

All decisions are the shared rules of ``coprod.agents.rules``; this class only holds the state
declared in ``coprod.agents.state`` and reads the neighbours. The Numba engine runs the same rules over arrays.
"""

from __future__ import annotations

import mesa
import numpy as np

from coprod.agents import rules
from coprod.agents.state import CITIZEN_STATE


class Citizen(mesa.Agent):
    """A resident with need, resources, trust, self-efficacy, motivation and social ties."""

    def __init__(self, model, index, group, caseload, quintile, resources, need, trust, efficacy, motivation,
                 wellbeing, propensity):
        super().__init__(model)
        self.index = index  # position in the population (fixes the citizen's random streams)
        self.group = group
        self.caseload = caseload
        self.quintile = quintile
        self.resources = resources
        self.need = need
        self.need_hours = rules.citizen_need_hours(need, model.p["need_per_citizen_hours"])
        self.propensity = propensity  # latent civic propensity (logit), fixed for life
        self.civic_pull = float(np.exp(propensity))  # the same as a factor (joining and staying in NGOs)
        self.trust = trust
        self.efficacy = efficacy
        self.efficacy0 = efficacy
        self.motivation = motivation
        self.motivation0 = motivation
        self.wellbeing = wellbeing
        # The rest of my state starts where its declaration says (agents/state.py).
        for quantity in CITIZEN_STATE:
            if quantity.initial is not None:
                setattr(self, quantity.name, quantity.initial)
        # What neighbours see of me: last month's behaviour (synchronous update).
        self.last_mode = rules.MODE_NONE
        self.was_volunteer = False
        self.was_associated = False
        self.neighbours: list[Citizen] = []
        self.tie_strength = np.zeros(0)
        self.bonding_tie = np.zeros(0, dtype=bool)

    def observe_peers(self) -> tuple[float, float, float]:
        """Shares of my ties who took part, who acted collectively, and who volunteered in
        associational life, last month."""
        active = sum(1 for other in self.neighbours if rules.takes_part(other.last_mode))
        together = sum(1 for other in self.neighbours if rules.acts_collectively(other.last_mode, other.was_volunteer))
        associated = sum(1 for other in self.neighbours if other.was_associated)
        return (*rules.peer_shares(active, together, len(self.neighbours)),
                rules.peer_share(associated, len(self.neighbours)))

    def live_month(self, offer, draws) -> None:
        """Decide, take part or not, and update my state (rules.citizen_month)."""
        peer_active, peer_collective, peer_volunteering = self.observe_peers()
        g, c, i = self.group, self.caseload, self.index
        month = rules.citizen_month(
            offer.theta, self.need, self.resources, self.trust, self.efficacy, self.efficacy0, self.motivation,
            self.motivation0, self.wellbeing, self.is_volunteer, peer_active, peer_collective, self.propensity,
            self.civic_pull,
            rules.takes_part(self.last_mode), self.informed, self.activity, self.tenure, peer_volunteering,
            offer.invite_rate[c], offer.outreach_rate[c], offer.facilitation[c], offer.service_share[c], offer.fit[g],
            offer.quality,
            offer.group_benefit[g], offer.collective_member_benefit[g], offer.collective_participant_benefit[g],
            offer.ngo_benefit[g], offer.ngo_pull[g], offer.ngo_control[g],
            draws[0][i], draws[1][i], draws[2][i], draws[3][i], draws[4][i], draws[5][i], draws[6][i], draws[7][i])
        # What I did and my new state.
        self.mode, self.phase, self.hours = month.mode, month.phase, month.hours
        self.heard, self.ignored, self.invited = month.heard, month.ignored, month.invited
        self.wellbeing, self.trust, self.efficacy, self.motivation = (month.wellbeing, month.trust, month.efficacy,
                                                                      month.motivation)
        self.is_volunteer, self.volunteer_hours = month.is_volunteer, month.volunteer_hours
        self.met, self.met_coproduced = month.met, month.met_coproduced
        self.activity, self.tenure, self.association_hours = month.activity, month.tenure, month.association_hours

    def tend_ties(self, build_rate: float, decay_rate: float) -> None:
        """Strengthen ties to those I acted with this month; let the others fade."""
        for k, other in enumerate(self.neighbours):
            self.tie_strength[k] = rules.update_tie(self.tie_strength[k], rules.acted_together(
                self.mode, other.mode, self.group, other.group, self.is_volunteer, other.is_volunteer),
                                                    build_rate, decay_rate)

    def end_month(self) -> None:
        self.last_mode = self.mode
        self.was_volunteer = self.is_volunteer
        self.was_associated = self.activity != rules.ACTIVITY_NONE
