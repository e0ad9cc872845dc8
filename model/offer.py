"""What the public side and civil society offer citizens in a month: the interface citizens read.

Professionals fill the per-caseload arrays, the municipality and NGOs the per-group arrays. Both
citizen engines read only this, so the public actors never touch individual citizens. The rule
(``rules.citizen_month``) reads an offer by name, ``offer.fit[group]``: the Mesa citizens hand it
the ``Offer`` itself; the numba engine hands its kernel the same fields as a plain tuple
(``Offer.values``), which the kernel names again (``OfferRecord``, a named tuple Numba compiles).
Each field is named here and in the rule that reads it, nowhere else.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, fields

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

    def values(self) -> tuple:
        """The fields as a plain tuple, in declaration order: what the kernels take (Numba types a
        plain tuple in C at each call, a named one in Python) and name again (``OfferRecord``)."""
        return tuple(map(self.__dict__.__getitem__, OfferRecord._fields))


# The kernels' form of an ``Offer``: a ``collections.namedtuple``, which Numba compiles as a tuple
# whose fields keep their names.
OfferRecord = namedtuple("OfferRecord", [field.name for field in fields(Offer)])
