"""Display names for what reports show: outcomes, dimensions and strategies, once, for every report
(and the classroom's pictures), so no identifier like ``efficiency_precision`` reaches a reader."""

from __future__ import annotations

from coprod.model.outcomes import HORIZON_NAMES, HORIZONS

# The five value dimensions, as readers name them.
DIMENSION_NAMES = {
    "en": {"innovation": "Innovation", "wellbeing": "Wellbeing & empowerment",
           "efficiency_precision": "Efficiency & precision",
           "resource_mobilisation": "Resource mobilisation", "democracy": "Democracy"},
    "da": {"innovation": "Innovation", "wellbeing": "Trivsel & handlekraft",
           "efficiency_precision": "Effektivitet & træfsikkerhed",
           "resource_mobilisation": "Ressourcemobilisering", "democracy": "Demokrati"},
}

# Outcomes beside the five dimensions that the comparison shows, and which direction is better.
RISK_COLUMNS = {
    "wellbeing_gini": "lower",
    "participation_top_quintile": "neutral",
    "participation_bottom_quintile": "higher",
    "bonding_ties": "higher",
    "bridging_ties": "higher",
    "public_cost": "lower",
    "citizen_hours": "neutral",
    "unmet_need": "lower",
    "total_public_cost": "lower",
    "total_citizen_hours": "neutral",
}
RISK_LABELS = {
    "wellbeing_gini": "wellbeing Gini (inequality)",
    "participation_top_quintile": "taking part, top resource quintile",
    "participation_bottom_quintile": "taking part, bottom resource quintile",
    "bonding_ties": "bonding ties per citizen",
    "bridging_ties": "bridging ties per citizen",
    "public_cost": "public cost, last month (PHE)",
    "citizen_hours": "citizen hours, last month",
    "unmet_need": "unmet need (share)",
    "total_public_cost": "public cost, whole run (PHE)",
    "total_citizen_hours": "citizen hours, whole run",
}


def dimension_name(dimension: str, language: str = "en") -> str:
    return DIMENSION_NAMES[language][dimension]

# The scale of outcomes that have one: an interval is kept inside it.
BOUNDED = {**{d: (0.0, 1.0) for d in DIMENSION_NAMES["en"]},
           "wellbeing_gini": (0.0, 1.0), "participation_top_quintile": (0.0, 1.0),
           "participation_bottom_quintile": (0.0, 1.0), "unmet_need": (0.0, 1.0)}


def horizon_months(horizon: str) -> int:
    """About how many months a horizon's reading averages over (impact: the long one's)."""
    return round(1.0 / HORIZONS["long" if horizon == "impact" else horizon])


def strategy_names(strategies) -> dict[str, str]:
    """Each strategy's display name: its scenario's title (``#2`` kept for a scenario given twice)."""
    names = {}
    for s in strategies:
        repeat = s.label.partition("#")[2]
        names[s.label] = s.scenario.title + (f" #{repeat}" if repeat else "") if s.scenario.title else s.label
    return names


def outcome_name(metric: str) -> str:
    """``efficiency_precision_long`` -> ``Efficiency & precision (long horizon)``; risks by their label."""
    stem, _, horizon = metric.rpartition("_")
    if horizon in HORIZON_NAMES and stem in DIMENSION_NAMES["en"]:
        return f"{DIMENSION_NAMES['en'][stem]} ({horizon} horizon)"
    if horizon in HORIZON_NAMES and stem:
        return f"{RISK_LABELS.get(stem, stem.replace('_', ' '))} ({horizon} horizon)"
    return RISK_LABELS.get(metric, metric.replace("_", " "))


def outcome_months(metric: str) -> int:
    """How many months of a run an outcome's reading needs (its horizon's; one for a monthly reading)."""
    horizon = metric.rpartition("_")[2]
    return horizon_months(horizon) if horizon in HORIZON_NAMES else 1
