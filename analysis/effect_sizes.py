"""The smallest effect size of interest (SESOI) of every outcome, in one table, with its reason.

A claim's verdict and a comparison's differences are read against these: an effect smaller than
the SESOI is not worth a decision, however many replications make it "significant" (Lakens,
Scheel & Isager 2018). Each outcome gets either an absolute SESOI, in the outcome's own unit, or a
relative one, a share of the two arms' mean magnitude (for outcomes whose scale depends on the
number of citizens, the budget or the network). The values are judgements, stated with their
reasons so a reader can disagree: override them with a TOML file (``--sesoi FILE``)::

    wellbeing_long = 0.02                        # absolute, in the outcome's unit
    public_cost = { relative = 0.05 }            # 5% of the arms' mean
    initiatives = { absolute = 2, reason = "two initiatives make a different neighbourhood" }
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from coprod.core.errors import InputError
from coprod.model.outcomes import DIMENSIONS, HORIZON_NAMES, TRACKED_RISKS, reporter_names


@dataclass(frozen=True)
class Sesoi:
    value: float
    relative: bool
    reason: str

    def threshold(self, scale: float = 0.0) -> float:
        """The SESOI in the outcome's unit; ``scale`` is the arms' mean magnitude (used when relative)."""
        return self.value * abs(scale) if self.relative else self.value

    def describe(self) -> str:
        return f"{self.value:.3g} of the arms' mean" if self.relative else f"{self.value:.3g}"


# The reasons, once per kind of outcome.
SCALE_0_1 = ("one point on a 0-1 scale (0.01): the resolution at which the survey shares and indices the model "
             "is compared with are reported (whole percent); a smaller difference could not be seen in such data")
GINI = ("one Gini point (0.01): inequality statistics (OECD Income Distribution Database, Statistics Denmark) "
        "report the Gini to two decimals and read year-to-year moves below a point as noise")
SHARE = ("one percentage point (0.01): participation and volunteering surveys carry sampling errors of one to "
         "two points, so a smaller difference in a share could not be seen in data")
COUNT = ("one (1): counts of initiatives, NGOs, take-overs and adopted proposals move in whole units; a mean "
         "difference below one is not a different civil society")
RELATIVE = ("2% of the two arms' mean (relative): the scale grows with the number of citizens, the budget or the "
            "network; assumption, about the year-to-year deviation a municipal service budget absorbs")

SHARES = ("participation_rate", "participation_top_quintile", "participation_bottom_quintile", "participation_gap",
          "individual_share", "group_share", "collective_share", "volunteer_share", "unmet_need", "voice_share",
          "representation")
MEANS_0_1 = ("mean_trust", "mean_efficacy", "empowerment", "mean_motivation", "mean_strain", "approval", "influence",
             "legitimacy")
COUNTS = ("initiatives", "ngos", "initiatives_taken_over", "proposals_adopted")
SCALED = ("public_cost", "citizen_hours", "volunteer_hours", "budget", "value_for_money", "meeting_hours",
          "service_hours", "bonding_ties", "bridging_ties")
# Outcomes `coprod compare` adds to the recorded ones (sums over the run).
COMPARE_TOTALS = ("total_public_cost", "total_citizen_hours")


def _stem_sesoi(stem: str) -> Sesoi:
    if stem in DIMENSIONS or stem in MEANS_0_1:
        return Sesoi(0.01, False, SCALE_0_1)
    if stem == "wellbeing_gini":
        return Sesoi(0.01, False, GINI)
    if stem in SHARES:
        return Sesoi(0.01, False, SHARE)
    if stem in COUNTS:
        return Sesoi(1.0, False, COUNT)
    if stem in SCALED or stem in COMPARE_TOTALS:
        return Sesoi(0.02, True, RELATIVE)
    raise KeyError(stem)


def outcome_names() -> list[str]:
    """Every outcome a SESOI is declared for: the recorded ones and compare's run totals."""
    return reporter_names() + list(COMPARE_TOTALS)


def _stem(outcome: str) -> str:
    """``wellbeing_long`` -> ``wellbeing``; an outcome without a horizon is its own stem."""
    stem, _, horizon = outcome.rpartition("_")
    return stem if horizon in HORIZON_NAMES and (stem in DIMENSIONS or stem in TRACKED_RISKS) else outcome


# The table: every outcome, with the SESOI of its kind. A recorded outcome of no kind above stops the
# import with a KeyError naming it, so a new outcome cannot go without a SESOI.
DEFAULT_SESOI: dict[str, Sesoi] = {name: _stem_sesoi(_stem(name)) for name in outcome_names()}

OVERRIDE_KEYS = ("absolute", "relative", "reason")


def read_overrides(data: dict, where: str) -> dict[str, Sesoi]:
    """The SESOI table with a parsed TOML file's entries (``data``) in place of the defaults; one-line
    ``InputError`` naming the file (``where``), the key and what is allowed."""
    table = dict(DEFAULT_SESOI)
    for outcome, entry in data.items():
        at = f"{where}: key {outcome!r}"
        if outcome not in DEFAULT_SESOI:
            raise InputError(f"{at}: unknown outcome; allowed: an outcome of `coprod params` (reporter_names()) "
                             f"or {', '.join(COMPARE_TOTALS)}")
        if isinstance(entry, dict):
            unknown = [k for k in entry if k not in OVERRIDE_KEYS]
            kinds = [k for k in ("absolute", "relative") if k in entry]
            if unknown or len(kinds) != 1:
                raise InputError(f"{at}: got {entry!r}; allowed: a number, or a table with exactly one of 'absolute' "
                                 "or 'relative' (and optionally 'reason')")
            kind, value = kinds[0], entry[kinds[0]]
            reason = entry.get("reason", f"set in {where}")
            if not isinstance(reason, str):
                raise InputError(f"{at}: key 'reason': got {reason!r}; allowed: a string")
        else:
            kind, value, reason = "absolute", entry, f"set in {where}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            unit = "a share of the arms' mean" if kind == "relative" else "in the outcome's unit"
            raise InputError(f"{at}: got {value!r}; allowed: a number > 0 ({unit})")
        table[outcome] = Sesoi(float(value), kind == "relative", reason)
    return table


def to_manifest(table: dict[str, Sesoi], outcomes) -> dict[str, dict]:
    """The SESOI of ``outcomes`` as plain data (a manifest records what a verdict was read against)."""
    return {name: asdict(table[name]) for name in outcomes}


def from_manifest(recorded: dict | None) -> dict[str, Sesoi]:
    """The table a manifest recorded, over the defaults (older manifests recorded none)."""
    return {**DEFAULT_SESOI, **{name: Sesoi(**entry) for name, entry in (recorded or {}).items()}}


def sesoi_frame(table: dict[str, Sesoi] | None = None) -> pd.DataFrame:
    """The table as rows: outcome, value, relative, reason (for docs and reports)."""
    table = DEFAULT_SESOI if table is None else table
    return pd.DataFrame([{"outcome": name, **asdict(s)} for name, s in table.items()])
