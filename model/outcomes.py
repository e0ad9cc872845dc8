"""The outcomes: five value dimensions read at five horizons, and the risks beside them.

Dimensions follow Brix, Krogstrup & Mortensen (2020) as summarised in DOMAIN.md §5. Each is
computed each month from what agents did (the output reading); the short, medium and long
readings are exponential moving averages over about 6, 24 and 60 months; impact is the long
reading minus the first month's output, the lasting change from where the municipality began.
"""

from __future__ import annotations

import numpy as np

DIMENSIONS = ("innovation", "wellbeing", "efficiency_precision", "resource_mobilisation", "democracy")
HORIZONS = {"output": 1.0, "short": 1.0 / 6.0, "medium": 1.0 / 24.0, "long": 1.0 / 60.0}
HORIZON_NAMES = ("output", "short", "medium", "long", "impact")

# Voice saturates: once about this share of citizens is heard in a month, democracy is near full.
VOICE_SCALE = 0.05

RISKS = (
    "wellbeing_gini", "participation_rate", "participation_top_quintile", "participation_bottom_quintile",
    "participation_gap",
    "collective_share", "bonding_ties", "bridging_ties", "public_cost", "citizen_hours", "volunteer_hours",
    "mean_trust", "mean_efficacy", "mean_motivation", "mean_strain", "unmet_need", "initiatives", "ngos",
    "initiatives_taken_over", "approval", "budget", "value_for_money", "voice_share", "representation",
)


def dimension_outputs(model, tally) -> dict[str, float]:
    """This month's reading of the five dimensions and the risks."""
    n = max(tally.n_citizens, 1)
    hours_citizens = float(tally.hours.sum())
    hours_volunteers = float(tally.volunteer_hours.sum())
    productivity = model.p["coproduction_productivity"]
    delivery = float(model.staff.delivery_hours.sum()) + float(model.takeover_hours.sum())
    citizen_value = productivity * (hours_citizens + hours_volunteers)
    mobilisation = citizen_value / max(citizen_value + delivery, 1e-9)

    need_total = max(float(tally.need.sum()), 1e-9)
    precision = float((tally.need * model.fit).sum()) / need_total

    heard_total = tally.heard.sum(axis=1)
    voice = float(heard_total.sum() + 0.5 * model.partner_voice.sum())
    voice_share = voice / n
    top_rate = tally.quintile_heard[4] / max(tally.quintile_members[4], 1)
    bottom_rate = tally.quintile_heard[0] / max(tally.quintile_members[0], 1)
    representation = 1.0 if top_rate <= 0 else min(1.0, bottom_rate / top_rate)
    democracy = (1.0 - np.exp(-voice_share / VOICE_SCALE)) * (0.5 + 0.5 * representation)

    mean_wellbeing = float(tally.wellbeing.sum()) / n
    mean_efficacy = tally.efficacy_sum / n
    met_total = float(tally.met.sum())
    cost = model.politician.staff_spent + model.politician.grants + model.politician.takeover_cost
    top_taking_part = tally.quintile_participants[4] / max(tally.quintile_members[4], 1)
    bottom_taking_part = tally.quintile_participants[0] / max(tally.quintile_members[0], 1)
    return {
        "innovation": model.design.normalised_fitness,
        "wellbeing": 0.5 * (mean_wellbeing + mean_efficacy),
        "efficiency_precision": precision,
        "resource_mobilisation": mobilisation,
        "democracy": float(democracy),
        "wellbeing_gini": tally.wellbeing_gini,
        "participation_rate": float(tally.participants.sum()) / n,
        "participation_top_quintile": top_taking_part,
        "participation_bottom_quintile": bottom_taking_part,
        "participation_gap": top_taking_part - bottom_taking_part,
        "collective_share": float(tally.collective.sum()) / n,
        "bonding_ties": tally.bonding / n,
        "bridging_ties": tally.bridging / n,
        "public_cost": cost,
        "citizen_hours": hours_citizens,
        "volunteer_hours": hours_volunteers,
        "mean_trust": tally.trust_sum / n,
        "mean_efficacy": mean_efficacy,
        "mean_motivation": tally.motivation_sum / n,
        "mean_strain": float(model.staff.strain.mean()),
        "unmet_need": 1.0 - met_total / n,
        "initiatives": float(sum(ngo.initiatives for ngo in model.ngos)),
        "ngos": float(len(model.ngos)),
        "initiatives_taken_over": float(model.initiatives_taken_over),
        "approval": model.politician.approval,
        "budget": model.politician.budget,
        "value_for_money": met_total / max(cost, 1e-9),
        "voice_share": voice_share,
        "representation": representation,
    }


class HorizonTracker:
    """Keeps the moving averages that give each dimension its short, medium and long reading."""

    def __init__(self):
        self.values: dict[str, float] = {}
        self.baseline: dict[str, float] = {}

    def update(self, outputs: dict[str, float]) -> dict[str, float]:
        for dim in DIMENSIONS:
            x = outputs[dim]
            if dim not in self.baseline:
                self.baseline[dim] = x
                for horizon in HORIZONS:
                    self.values[f"{dim}_{horizon}"] = x
            for horizon, alpha in HORIZONS.items():
                key = f"{dim}_{horizon}"
                self.values[key] += alpha * (x - self.values[key])
            self.values[f"{dim}_impact"] = self.values[f"{dim}_long"] - self.baseline[dim]
        return self.values


def reporter_names() -> list[str]:
    """Every column the DataCollector records, in order."""
    return [f"{d}_{h}" for d in DIMENSIONS for h in HORIZON_NAMES] + list(RISKS)
