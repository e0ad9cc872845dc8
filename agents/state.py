"""The citizen's state, declared once: each quantity's name, kind, starting value and bounds.

The Mesa ``Citizen`` takes its starting values from here, the numba engine its arrays, both
engines the kind of value they hand observers and the monthly tally, and in-silico trials the
quantities they may change and the bounds a change is kept within. Quantities without a starting
value are drawn for each citizen (``model/population.py``) or follow from drawn ones.
"""

from __future__ import annotations

from typing import NamedTuple

from coprod.agents.rules import ACTIVITY_NONE, MODE_NONE, PHASE_NONE


class Quantity(NamedTuple):
    name: str
    kind: str  # "float" (float64 per agent, float32 in the numba store), "bool" or "int8"
    initial: float | bool | int | None  # the same for every citizen at the start; None: drawn or derived
    bounds: tuple[float, float] | None  # where the rules keep it (None: unbounded or a code)
    settable: bool = False  # an intervention (an in-silico trial) may change it


CITIZEN_STATE = (
    # Drawn at the start (population.initial_citizens).
    Quantity("resources", "float", None, (0.0, 1.0), settable=True),
    Quantity("need", "float", None, (0.0, 1.0)),
    Quantity("propensity", "float", None, None),  # latent civic propensity (logit), fixed for life
    Quantity("quintile", "int8", None, (0, 4)),  # resource quintile, 0 = poorest
    Quantity("trust", "float", None, (0.0, 1.0), settable=True),
    Quantity("efficacy", "float", None, (0.0, 1.0), settable=True),
    Quantity("motivation", "float", None, (0.0, 1.0), settable=True),
    Quantity("wellbeing", "float", None, (0.0, 1.0)),
    # Derived from drawn ones: the baselines efficacy and motivation drift back to, need in hours,
    # and e^propensity (a factor in joining and staying in NGOs).
    Quantity("efficacy0", "float", None, (0.0, 1.0)),
    Quantity("motivation0", "float", None, (0.0, 1.0)),
    Quantity("need_hours", "float", None, None),
    Quantity("civic_pull", "float", None, None),
    # The same for everyone at the start.
    Quantity("informed", "bool", False, None, settable=True),  # told how to take part (an information trial)
    Quantity("is_volunteer", "bool", False, None),  # volunteers for the NGO that co-produces with the municipality
    # Associational life (rules.association_transition): the activity volunteered in (0 none,
    # 1 sports, 2 culture, 3 social, 4 local) and months in it. Civil society grows from nothing
    # in the first years of a run (a burn-in).
    Quantity("activity", "int8", ACTIVITY_NONE, (0, 4)),
    Quantity("tenure", "float", 0.0, None),
    # What a citizen did this month (rules.CitizenMonth), before the first month: nothing.
    Quantity("mode", "int8", MODE_NONE, None),
    Quantity("phase", "int8", PHASE_NONE, None),
    Quantity("hours", "float", 0.0, None),
    Quantity("heard", "bool", False, None),
    Quantity("ignored", "bool", False, None),
    Quantity("invited", "bool", False, None),
    Quantity("volunteer_hours", "float", 0.0, None),  # given to the NGO's co-produced service
    Quantity("association_hours", "float", 0.0, None),  # given to associational life
    Quantity("met", "float", 0.0, (0.0, 1.0)),
    Quantity("met_coproduced", "float", 0.0, (0.0, 1.0)),
)
QUANTITIES = {quantity.name: quantity for quantity in CITIZEN_STATE}
SETTABLE = tuple(quantity.name for quantity in CITIZEN_STATE if quantity.settable)
# What each engine keeps a kind of value as, per citizen.
AGENT_DTYPES = {"float": "float64", "bool": "bool", "int8": "int8"}
STORE_DTYPES = {"float": "float32", "bool": "bool", "int8": "int8"}


def check_settable(name: str) -> None:
    """An intervention may change only the declared settable quantities."""
    if name not in SETTABLE:
        raise ValueError(f"cannot set citizen quantity {name!r}; allowed: {', '.join(SETTABLE)}")
