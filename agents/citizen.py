"""The citizen as a Mesa agent: the readable reference for what one citizen does each month.

All decisions are the shared rules of ``coprod.agents.rules``; this class only holds the state
declared in ``coprod.agents.state`` and reads the neighbours. The Numba engine runs the same rules over
records of the same quantities.
"""

from __future__ import annotations

import mesa
import numpy as np

from coprod.agents import rules
from coprod.agents.state import AttributeStore, fill_start


class Citizen(mesa.Agent):
    """A resident with need, resources, trust, self-efficacy, motivation and social ties."""

    def __init__(self, model, index, group, caseload, drawn):
        super().__init__(model)
        self.index = index  # position in the population (fixes the citizen's random streams)
        self.group = group
        self.caseload = caseload
        # My state as declared (agents/state.py): ``drawn`` holds my drawn starting values
        # (model/population.py); the rest is derived from them or starts where its declaration says.
        fill_start(AttributeStore(self), drawn, model.p)
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
        """Decide, take part or not, and update my state (rules.citizen_month writes it into me)."""
        i = self.index
        # My traits and the rest of my state are both me (the numba engine keeps them apart).
        rules.citizen_month(offer.theta, self, self, self.observe_peers(), offer, self.caseload, self.group,
                            tuple(stream[i] for stream in draws))

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
