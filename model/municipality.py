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

import math
from typing import NamedTuple

import numpy as np
from numba import njit
from numba.extending import register_jitable

from coprod.agents import rules
from coprod.agents.rules import clip01, collective_success
from coprod.core.kernel_cache import drop_stale_kernels
from coprod.core.parameters import parameter_tuple, parameter_values
from coprod.model.tally import Tally

# How much taken-up input (as a share of a group) saturates what the municipality can learn.
INFORMATION_SCALE = 0.02
# Share of a take-over's public running cost that reaches the group as service hours.
TAKEOVER_DELIVERY = 1.0
# Monthly public running cost of an initiative the municipality took over, in grants.
TAKEOVER_COST_IN_GRANTS = 1.5
# Under provider choice, the monthly share of the gap by which budgets follow users' satisfaction
# (money follows the user; Le Grand 2007) and by which weaker providers close on the best one
# (competition; Hirschman 1970 on exit). Assumptions.
CHOICE_BUDGET_SPEED = 0.1
COMPETITION_LEARNING = 0.02
# The fit professionals can reach from their own casework; what lies beyond it only citizens know
# (local knowledge: Ostrom 1996; Alford 2009). Assumption.
PROFESSIONAL_FIT_CEILING = 0.8


@register_jitable
def member_mean(values, members):
    """The citizens' mean of a per-group quantity (each group weighted by its members, at least one)."""
    weighted = 0.0
    total = 0.0
    for g in range(values.shape[0]):
        weighted += values[g] * max(members[g], 1.0)
        total += max(members[g], 1.0)
    return weighted / total


class FitParameters(NamedTuple):
    """The model parameters ``update_fit`` reads (a tuple, so the compiled rule can read it)."""
    rule_rigidity: float
    fit_learning_rate: float
    agenda_capture: float
    professional_learning: float
    frontline_autonomy: float
    fit_drift: float
    base_fit: float

    of = classmethod(parameter_tuple)
    values = classmethod(parameter_values)


def update_fit(fit: np.ndarray, tally: Tally, partner_voice: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    """Move each group's service fit towards 1 by what was learnt from its heard citizens, down for
    groups whose voice falls short of their numbers while others are heard, and back to base by
    drift. Returns the new fit and each group's gain from citizens' input (influence realised)."""
    return fit_month(fit, tally.heard, tally.members, partner_voice,
                     FitParameters.values(p))


@njit(cache=True)
def fit_month(fit, heard, members, partner_voice, parameters):
    """``update_fit`` over the groups' arrays (compiled: as NumPy it was some thirty calls a month)."""
    q = FitParameters(*parameters)  # a plain tuple at the boundary (parameters.parameter_values)
    n_groups = fit.shape[0]
    voiced = np.empty(n_groups)
    gain = np.empty(n_groups)
    flexibility = 1.0 - q.rule_rigidity
    total_voice = 0.0
    for g in range(n_groups):
        voiced[g] = heard[g, 0] + heard[g, 1] + 0.5 * heard[g, 3] + 0.5 * partner_voice[g]
        information = voiced[g] / max(members[g], 1.0)
        learning = flexibility * q.fit_learning_rate * (1.0 - math.exp(-information / INFORMATION_SCALE))
        gain[g] = learning * (1.0 - fit[g])
        total_voice += voiced[g]
    # Capture: where services moved towards the heard, groups heard less than their numbers lose fit.
    moved = member_mean(gain, members) if total_voice > 0 else 0.0
    population = 0.0
    for g in range(n_groups):
        population += max(members[g], 1.0)
    new_fit = np.empty(n_groups)
    for g in range(n_groups):
        capture = 0.0
        if total_voice > 0:
            population_share = max(members[g], 1.0) / population
            shortfall = max(0.0, population_share - voiced[g] / total_voice) / population_share
            capture = flexibility * q.agenda_capture * moved * shortfall * fit[g]
        # Professionals learn from their own cases too, within what they can see from the desk
        # (tacit knowledge: Lipsky 1980), so fit can rise without citizens' input, but not to the end.
        professional = q.professional_learning * q.frontline_autonomy * max(0.0, PROFESSIONAL_FIT_CEILING - fit[g])
        moved_fit = fit[g] + gain[g] + professional - capture - q.fit_drift * (fit[g] - q.base_fit)
        new_fit[g] = clip01(moved_fit)
    return new_fit, gain


@njit(cache=True)
def providers_compete(budget_weight, provider_quality, caseload_met, caseload_size, choice):
    """Provider choice (NPM): budgets follow users' satisfaction, and weaker providers close on the
    best (Le Grand 2007; Hirschman 1970). Updates ``budget_weight`` and ``provider_quality`` in place."""
    n = budget_weight.shape[0]
    satisfaction = np.empty(n)
    satisfied = 0.0
    users = 0.0
    for c in range(n):
        satisfaction[c] = caseload_met[c] / max(caseload_size[c], 1.0)
        satisfied += satisfaction[c] * caseload_size[c]
        users += caseload_size[c]
    mean = max(satisfied / users, 1e-9)
    speed = CHOICE_BUDGET_SPEED * choice
    weighted = 0.0
    for c in range(n):
        budget_weight[c] += speed * (satisfaction[c] / mean - budget_weight[c])
        weighted += budget_weight[c] * caseload_size[c]
    best = provider_quality.max()
    learning = COMPETITION_LEARNING * choice
    for c in range(n):
        budget_weight[c] *= users / weighted
        provider_quality[c] += learning * (best - provider_quality[c])


@njit(cache=True)
def facilitation_by_group(indptr, caseloads, shares, facilitation):
    """Mean facilitation quality citizens of each group receive (groups may span caseloads): each
    group's row of shares of its citizens per caseload (a sparse matrix's rows) times the caseloads'
    facilitation, summed in the row's order."""
    n_groups = indptr.shape[0] - 1
    out = np.zeros(n_groups)
    for g in range(n_groups):
        total = 0.0
        for k in range(indptr[g], indptr[g + 1]):
            total += shares[k] * facilitation[caseloads[k]]
        out[g] = total
    return out


def takeover_cost(takeovers: np.ndarray, p: dict) -> float:
    """This month's public running cost of the initiatives the municipality took over."""
    return TAKEOVER_COST_IN_GRANTS * p["initiative_grant"] * float(takeovers.sum())


def takeover_hours(takeovers: np.ndarray, paid: float, cost: float, p: dict) -> np.ndarray:
    """Service hours per group from the initiatives the municipality took over, cut in the share of
    their ``cost`` the budget did not pay."""
    if cost <= 0.0:  # nothing taken over (most runs, most months): the formula gives zeros
        return np.zeros(takeovers.shape[0])
    return (TAKEOVER_DELIVERY * takeovers * TAKEOVER_COST_IN_GRANTS * p["initiative_grant"]
            * min(1.0, paid / max(cost, 1e-12)))


class BenefitParameters(NamedTuple):
    """The model parameters ``shared_benefits`` reads."""
    coproduction_productivity: float
    critical_mass: float
    coordination_cost: float
    collective_spillover: float

    of = classmethod(parameter_tuple)
    values = classmethod(parameter_values)


def shared_benefits(tally: Tally, facilitation_by_group: np.ndarray, ngo_hours: np.ndarray, p: dict):
    """Next month's benefits (as shares of need met) from this month's shared work.

    Returns (group_benefit, collective_member_benefit, collective_participant_benefit,
    ngo_benefit, collective_success_by_group).
    """
    return benefits_month(tally.members, tally.need_hours, tally.participants,
                          tally.collective, tally.deliver_hours_group, tally.deliver_hours_collective,
                          tally.deliverers_need_hours_group, tally.deliverers_need_hours_collective,
                          facilitation_by_group, ngo_hours, BenefitParameters.values(p))


@njit(cache=True)
def benefits_month(members, need_hours, participants, collective, deliver_hours_group, deliver_hours_collective,
                   deliverers_need_hours_group, deliverers_need_hours_collective, facilitation, ngo_hours,
                   parameters):
    """``shared_benefits`` over the groups' arrays, one group at a time."""
    q = BenefitParameters(*parameters)  # a plain tuple at the boundary (parameters.parameter_values)
    n_groups = members.shape[0]
    group_benefit = np.zeros(n_groups)
    member_benefit = np.empty(n_groups)
    participant_benefit = np.empty(n_groups)
    ngo_benefit = np.empty(n_groups)
    success = np.empty(n_groups)
    spill = q.collective_spillover
    for g in range(n_groups):
        size = max(members[g], 1.0)
        success[g] = collective_success(collective[g] / size, facilitation[g], q.critical_mass)
        coordination = 1.0 - q.coordination_cost * (1.0 - facilitation[g])
        collective_output = q.coproduction_productivity * deliver_hours_collective[g] * success[g] * coordination
        member_benefit[g] = clip01(spill * collective_output / max(need_hours[g], 1e-9))
        participant_benefit[g] = clip01((1.0 - spill) * collective_output
                                        / max(deliverers_need_hours_collective[g], 1e-9))
        # Group work is a club good: only the group's group-level co-deliverers share it.
        if need_hours[g] > 0 and deliverers_need_hours_group[g] / need_hours[g] > 0:
            group_success = collective_success(participants[g] / size, facilitation[g],
                                               rules.group_critical_mass(q.critical_mass))
            group_output = (q.coproduction_productivity * deliver_hours_group[g] * group_success
                            * (0.5 + 0.5 * coordination))
            group_benefit[g] = clip01(group_output / max(deliverers_need_hours_group[g], 1e-9))
        ngo_benefit[g] = clip01(ngo_hours[g] / max(need_hours[g], 1e-9))
    return group_benefit, member_benefit, participant_benefit, ngo_benefit, success


# The kernels inline the rules: recompile when they change.
drop_stale_kernels(benefits_month, "municipality", [rules.__file__])
