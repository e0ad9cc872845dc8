"""The co-production world: parameters, paradigms, the model and its engines.

The model (and with it mesa and numba) is imported on first use, so reading the parameter
declarations (``coprod params``, scenario checks) does not pay for the simulation's libraries.
"""

from __future__ import annotations

import importlib

__all__ = ["CoProductionModel", "PARAMETERS", "resolve_parameters"]
_WHERE = {"CoProductionModel": "coprod.model.model", "resolve_parameters": "coprod.model.model",
          "PARAMETERS": "coprod.core.parameters"}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
