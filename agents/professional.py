"""The frontline professional: finite hours split between delivering, facilitating and reporting.

Output targets claim reporting time and pull towards counted delivery (Hood 1991); co-production
asks for facilitation. When both are demanded at once the professional is under role strain
(Kahn et al. 1964; seed 000), which costs capacity (absence) and facilitation quality.
"""

from __future__ import annotations

import mesa

from coprod.agents.rules import clip01

# Hours of facilitation a taking-part citizen asks for in a month.
FACILITATION_PER_PARTICIPANT = 0.5
# Share of facilitation time spent inviting (the rest supports those who take part).
INVITING_SHARE = 0.4
# Share of paid hours that output reporting takes at full target pressure.
REPORTING_SHARE = 0.25


class Professional(mesa.Agent):
    """One professional serving a contiguous caseload of citizens."""

    def __init__(self, model, caseload: int, caseload_size: int):
        super().__init__(model)
        self.caseload = caseload
        self.caseload_size = caseload_size
        self.strain = 0.0
        self.paid_hours = 0.0
        self.reporting_hours = 0.0
        self.facilitation_hours = 0.0
        self.delivery_hours = 0.0
        self.invite_rate = 0.0
        self.facilitation = 0.0
        self.service_share = 0.0

    def plan_month(self, hours_budget: float, participants: float, need_hours: float, substitution: float) -> None:
        """Split this month's hours given the budget, last month's co-producers and the caseload's need.

        ``substitution`` is the share of delivery the savings target expects citizens to take
        over: professionals are told to recruit co-deliverers instead.
        """
        p = self.model.p
        capacity = p["capacity_hours"] * (1.0 - p["strain_absence"] * self.strain)
        self.paid_hours = min(capacity, hours_budget)
        self.reporting_hours = REPORTING_SHARE * p["output_target_pressure"] * self.paid_hours
        discretionary = self.paid_hours - self.reporting_hours
        orientation = clip01(p["facilitation_orientation"] + 0.5 * substitution)
        self.facilitation_hours = discretionary * orientation
        self.delivery_hours = discretionary - self.facilitation_hours

        inviting = INVITING_SHARE * self.facilitation_hours
        self.invite_rate = clip01(inviting / p["invitation_hours"] / max(self.caseload_size, 1))
        demand = FACILITATION_PER_PARTICIPANT * participants
        coverage = 1.0 if demand <= 0 else min(1.0, (self.facilitation_hours - inviting) / demand)
        self.facilitation = p["facilitation_skill"] * coverage * (1.0 - 0.5 * self.strain)
        self.service_share = self.delivery_hours / max(need_hours, 1e-9)

        # Role strain: output targets against the co-production asked of me, plus overload:
        # co-producers asking more support than I have, and a budget below a full post.
        asked = (orientation * discretionary + demand) / max(discretionary, 1e-9)
        conflict = p["output_target_pressure"] * min(1.0, asked)
        unsupported = max(0.0, demand - (self.facilitation_hours - inviting)) / max(discretionary, 1e-9)
        overload = min(1.0, unsupported) + max(0.0, 1.0 - hours_budget / p["capacity_hours"])
        driven = clip01(p["strain_sensitivity"] * (conflict + 0.5 * overload))
        self.strain += p["strain_recovery"] * (driven - self.strain)
