"""The outcomes: five value dimensions read at five horizons, and the risks beside them.

Dimensions follow Brix, Krogstrup & Mortensen (2020) as summarised in docs/background.md. Each is
computed each month from what agents did (the output reading); the short, medium and long
readings are exponential moving averages over about 6, 24 and 60 months; impact is the long
reading minus the first month's output, the lasting change from where the municipality began.
"""

from __future__ import annotations

import numpy as np

from coprod.model.municipality import member_mean

DIMENSIONS = ("innovation", "wellbeing", "efficiency_precision", "resource_mobilisation", "democracy")
HORIZONS = {"output": 1.0, "short": 1.0 / 6.0, "medium": 1.0 / 24.0, "long": 1.0 / 60.0}
HORIZON_NAMES = ("output", "short", "medium", "long", "impact")
# Risks also read at the horizons (a single month of them is noisy at small sizes).
TRACKED_RISKS = ("participation_gap", "wellbeing_gini")

# Influence saturates: a member-weighted fit gain from citizens' input of about this much a month
# (what keeps well-fitted services fitted against drift) reads as substantial influence.
INFLUENCE_SCALE = 0.005

RISKS = (
    "wellbeing_gini", "participation_rate", "participation_top_quintile", "participation_bottom_quintile",
    "participation_gap", "individual_share", "group_share",
    "collective_share", "bonding_ties", "bridging_ties", "public_cost", "citizen_hours", "volunteer_hours",
    "volunteer_share",
    "mean_trust", "mean_efficacy", "empowerment", "mean_motivation", "mean_strain", "unmet_need", "initiatives", "ngos",
    "initiatives_taken_over", "approval", "budget", "value_for_money", "voice_share", "representation",
    "influence", "legitimacy", "proposals_adopted", "meeting_hours", "service_hours",
)


def dimension_outputs(model, tally) -> dict[str, float]:
    """This month's reading of the five dimensions and the risks, from what happened.

    - wellbeing: citizens' mean wellbeing (empowerment, their mean self-efficacy, is reported apart);
    - efficiency and precision: need met where need is (the need-weighted share of need met);
    - resource mobilisation: the share of need met that citizens' and volunteers' work produced
      (hours that produced nothing, e.g. collective effort below the critical mass, count nothing);
    - democracy: influence realised (services changed by citizens' input), inclusion (the poorest
      fifth heard as often as the richest) and legitimacy (trust in the public sector), a third each;
    - innovation: the position of the service design on its landscape.
    """
    n = max(tally.n_citizens, 1)
    hours_citizens = float(tally.hours.sum())
    hours_volunteers = float(tally.volunteer_hours.sum())
    met_need_hours = float(tally.met_need_hours.sum())
    mobilisation = float(tally.coproduced_need_hours.sum()) / max(met_need_hours, 1e-9)
    precision = met_need_hours / max(float(tally.need_hours.sum()), 1e-9)

    heard_total = tally.heard.sum(axis=1)
    voice_share = float(heard_total.sum()) / n
    top_rate = tally.quintile_heard[4] / max(tally.quintile_members[4], 1)
    bottom_rate = tally.quintile_heard[0] / max(tally.quintile_members[0], 1)
    # Nobody heard means nobody included; otherwise the poorest fifth's rate against the richest's.
    representation = 0.0 if top_rate + bottom_rate <= 0 else min(1.0, bottom_rate / max(top_rate, 1e-12))
    influence = 1.0 - np.exp(-member_mean(model.fit_gain, tally) / INFLUENCE_SCALE)
    legitimacy = tally.trust_sum / n
    democracy = (influence + representation + legitimacy) / 3.0

    mean_wellbeing = float(tally.wellbeing.sum()) / n
    mean_efficacy = tally.efficacy_sum / n
    met_total = float(tally.met.sum())
    cost = (model.politician.staff_spent + model.politician.grants + model.politician.takeover_cost
            + model.politician.reinvested)
    top_taking_part = tally.quintile_participants[4] / max(tally.quintile_members[4], 1)
    bottom_taking_part = tally.quintile_participants[0] / max(tally.quintile_members[0], 1)
    participants = float(tally.participants.sum())
    values = {
        "innovation": model.design.normalised_fitness,
        "wellbeing": mean_wellbeing,
        "efficiency_precision": precision,
        "resource_mobilisation": mobilisation,
        "democracy": float(democracy),
        "wellbeing_gini": tally.wellbeing_gini,
        "participation_rate": participants / n,
        "participation_top_quintile": top_taking_part,
        "participation_bottom_quintile": bottom_taking_part,
        "participation_gap": top_taking_part - bottom_taking_part,
        "individual_share": float(tally.individual.sum()) / n,
        "group_share": float(tally.group.sum()) / n,
        "collective_share": float(tally.collective.sum()) / n,
        "bonding_ties": tally.bonding / n,
        "bridging_ties": tally.bridging / n,
        "public_cost": cost,
        "citizen_hours": hours_citizens,
        "volunteer_hours": hours_volunteers,
        "volunteer_share": float(tally.volunteers.sum()) / n,
        "mean_trust": legitimacy,
        "mean_efficacy": mean_efficacy,
        "empowerment": mean_efficacy,
        "mean_motivation": tally.motivation_sum / n,
        "mean_strain": float(model.staff.strain.mean()),
        "unmet_need": 1.0 - met_total / n,
        "initiatives": float(model.civil_society.initiatives[model.civil_society.has_ngo].sum()),
        "ngos": float(len(model.ngos)),
        "initiatives_taken_over": float(model.initiatives_taken_over),
        "approval": model.politician.approval,
        "budget": model.politician.budget,
        "value_for_money": met_total / max(cost, 1e-9),
        "voice_share": voice_share,
        "representation": representation,
        "influence": float(influence),
        "legitimacy": legitimacy,
        "proposals_adopted": float(model.proposals_adopted),
        "meeting_hours": float(model.staff.meeting_hours.sum()),
        "service_hours": float(model.staff.service_hours.sum()),
    }
    # Plain floats: the DataCollector deep-copies every value each month, which is slow for NumPy scalars.
    return {name: float(value) for name, value in values.items()}


class HorizonTracker:
    """Keeps the moving averages that give each dimension its short, medium and long reading."""

    # Column names per reading, spelt once (formatting them every month was a third of the cost).
    _KEYS = {dim: ([(f"{dim}_{horizon}", alpha) for horizon, alpha in HORIZONS.items()], f"{dim}_long",
                   f"{dim}_impact") for dim in DIMENSIONS + TRACKED_RISKS}

    def __init__(self):
        self.values: dict[str, float] = {}
        self.baseline: dict[str, float] = {}

    def update(self, outputs: dict[str, float]) -> dict[str, float]:
        values = self.values
        for dim, (horizons, long_key, impact_key) in self._KEYS.items():
            x = outputs[dim]
            if dim not in self.baseline:
                self.baseline[dim] = x
                for key, _ in horizons:
                    values[key] = x
            for key, alpha in horizons:
                values[key] += alpha * (x - values[key])
            values[impact_key] = values[long_key] - self.baseline[dim]
        return values


def reporter_names() -> list[str]:
    """Every column the DataCollector records, in order."""
    return ([f"{d}_{h}" for d in DIMENSIONS for h in HORIZON_NAMES] + list(RISKS)
            + [f"{r}_{h}" for r in TRACKED_RISKS for h in HORIZON_NAMES if h != "output"])
