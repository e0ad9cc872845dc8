"""The public side's monthly learning and what shared work produces, per group.

- Service fit ('træfsikkerhed') improves with information taken up from co-commissioning,
  co-design and co-assessment, and drifts back as needs change (Osborne, Radnor & Strokosch 2016).
  Rule-bound administrations learn slowly (rigidity; Merton 1940 on bureaucratic rigidity), but
  their rules protect equal treatment: where they do not, services are redesigned towards those
  who are heard, and fit worsens for groups that are not (capture of the agenda by the
  well-resourced: Fung 2006; Verba, Schlozman & Brady 1995).
- Collective output needs a critical mass and loses a coordination cost that facilitation lowers
  (Oliver, Marwell & Teixeira 1985; Olson 1965); part of it reaches every member of the group.
- Group work is shared among co-participants (a club good); NGO volunteer work and services the
  municipality took over reach the whole group. Initiatives it took over it runs at public cost.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from coprod.agents import rules
from coprod.agents.rules import collective_success
from coprod.model.kernel_cache import drop_stale_kernels
from coprod.model.tally import Tally

# How much taken-up input (as a share of a group) saturates what the municipality can learn.
INFORMATION_SCALE = 0.02
# Share of a take-over's public running cost that reaches the group as service hours.
TAKEOVER_DELIVERY = 1.0
# Monthly public running cost of an initiative the municipality took over, in grants.
TAKEOVER_COST_IN_GRANTS = 1.5
# The fit professionals can reach from their own casework; what lies beyond it only citizens know
# (local knowledge: Ostrom 1996; Alford 2009). Assumption.
PROFESSIONAL_FIT_CEILING = 0.8


def member_mean(values: np.ndarray, tally: Tally) -> float:
    """The citizens' mean of a per-group quantity (each group weighted by its members)."""
    members = np.maximum(tally.members, 1)
    return float((values * members).sum() / members.sum())


def update_fit(fit: np.ndarray, tally: Tally, partner_voice: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    """Move each group's service fit towards 1 by what was learnt from its heard citizens, down for
    groups whose voice falls short of their numbers while others are heard, and back to base by
    drift. Returns the new fit and each group's gain from citizens' input (influence realised)."""
    heard = tally.heard
    members = np.maximum(tally.members, 1)
    voiced = heard[:, 0] + heard[:, 1] + 0.5 * heard[:, 3] + 0.5 * partner_voice
    information = voiced / members
    flexibility = 1.0 - p["rule_rigidity"]
    learning = flexibility * p["fit_learning_rate"] * (1.0 - np.exp(-information / INFORMATION_SCALE))
    gain = learning * (1.0 - fit)
    total_voice = voiced.sum()
    capture = np.zeros_like(fit)
    if total_voice > 0:
        population_share = members / members.sum()
        shortfall = np.maximum(0.0, population_share - voiced / total_voice) / population_share
        moved = member_mean(gain, tally)  # how far services moved towards the heard
        capture = flexibility * p["agenda_capture"] * moved * shortfall * fit
    # Professionals learn from their own cases too, within what they can see from the desk
    # (tacit knowledge: Lipsky 1980), so fit can rise without citizens' input, but not to the end.
    professional = p["professional_learning"] * p["frontline_autonomy"] * np.maximum(0.0, PROFESSIONAL_FIT_CEILING - fit)
    fit = fit + gain + professional - capture - p["fit_drift"] * (fit - p["base_fit"])
    return np.clip(fit, 0.0, 1.0), gain


def takeover_cost(takeovers: np.ndarray, p: dict) -> float:
    """This month's public running cost of the initiatives the municipality took over."""
    return TAKEOVER_COST_IN_GRANTS * p["initiative_grant"] * float(takeovers.sum())


def takeover_hours(takeovers: np.ndarray, paid: float, cost: float, p: dict) -> np.ndarray:
    """Service hours per group from the initiatives the municipality took over, cut in the share of
    their ``cost`` the budget did not pay."""
    return TAKEOVER_DELIVERY * takeovers * TAKEOVER_COST_IN_GRANTS * p["initiative_grant"] * min(1.0, paid / max(cost, 1e-12))


def shared_benefits(tally: Tally, facilitation_by_group: np.ndarray, ngo_hours: np.ndarray, p: dict):
    """Next month's benefits (as shares of need met) from this month's shared work.

    Returns (group_benefit, collective_member_benefit, collective_participant_benefit,
    ngo_benefit, collective_success_by_group).
    """
    productivity = p["coproduction_productivity"]
    members = np.maximum(tally.members, 1)
    share = tally.collective / members
    success = successes(share, facilitation_by_group, p["critical_mass"])
    coordination = 1.0 - p["coordination_cost"] * (1.0 - facilitation_by_group)
    collective_output = productivity * tally.deliver_hours_collective * success * coordination
    spill = p["collective_spillover"]
    member_benefit = spill * collective_output / np.maximum(tally.need_hours, 1e-9)
    participant_benefit = (1.0 - spill) * collective_output / np.maximum(tally.deliverers_need_hours_collective, 1e-9)

    group_share = np.divide(tally.deliverers_need_hours_group, tally.need_hours,
                            out=np.zeros_like(tally.need_hours), where=tally.need_hours > 0)
    group_success = successes(tally.participants / members, facilitation_by_group, rules.group_critical_mass(p["critical_mass"]))
    group_output = productivity * tally.deliver_hours_group * group_success * (0.5 + 0.5 * coordination)
    group_benefit = np.where(group_share > 0, group_output / np.maximum(tally.deliverers_need_hours_group, 1e-9), 0.0)
    ngo_benefit = ngo_hours / np.maximum(tally.need_hours, 1e-9)
    return (np.clip(group_benefit, 0, 1), np.clip(member_benefit, 0, 1), np.clip(participant_benefit, 0, 1),
            np.clip(ngo_benefit, 0, 1), success)


@njit(cache=True)
def successes(shares, facilitation, critical_mass):
    """``collective_success`` per group (compiled: a Python call per group was a tenth of a small run's month)."""
    out = np.empty(shares.shape[0])
    for g in range(shares.shape[0]):
        out[g] = collective_success(float(shares[g]), float(facilitation[g]), critical_mass)
    return out


# ``successes`` inlines the rules: recompile when they change.
drop_stale_kernels(successes, "municipality", [rules.__file__])
