"""Per-citizen records over a rolling window of months, for measuring empirical patterns.

A ``CitizenRecord`` reads the per-citizen arrays of the month just stepped
(``population.citizen_values``) and keeps the last ``window`` months in ring buffers. Its
``summary()`` is a ``CitizenWindow``: plain per-citizen counts and sums over those months plus the
state at the end, so every pattern statistic is a plain function of arrays and can be tested on
hand-made windows with known answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Mode codes of ``citizen_values("mode")`` (agents/rules.py): 0 none, 1 individual, 2 group, 3 collective.
N_MODES = 4
# End-of-window state kept for cross-sectional statistics (as a survey would ask it then).
END_STATE = ("resources", "efficacy", "trust", "motivation", "quintile", "is_volunteer")


@dataclass(frozen=True)
class CitizenWindow:
    """What each citizen did over the last ``months`` months, and their state at the end.

    ``months_by_mode[:, k]`` counts the months citizen i co-produced in mode k (column 0, no
    co-production, included), so ``taking_part = months - months_by_mode[:, 0]``.
    """

    months: int
    months_by_mode: np.ndarray  # (n, 4) int
    volunteering: np.ndarray  # (n,) months volunteering: in associational life or for the NGO
    coproduction_hours: np.ndarray  # (n,) hours of co-production summed over the window
    volunteer_hours: np.ndarray  # (n,) hours given to associations and the NGO summed over the window
    end: dict[str, np.ndarray]  # END_STATE arrays at the last month
    # (n,) months in which hours were given to associations or the NGO: a month of doing volunteer
    # work, as surveys count it ("how often did you do unpaid work"), not of being a member
    giving: np.ndarray

    @property
    def n(self) -> int:
        return len(self.volunteering)

    @property
    def taking_part(self) -> np.ndarray:
        """Months in which each citizen co-produced in any mode."""
        return self.months - self.months_by_mode[:, 0]

    @property
    def participation(self) -> np.ndarray:
        """Each citizen's share of months taking part."""
        return self.taking_part / self.months


class CitizenRecord:
    """Rolling per-citizen record of the last ``window`` months; call ``observe`` after each step."""

    def __init__(self, n: int, window: int = 12):
        if window < 1:
            raise ValueError(f"window: got {window}; allowed: >= 1")
        self.n, self.window = n, window
        self.observed = 0
        self.mode = np.zeros((window, n), dtype=np.int8)
        self.volunteer = np.zeros((window, n), dtype=np.bool_)
        self.hours = np.zeros((window, n))
        self.volunteer_hours = np.zeros((window, n))
        self.end: dict[str, np.ndarray] = {}

    def observe(self, population) -> None:
        """Read the month just stepped from an engine (anything with ``citizen_values``)."""
        slot = self.observed % self.window
        self.mode[slot] = population.citizen_values("mode")
        # Volunteering is associational life or the NGO that co-produces with the municipality.
        self.volunteer[slot] = population.citizen_values("is_volunteer") | (population.citizen_values("activity") > 0)
        self.hours[slot] = population.citizen_values("hours")
        self.volunteer_hours[slot] = (population.citizen_values("volunteer_hours")
                                      + population.citizen_values("association_hours"))
        self.end = {name: np.asarray(population.citizen_values(name)).copy() for name in END_STATE}
        self.observed += 1

    def summary(self) -> CitizenWindow:
        """Counts over the months observed so far (at most ``window``)."""
        months = min(self.observed, self.window)
        if months == 0:
            raise ValueError("no month observed yet")
        mode = self.mode[:months]
        by_mode = np.stack([(mode == k).sum(axis=0) for k in range(N_MODES)], axis=1)
        return CitizenWindow(months=months, months_by_mode=by_mode,
                             volunteering=self.volunteer[:months].sum(axis=0),
                             coproduction_hours=self.hours[:months].sum(axis=0),
                             volunteer_hours=self.volunteer_hours[:months].sum(axis=0),
                             end=dict(self.end), giving=(self.volunteer_hours[:months] > 0.0).sum(axis=0))
