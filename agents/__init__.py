"""The actors of co-production: citizens, professionals, politicians and NGOs (Mesa agents),
and the citizens' rules shared with the compiled engine.

The agent classes (and with them mesa) are imported on first use."""

from __future__ import annotations

import importlib

__all__ = ["Citizen", "NGO", "Politician", "Professional"]
_WHERE = {"Citizen": "coprod.agents.citizen", "NGO": "coprod.agents.ngo", "Politician": "coprod.agents.politician",
          "Professional": "coprod.agents.professional"}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
