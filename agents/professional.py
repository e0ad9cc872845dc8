"""The frontline professional: finite hours split between delivering, facilitating and reporting.

The staff budget buys working hours at every level (a caseload's budget pays its posts, and more
budget is more posts; Model 2 capped them at one professional's capacity, so money above it bought
nothing), and strain-related absence loses hours the budget still pays for. Output targets claim
reporting time and count delivery (Hood 1991); co-production asks for facilitation. Role strain
comes from the demands staff actually carry: when what the targets count and what co-production asks
cannot both fit in the hours there are, the professional is under role conflict and overload (Kahn
et al. 1964; Mortensen, Brix & Krogstrup 2020), which costs hours (absence) and facilitation
quality. A well-staffed hybrid with light targets need not strain. Discretion has costs too (Lipsky
1980): under output targets staff free to choose cream the easy cases, and professionals' own
judgements differ between caseloads.

Each ``Professional`` is a Mesa agent serving one caseload. The team's numbers live in one
``Staff`` ledger (an array per quantity, an entry per caseload) so that the rule
``plan_month`` runs once for the whole team, as fast for 10^5 professionals as for 10; each
agent reads its own entries.
"""

from __future__ import annotations

from typing import NamedTuple

import mesa
import numpy as np
from numba import njit
from numba.extending import register_jitable

from coprod.agents import rules
from coprod.agents.rules import clip01
from coprod.core.kernel_cache import drop_stale_kernels
from coprod.core.parameters import parameter_tuple, parameter_values
from coprod.core.streams import PUBLIC_JUDGEMENT, public_draws

# Hours of facilitation a taking-part citizen asks for in a month.
FACILITATION_PER_PARTICIPANT = 0.5
# Share of facilitation time spent inviting (the rest supports those who take part).
INVITING_SHARE = 0.4
# Share of paid hours that output reporting takes at full target pressure.
REPORTING_SHARE = 0.25
# Professional hours a planning participant (co-commissioning, co-design) takes in meetings each
# month: voice costs delivery time (Bovaird 2007; Sørensen & Torfing 2018 on the costs of
# collaborative governance). Assumption: a monthly two-hour meeting of about four citizens.
MEETING_HOURS_PER_PLANNER = 0.5
# Extra service a fully standardised production gets from a paid hour (routines, no tailoring):
# NPM's promise of cheaper output (Hood 1991); evidence on its size is mixed (Boyne 2003).
STANDARDISATION_GAIN = 0.3
# Extra service per delivered hour at full output-target pressure: targets raise throughput on what
# is counted (Boyne & Chen 2007 on English local authorities' target regime); assumption for size.
TARGET_THROUGHPUT_GAIN = 0.3
# Share of discretionary hours that full outreach takes from delivery, and the cost of an outreach
# visit (a home visit, a call to someone who does not answer letters) in ordinary invitations;
# assumptions. Outreach is paid from the professional's own hours, like everything else.
OUTREACH_TIME_SHARE = 0.2
OUTREACH_VISIT_COST = 2.0

class PlanParameters(NamedTuple):
    """The model parameters ``plan_month`` reads (a tuple, so the compiled rule can read it too)."""
    strain_absence: float
    output_target_pressure: float
    facilitation_orientation: float
    outreach: float
    invitation_hours: float
    facilitation_skill: float
    standardisation: float
    strain_sensitivity: float
    strain_recovery: float
    frontline_autonomy: float
    creaming_loss: float
    judgement_spread: float

    of = classmethod(parameter_tuple)
    values = classmethod(parameter_values)


STAFF_FIELDS = ("strain", "paid_hours", "reporting_hours", "facilitation_hours", "meeting_hours", "outreach_hours",
                "delivery_hours", "service_hours", "invite_rate", "outreach_rate", "facilitation", "service_share",
                "absent_hours")


@register_jitable
def plan_month(p, strain, caseload_size, hours_budget, participants, planners, need_hours, substitution,
               low_resource_share, provider_quality, judgement):
    """One month's split of one caseload's staff hours (a rule on numbers, like the citizens' rules).

    ``hours_budget`` is the staff budget behind the caseload (it pays posts, so every extra hour of
    budget is an extra working hour), ``participants`` last month's co-producers in it and
    ``planners`` those of them in planning phases, ``need_hours`` the hours that would meet its
    citizens' needs, and ``substitution`` the share of delivery the savings target expects
    citizens to take over (professionals are told to recruit co-deliverers instead).
    ``low_resource_share`` is the caseload's mean outreach weight (``rules.outreach_weight``),
    ``provider_quality`` the provider's service per delivered hour and ``judgement`` its
    professionals' own bent, in [-1, 1] (how their discretion departs from the common standard).
    ``p`` is a ``PlanParameters``.
    Returns the new values of ``STAFF_FIELDS`` in order.
    """
    paid = hours_budget
    working = paid * (1.0 - p.strain_absence * strain)  # absence: posts paid, hours lost
    reporting = REPORTING_SHARE * p.output_target_pressure * working
    discretionary = working - reporting
    orientation = min(1.0, max(0.0, p.facilitation_orientation + 0.5 * substitution))
    facilitating = discretionary * orientation
    meetings = min(MEETING_HOURS_PER_PLANNER * planners, discretionary - facilitating)
    outreaching = min(OUTREACH_TIME_SHARE * p.outreach * discretionary, discretionary - facilitating - meetings)
    delivering = discretionary - facilitating - meetings - outreaching

    inviting = INVITING_SHARE * facilitating
    invite_rate = clip01(inviting / p.invitation_hours / max(caseload_size, 1.0))
    # Expected outreach visits = outreach_rate x the caseload's summed outreach weights.
    visits = outreaching / (OUTREACH_VISIT_COST * p.invitation_hours)
    outreach_rate = clip01(visits / max(low_resource_share * caseload_size, 1e-9))
    demand = FACILITATION_PER_PARTICIPANT * participants
    coverage = min(1.0, (facilitating - inviting) / max(demand, 1e-12)) if demand > 0 else 1.0
    facilitation = p.facilitation_skill * coverage * (1.0 - 0.5 * strain)
    per_hour = ((1.0 + STANDARDISATION_GAIN * p.standardisation)
                * (1.0 + TARGET_THROUGHPUT_GAIN * p.output_target_pressure))
    # Discretion's costs (Lipsky 1980): staff free to choose who cannot meet targets that count
    # cases, not need, cope by serving the easy cases first (creaming; strain measures how far the
    # demands exceed the hours), and each caseload's service follows its professionals' own
    # judgement (inconsistency: like cases treated unlike).
    creamed = p.creaming_loss * p.frontline_autonomy * p.output_target_pressure * strain
    judged = 1.0 + p.judgement_spread * p.frontline_autonomy * judgement
    service = delivering * per_hour * provider_quality * judged * (1.0 - creamed)
    service_share = service / max(need_hours, 1e-9)

    # Role strain from the demands actually carried (Kahn et al. 1964): output targets claim the
    # hours that meeting the caseload's counted need takes; co-production claims the facilitation
    # the paradigm asks, the support its co-producers ask and their planning meetings. What does not
    # fit in the discretionary hours is conflict and overload; demands that fit do not strain.
    room = max(discretionary, 1e-9)
    targets = p.output_target_pressure * need_hours / room
    coproduction = orientation + (demand + MEETING_HOURS_PER_PLANNER * planners) / room
    excess = max(0.0, targets + coproduction - 1.0)
    driven = clip01(p.strain_sensitivity * excess)
    strain = strain + p.strain_recovery * (driven - strain)
    return (strain, paid, reporting, facilitating, meetings, outreaching, delivering, service, invite_rate,
            outreach_rate, facilitation, service_share, paid - working)


@njit(cache=True)
def plan_team_month(parameters, ledger, caseload_size, staff_budget, budget_weight, n_citizens, participants, planners,
                    need_hours, substitution, low_resource_share, provider_quality, judgement):
    """``plan_month`` for every caseload, written into ``ledger``'s column (``STAFF_FIELDS`` order;
    row 0, strain, is also read). A caseload's hours budget is its share of the staff budget, by its
    size and its provider's budget weight."""
    p = PlanParameters(*parameters)  # a plain tuple at the boundary (parameters.parameter_values)
    for c in range(ledger.shape[1]):
        hours_budget = staff_budget * caseload_size[c] * budget_weight[c] / n_citizens
        values = plan_month(p, ledger[0, c], caseload_size[c], hours_budget, participants[c], planners[c],
                            need_hours[c], substitution, low_resource_share[c], provider_quality[c], judgement[c])
        for k in range(len(values)):
            ledger[k, c] = values[k]


# ``plan_team_month`` inlines the rules' ``clip01``: recompile when the rules change.
drop_stale_kernels(plan_team_month, "professional", [rules.__file__])


class Staff:
    """The team's ledger: one array per quantity in ``STAFF_FIELDS``, one entry per caseload (the rows
    of one table, which the compiled month writes in place)."""

    def __init__(self, caseload_sizes: np.ndarray, seed: int = 0):
        self.caseload_size = np.asarray(caseload_sizes, dtype=np.float64)
        # Each caseload's professionals have their own bent, uniform in [-1, 1], drawn once from the
        # public side's counter-based stream (so it shifts no other draw), and centred, so that bents
        # differ without adding up to a bias of the whole staff (inconsistency, not bias).
        bent = 2.0 * public_draws(seed, 0, PUBLIC_JUDGEMENT, len(caseload_sizes)) - 1.0
        self.judgement = bent - bent.mean()
        self._ledger = np.zeros((len(STAFF_FIELDS), len(caseload_sizes)))
        for row, name in enumerate(STAFF_FIELDS):
            setattr(self, name, self._ledger[row])

    def plan_month(self, p, staff_budget, budget_weight, n_citizens, participants, planners, need_hours,
                   substitution, low_resource_share, provider_quality) -> None:
        """The team's month (``plan_team_month``)."""
        plan_team_month(PlanParameters.values(p), self._ledger, self.caseload_size, float(staff_budget),
                               budget_weight, float(n_citizens), participants, planners, need_hours,
                               float(substitution), low_resource_share, provider_quality, self.judgement)


def _ledger_entry(name: str):
    def read(self) -> float:
        return float(getattr(self.model.staff, name)[self.caseload])
    read.__name__ = name
    return property(read, doc=f"This professional's {name.replace('_', ' ')} (from the staff ledger).")


class Professional(mesa.Agent):
    """One professional serving a contiguous caseload of citizens."""

    def __init__(self, model, caseload: int, caseload_size: int):
        super().__init__(model)
        self.caseload = caseload
        self.caseload_size = caseload_size

    strain = _ledger_entry("strain")
    paid_hours = _ledger_entry("paid_hours")
    reporting_hours = _ledger_entry("reporting_hours")
    facilitation_hours = _ledger_entry("facilitation_hours")
    meeting_hours = _ledger_entry("meeting_hours")
    outreach_hours = _ledger_entry("outreach_hours")
    outreach_rate = _ledger_entry("outreach_rate")
    delivery_hours = _ledger_entry("delivery_hours")
    service_hours = _ledger_entry("service_hours")
    invite_rate = _ledger_entry("invite_rate")
    facilitation = _ledger_entry("facilitation")
    service_share = _ledger_entry("service_share")
    absent_hours = _ledger_entry("absent_hours")
