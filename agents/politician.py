"""The politician: sets the budget each month and answers to voters at elections.

The budget pays staff hours, grants and contracts to NGO initiatives, and services taken over
from citizens. A savings target cuts the staff budget in the hope that citizens substitute; a
share of the cut may be reinvested in civil society (grants to NGOs), the route by which
substitution can create net value where volunteers can carry it (Pestoff 2012; Brandsen &
Pestoff 2006 on the third sector as co-producer).
At each election, low approval (trust and wellbeing) makes the council raise the budget and ease
the savings target (retrospective voting: Fiorina 1981).
"""

from __future__ import annotations

import mesa


class Politician(mesa.Agent):
    def __init__(self, model):
        super().__init__(model)
        self.budget_factor = 1.0
        self.savings = model.p["savings_target"]
        self.budget = 0.0
        self.grants = 0.0
        self.takeover_cost = 0.0
        self.staff_budget = 0.0
        self.reinvested = 0.0  # the part of the savings cut passed to NGOs this month
        self.staff_spent = 0.0
        self.approval = 1.0
        self.elections = 0

    def set_budget(self, grants_asked: float, takeover_cost: float) -> None:
        """Fix this month's budget and its split; grants and take-overs are paid before staff."""
        p = self.model.p
        self.budget = p["budget_per_citizen"] * p["n_citizens"] * self.budget_factor
        # Grants may take at most half the budget; take-overs are paid from what is left.
        self.grants = min(grants_asked, 0.5 * self.budget)
        self.takeover_cost = min(takeover_cost, self.budget - self.grants)
        staff_pot = self.budget - self.grants - self.takeover_cost
        cut = staff_pot * self.savings
        self.staff_budget = staff_pot - cut
        self.reinvested = cut * p["savings_reinvested"] if len(self.model.ngos) else 0.0

    def face_voters(self, mean_trust: float, mean_wellbeing: float) -> None:
        """Every election period, respond to low approval with money and relief from savings."""
        p = self.model.p
        self.approval = 0.5 * (mean_trust + mean_wellbeing)
        if self.model.steps % p["election_period"] != 0:
            return
        self.elections += 1
        if self.approval < p["approval_threshold"]:
            self.budget_factor *= 1.0 + p["budget_responsiveness"]
            self.savings *= 1.0 - p["budget_responsiveness"]
