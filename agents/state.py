"""The citizen's state, declared once: each quantity's name, kind, starting value and bounds.

The Mesa ``Citizen`` takes its starting values from here, the numba engine its arrays, both
engines the kind of value they hand observers and the monthly tally, and in-silico trials the
quantities they may change and the bounds a change is kept within. Quantities without a starting
value are drawn for each citizen (``model/population.py``) or follow from drawn ones.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from coprod.agents import rules
from coprod.agents.rules import ACTIVITY_NONE, MODE_NONE, PHASE_NONE


class Quantity(NamedTuple):
    name: str
    kind: str  # "float" (float64 per agent, float32 in the numba store), "bool" or "int8"
    initial: float | bool | int | None  # the same for every citizen at the start; None: drawn or derived
    bounds: tuple[float, float] | None  # where the rules keep it (None: unbounded or a code)
    settable: bool = False  # an intervention (an in-silico trial) may change it
    trait: bool = False  # the month reads it and never changes it (kept apart from what it changes)


CITIZEN_STATE = (
    # Drawn at the start (population.initial_citizens).
    Quantity("resources", "float", None, (0.0, 1.0), settable=True, trait=True),
    Quantity("need", "float", None, (0.0, 1.0), trait=True),
    Quantity("propensity", "float", None, None, trait=True),  # latent civic propensity (logit), fixed for life
    Quantity("quintile", "int8", None, (0, 4), trait=True),  # resource quintile, 0 = poorest
    Quantity("trust", "float", None, (0.0, 1.0), settable=True),
    Quantity("efficacy", "float", None, (0.0, 1.0), settable=True),
    Quantity("motivation", "float", None, (0.0, 1.0), settable=True),
    Quantity("wellbeing", "float", None, (0.0, 1.0)),
    # Derived from drawn ones: the baselines efficacy and motivation drift back to, need in hours,
    # and e^propensity (a factor in joining and staying in NGOs).
    Quantity("efficacy0", "float", None, (0.0, 1.0), trait=True),
    Quantity("motivation0", "float", None, (0.0, 1.0), trait=True),
    Quantity("need_hours", "float", None, None, trait=True),
    Quantity("civic_pull", "float", None, None, trait=True),
    # The same for everyone at the start.
    # told how to take part (an information trial)
    Quantity("informed", "bool", False, None, settable=True, trait=True),
    Quantity("is_volunteer", "bool", False, None),  # volunteers for the NGO that co-produces with the municipality
    # Associational life (rules.association_transition): the activity volunteered in (0 none,
    # 1 sports, 2 culture, 3 social, 4 local) and months in it. Civil society grows from nothing
    # in the first years of a run (a burn-in).
    Quantity("activity", "int8", ACTIVITY_NONE, (0, 4)),
    Quantity("tenure", "float", 0.0, None),
    # What a citizen did this month (rules.citizen_month), before the first month: nothing.
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


def citizen_dtype(traits: bool, kinds: dict[str, str] = STORE_DTYPES) -> np.dtype:
    """A citizen's traits (``traits``: what the month reads and never changes) or the rest of their
    state, as a record: each declared quantity of that part a field of its kind (``kinds``:
    ``STORE_DTYPES`` for the numba engine's store, ``AGENT_DTYPES`` for the agents' values as the
    tally sums them). The numba engine keeps its citizens as two arrays of these records: a
    citizen's fields side by side (one memory stream for the month's loop, not one per quantity),
    and the traits apart, so the cache lines the month writes back hold only what it changed
    (benchmarks/layout_probe.py). Floats first, then the one-byte codes, so the floats stay aligned."""
    part = [quantity for quantity in CITIZEN_STATE if quantity.trait == traits]
    ordered = sorted(part, key=lambda quantity: quantity.kind != "float")
    return np.dtype([(quantity.name, kinds[quantity.kind]) for quantity in ordered], align=True)


# Quantities that are neither drawn (``model/population.py``) nor the same for everyone follow from
# others at the start, by these rules. ``drawn(name)`` is a drawn quantity in float64, ``stored(name)``
# one already kept by the engine at its own precision (a float32 store gives a float32-rounded
# value), ``p`` the parameters; scalars for an agent, arrays for the numba engine.
DERIVED = {
    "need_hours": lambda drawn, stored, p: rules.citizen_need_hours(drawn("need"), p["need_per_citizen_hours"]),
    "efficacy0": lambda drawn, stored, p: stored("efficacy"),  # the baseline efficacy drifts back to
    "motivation0": lambda drawn, stored, p: stored("motivation"),
    # e^propensity, a factor in joining and staying in NGOs (so the month needs no exponential)
    "civic_pull": lambda drawn, stored, p: np.exp(np.asarray(stored("propensity"), dtype=np.float64)),
}
# Derived from drawn values, so filled before the drawn arrays are let go.
DERIVED_FROM_DRAWN = ("need_hours",)


def drawn_names() -> tuple[str, ...]:
    """The quantities drawn for each citizen at the start (``model/population.py``): neither the
    same for everyone nor derived."""
    return tuple(q.name for q in CITIZEN_STATE if q.initial is None and q.name not in DERIVED)


def starting_order() -> list[Quantity]:
    """The quantities in the order an engine fills them at the start: those derived from drawn
    values, then the drawn ones (each drawn array can be let go once stored), then those derived
    from stored ones, then those the same for everyone."""
    def rank(quantity: Quantity) -> int:
        if quantity.name in DERIVED_FROM_DRAWN:
            return 0
        if quantity.name in DERIVED:
            return 2
        return 3 if quantity.initial is not None else 1
    return sorted(CITIZEN_STATE, key=rank)


class CitizenRecords:
    """The citizens' declared quantities as two record arrays, ``traits`` and ``state``
    (``citizen_dtype``), read and written by name: ``records["trust"]`` is every citizen's trust."""

    def __init__(self, n: int, kinds: dict[str, str] = STORE_DTYPES):
        self.traits = np.zeros(n, dtype=citizen_dtype(True, kinds))
        self.state = np.zeros(n, dtype=citizen_dtype(False, kinds))

    def holding(self, name: str) -> np.ndarray:
        """The record array that holds the quantity ``name``."""
        return self.traits if QUANTITIES[name].trait else self.state

    def __getitem__(self, name: str) -> np.ndarray:
        return self.holding(name)[name]

    def __setitem__(self, name: str, values) -> None:
        self.holding(name)[name] = values


class AttributeStore:
    """An agent's attributes as ``fill_start`` stores them (``store[name]``), as plain Python values."""

    def __init__(self, agent):
        self.agent = agent

    def __getitem__(self, name: str):
        return getattr(self.agent, name)

    def __setitem__(self, name: str, value) -> None:
        setattr(self.agent, name, value.item() if isinstance(value, np.generic) else value)


def fill_start(store, drawn: dict, p: dict, let_go: bool = False) -> None:
    """Give each declared quantity its starting value in ``store`` (``store[name] = values``: a
    record array, or an agent through ``setattr``), from the ``drawn`` values (``model/population.py``),
    ``DERIVED`` or the declared initial value. With ``let_go`` each drawn array is taken out of
    ``drawn`` once stored, so that at 10^7 citizens the float64 and the stored copies never all coexist."""
    for quantity in starting_order():
        name = quantity.name
        if name in DERIVED:
            store[name] = DERIVED[name](drawn.__getitem__, store.__getitem__, p)
        elif quantity.initial is not None:
            store[name] = quantity.initial
        else:
            store[name] = drawn.pop(name) if let_go else drawn[name]


def check_settable(name: str) -> None:
    """An intervention may change only the declared settable quantities."""
    if name not in SETTABLE:
        raise ValueError(f"cannot set citizen quantity {name!r}; allowed: {', '.join(SETTABLE)}")
