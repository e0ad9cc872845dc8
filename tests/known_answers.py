"""Analytical test functions with known sensitivity indices, evaluated by sweeps in the tests."""

from __future__ import annotations

import math
from typing import Any


def ishigami(parameters: dict[str, Any], seed: int, a: float = 7.0, b: float = 0.1) -> dict[str, float]:
    """The Ishigami function of x1, x2, x3 in [-pi, pi] (seed unused): a known-answer test."""
    x1, x2, x3 = parameters["x1"], parameters["x2"], parameters["x3"]
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3 ** 4 * math.sin(x1)}
