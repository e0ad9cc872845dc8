"""The co-production world: parameters, paradigms, the model and its engines."""

from coprod.model.model import CoProductionModel, resolve_parameters
from coprod.model.parameters import PARAMETERS

__all__ = ["CoProductionModel", "PARAMETERS", "resolve_parameters"]
