"""Display names for what reports show: outcomes, dimensions and strategies, once, for every report
(and the classroom's pictures), so no identifier like ``efficiency_precision`` reaches a reader."""

from __future__ import annotations

# The five value dimensions, as readers name them.
DIMENSION_NAMES = {
    "en": {"innovation": "Innovation", "wellbeing": "Wellbeing & empowerment",
           "efficiency_precision": "Efficiency & precision",
           "resource_mobilisation": "Resource mobilisation", "democracy": "Democracy"},
    "da": {"innovation": "Innovation", "wellbeing": "Trivsel & empowerment",
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
