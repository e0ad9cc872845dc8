"""A claim's verdict from the shares of sampled space in each of the four categories
(``statistics.CATEGORIES``: holds, reversed, negligible, unclear against the outcome's SESOI)."""

from __future__ import annotations

# Share of sampled points where the claim holds (with 95% confidence, beyond its SESOI) for "holds
# broadly", and at most for "fails"; share of points too noisy to call for "unclear".
BROADLY, FAILS, UNDECIDED = 0.8, 0.2, 0.5
VERDICTS = ("holds broadly", "holds conditionally", "fails", "unclear")


def verdict(shares: dict[str, float]) -> str:
    """The verdict from the category shares (each in [0, 1], summing to 1), in this order:
    *holds broadly* where the claim holds at >= 80% of points; *unclear* where at least half the
    points cannot be called (more replications needed, not evidence either way); *fails* where it
    holds at <= 20% (the rest reversed or negligible, ``failure_kind`` says which); otherwise
    *holds conditionally*."""
    if shares.get("holds", 0.0) >= BROADLY:
        return "holds broadly"
    if shares.get("unclear", 0.0) >= UNDECIDED:
        return "unclear"
    if shares.get("holds", 0.0) <= FAILS:
        return "fails"
    return "holds conditionally"


def failure_kind(shares: dict[str, float]) -> str:
    """Where a claim does not hold, which answer dominates: the effect is reversed or too small."""
    reversed_, negligible = shares.get("reversed", 0.0), shares.get("negligible", 0.0)
    if reversed_ == negligible == 0.0:
        return ""
    return "mostly reversed" if reversed_ >= negligible else "mostly negligible"
