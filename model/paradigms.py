"""The four governance paradigms as rule sets: the defaults each gives to roles and levers.

A paradigm only chooses parameter values (who facilitates, how hard output targets pull, how
NGOs are treated, which phases are open, how far power is shared). Outcomes are never set here:
they follow from what the agents then do. Scenario files and ``--set`` override these values
(``resolve_parameters``, which the input checks call without importing the model).
"""

from __future__ import annotations

from typing import Any

from coprod.core.parameters import defaults, validate

# Seed 003's role table and the Danish municipal talk's overview, read as lever settings. Each paradigm gets the
# mechanisms its advocates and critics describe: traditional administration standardised, rule-bound
# (equal treatment, slow learning); NPM standardised with output targets and provider choice
# (cheaper output, creaming, crowding-out); NPG open, with every form of co-production on offer
# (voice and fit, at the price of meetings and capture by the heard).
PARADIGM_RULES: dict[str, dict[str, Any]] = {
    # Citizens are clients; the public sector is an authority that follows rules; NGOs stay
    # outside; co-production is only the descriptive kind every service needs (co-delivery).
    "traditional": {
        "output_target_pressure": 0.2,
        "standardisation": 0.5,
        "provider_choice": 0.0,
        "rule_rigidity": 0.7,
        "cp_level": "individual",
        "facilitation_orientation": 0.05,
        "ngo_relation": "outside",
        "power_sharing": "descriptive",
        "phase_commission": False,
        "phase_design": False,
        "phase_deliver": True,
        "phase_assess": False,
        "frontline_autonomy": 0.3,
        "process_openness": 0.3,
        "initiative_response": "ignore",
    },
    # Citizens are customers; output targets, contracts and competition steer; NGOs are
    # contracted suppliers; citizens give feedback (assessment) but do not plan.
    "npm": {
        "output_target_pressure": 0.8,
        "standardisation": 0.8,
        "provider_choice": 0.7,
        "rule_rigidity": 0.3,
        "cp_level": "individual",
        "facilitation_orientation": 0.1,
        "ngo_relation": "supplier",
        "power_sharing": "descriptive",
        "phase_commission": False,
        "phase_design": False,
        "phase_deliver": True,
        "phase_assess": True,
        "frontline_autonomy": 0.2,
        "process_openness": 0.4,
        "initiative_response": "ignore",
    },
    # Citizens are active co-citizens; the public sector is an arena for co-creation; NGOs are
    # partners; all phases open and power is shared.
    "npg": {
        "output_target_pressure": 0.2,
        "standardisation": 0.1,
        "provider_choice": 0.0,
        "rule_rigidity": 0.0,
        "cp_level": "collective",
        "facilitation_orientation": 0.25,
        "ngo_relation": "partner",
        "power_sharing": "transformative",
        "phase_commission": True,
        "phase_design": True,
        "phase_deliver": True,
        "phase_assess": True,
        "frontline_autonomy": 0.7,
        "process_openness": 0.7,
        "initiative_response": "support",
    },
    # Seed 000: still measured on output, yet told to co-produce bottom-up. Both demands at once.
    "hybrid": {
        "output_target_pressure": 0.8,
        "standardisation": 0.5,
        "provider_choice": 0.3,
        "rule_rigidity": 0.2,
        "cp_level": "group",
        "facilitation_orientation": 0.25,
        "ngo_relation": "supplier",
        "power_sharing": "intermediate",
        "phase_commission": True,
        "phase_design": True,
        "phase_deliver": True,
        "phase_assess": True,
        "frontline_autonomy": 0.4,
        "process_openness": 0.5,
        "initiative_response": "support",
    },
}

# What readers call each paradigm, in English and Danish: the role it gives citizens, and the
# paradigm's name (long on pictures and in reports, short on the dashboard's menus).
NAMES = {
    "en": {"traditional": "Client (traditional administration)", "npm": "Customer (New Public Management)",
           "npg": "Co-citizen (New Public Governance)", "hybrid": "Hybrid (NPM + NPG)"},
    "da": {"traditional": "Klient (traditionel forvaltning)", "npm": "Kunde (New Public Management)",
           "npg": "Medborger (New Public Governance)", "hybrid": "Hybrid (NPM + NPG)"},
}
SHORT_NAMES = {
    "en": {"traditional": "Client (traditional)", "npm": "Customer (NPM)", "npg": "Co-citizen (NPG)",
           "hybrid": "Hybrid (NPM + NPG)"},
    "da": {"traditional": "Klient (traditionel)", "npm": "Kunde (NPM)", "npg": "Medborger (NPG)",
           "hybrid": "Hybrid (NPM + NPG)"},
}


def paradigm_name(paradigm: str, language: str = "en", short: bool = False) -> str:
    """What readers call a paradigm."""
    return (SHORT_NAMES if short else NAMES)[language].get(paradigm, paradigm)


def paradigm_values(paradigm: str) -> dict[str, Any]:
    """The parameter values a paradigm sets (a copy)."""
    return dict(PARADIGM_RULES[paradigm])


def resolve_parameters(overrides: dict[str, Any] | None = None, where: str = "parameters") -> dict[str, Any]:
    """Declared defaults, then the paradigm's rule set, then explicit overrides (validated)."""
    overrides = validate(dict(overrides or {}), where)
    values = defaults()
    paradigm = overrides.get("paradigm", values["paradigm"])
    values.update(paradigm_values(paradigm))
    values.update(overrides)
    return values
