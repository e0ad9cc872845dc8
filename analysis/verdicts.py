"""A claim's verdict from the share of sampled points where it holds."""

from __future__ import annotations

BROADLY, FAILS = 0.8, 0.2


def verdict(share: float) -> str:
    if share >= BROADLY:
        return "holds broadly"
    if share <= FAILS:
        return "fails"
    return "holds conditionally"
