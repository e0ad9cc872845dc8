"""What the public side and civil society offer citizens in a month: the interface citizens read.

Professionals fill the per-caseload arrays, the municipality and NGOs the per-group arrays. Both
citizen engines read only this, so the public actors never touch individual citizens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Offer:
    theta: np.ndarray  # the citizen parameters in agents.rules.THETA_NAMES order
    seed: int
    step: int
    quality: float  # service quality from the current design (innovation)
    # per caseload (one professional each)
    invite_rate: np.ndarray
    outreach_rate: np.ndarray  # outreach invitations per unit of (1 - resources)
    facilitation: np.ndarray
    service_share: np.ndarray  # share of an average need that public delivery meets
    # per group
    fit: np.ndarray
    group_benefit: np.ndarray
    collective_member_benefit: np.ndarray
    collective_participant_benefit: np.ndarray
    ngo_benefit: np.ndarray
    ngo_pull: np.ndarray  # 0 where the group has no NGO; above 1 where a funded NGO recruits harder
    ngo_control: np.ndarray
