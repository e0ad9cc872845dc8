"""Mechanisms at model level: switching a mechanism's lever moves what it should, in the model.

Each comparison holds everything else fixed and, where the effect is noisy, averages a few seeds.
The tests check directions, never values, so recalibration does not break them but removing or
reversing a mechanism does.
"""

from __future__ import annotations

import numpy as np

from coprod.model.model import CoProductionModel
from coprod.model.network import build_network
from tests.conftest import mean_over_seeds, run_small


def test_homophily_sets_the_share_of_bonding_ties():
    group_of = np.repeat(np.arange(10), 300).astype(np.int32)
    shares = {}
    for h in (0.0, 0.5, 0.95):
        net = build_network(group_of, 10, 8, h, seed=3)
        shares[h] = net.bonding.mean()
    assert abs(shares[0.0] - 0.1) < 0.03  # chance level with ten groups
    assert shares[0.0] < shares[0.5] < shares[0.95]
    assert shares[0.95] > 0.9


def test_network_is_undirected_without_self_ties():
    group_of = np.repeat(np.arange(5), 100).astype(np.int32)
    net = build_network(group_of, 5, 8, 0.7, seed=1)
    pairs = set()
    for i in range(500):
        for j in net.indices[net.indptr[i]:net.indptr[i + 1]]:
            assert i != j
            pairs.add((i, int(j)))
    assert all((j, i) in pairs for i, j in pairs)


def test_contradictory_demands_strain_professionals():
    calm = mean_over_seeds("mean_strain", paradigm="npg", output_target_pressure=0.1, facilitation_orientation=0.4)
    torn = mean_over_seeds("mean_strain", paradigm="npg", output_target_pressure=0.9, facilitation_orientation=0.4)
    assert torn > calm + 0.1


def test_no_strain_without_sensitivity():
    model = run_small(steps=12, paradigm="hybrid", strain_sensitivity=0.0)
    assert max(p.strain for p in model.professionals) == 0.0


def test_savings_cut_staff_hours_and_leave_need_unmet():
    full = [run_small(steps=24, seed=s, paradigm="hybrid") for s in (1, 2, 3)]
    cut = [run_small(steps=24, seed=s, paradigm="hybrid", savings_target=0.4) for s in (1, 2, 3)]
    assert np.mean([m.politician.staff_spent for m in cut]) < 0.8 * np.mean([m.politician.staff_spent for m in full])
    assert np.mean([m.outcomes["unmet_need"] for m in cut]) > np.mean([m.outcomes["unmet_need"] for m in full])


def volunteers_motivation(model):
    return np.mean([c.motivation for c in model.population.citizens if c.is_volunteer] or [np.nan])


def test_takeover_removes_initiatives_and_crowds_out_volunteers():
    common = dict(paradigm="npg", cp_level="collective", n_ngos=8, takeover_rate=0.3, steps=36)
    taken = [run_small(seed=s, initiative_response="takeover", **common) for s in (1, 2, 3)]
    kept = [run_small(seed=s, initiative_response="support", **common) for s in (1, 2, 3)]
    assert sum(m.initiatives_taken_over for m in taken) > 0
    assert sum(m.initiatives_taken_over for m in kept) == 0
    assert np.mean([m.outcomes["initiatives"] for m in taken]) < np.mean([m.outcomes["initiatives"] for m in kept])
    assert np.nanmean([volunteers_motivation(m) for m in taken]) < np.nanmean([volunteers_motivation(m) for m in kept])


def test_contracting_crowds_out_volunteer_motivation():
    common = dict(paradigm="npg", cp_level="collective", n_ngos=8, contract_control=1.0, steps=36)
    supplier = [run_small(seed=s, ngo_relation="supplier", **common) for s in (1, 2, 3)]
    partner = [run_small(seed=s, ngo_relation="partner", **common) for s in (1, 2, 3)]
    assert (np.nanmean([volunteers_motivation(m) for m in supplier])
            < np.nanmean([volunteers_motivation(m) for m in partner]))


def test_power_sharing_lets_citizens_be_heard():
    weak = mean_over_seeds("voice_share", paradigm="npg", power_sharing="descriptive")
    strong = mean_over_seeds("voice_share", paradigm="npg", power_sharing="transformative")
    assert strong > 2 * weak
    assert mean_over_seeds("democracy_output", paradigm="npg", power_sharing="transformative") > \
        mean_over_seeds("democracy_output", paradigm="npg", power_sharing="descriptive")


def test_outreach_brings_in_the_low_resourced():
    none = mean_over_seeds("participation_bottom_quintile", paradigm="npg", outreach=0.0)
    lots = mean_over_seeds("participation_bottom_quintile", paradigm="npg", outreach=1.0)
    assert lots > none


def test_collective_action_fails_below_critical_mass():
    easy = [run_small(steps=24, seed=s, paradigm="npg", cp_level="collective", critical_mass=0.02) for s in (1, 2)]
    hard = [run_small(steps=24, seed=s, paradigm="npg", cp_level="collective", critical_mass=0.9) for s in (1, 2)]
    assert np.mean([m.collective_member_benefit.mean() for m in easy]) > \
        10 * np.mean([m.collective_member_benefit.mean() for m in hard]) + 1e-6


def test_collective_work_builds_bridging_ties_individual_work_does_not():
    collective = run_small(steps=24, paradigm="npg", cp_level="collective", critical_mass=0.02, homophily=0.3)
    individual = run_small(steps=24, paradigm="npg", cp_level="individual", homophily=0.3, n_ngos=0)
    assert collective.outcomes["bridging_ties"] > 0
    assert individual.outcomes["bridging_ties"] == 0


def test_heard_groups_drive_innovation_and_fit():
    open_design = [run_small(steps=24, seed=s, paradigm="npg", professional_search=0, landscape_turbulence=0.0)
                   for s in (1, 2, 3)]
    closed = [run_small(steps=24, seed=s, paradigm="npg", professional_search=0, landscape_turbulence=0.0,
                        phase_design=False, phase_commission=False) for s in (1, 2, 3)]
    gain_open = np.mean([m.design.normalised_fitness for m in open_design])
    gain_closed = np.mean([m.design.normalised_fitness for m in closed])
    assert gain_open > gain_closed
    assert np.mean([m.fit.mean() for m in open_design]) > np.mean([m.fit.mean() for m in closed])


def test_bigger_budget_meets_more_need():
    poor = mean_over_seeds("unmet_need", paradigm="npm", budget_per_citizen=0.6)
    rich = mean_over_seeds("unmet_need", paradigm="npm", budget_per_citizen=2.5)
    assert rich < poor


def test_frontline_autonomy_targets_invitations_at_need():
    def invited_need(autonomy):
        m = run_small(steps=6, paradigm="npg", frontline_autonomy=autonomy, output_target_pressure=0.0)
        invited = [c.need for c in m.population.citizens if c.invited]
        return np.mean(invited)
    assert invited_need(1.0) > invited_need(0.0)


def test_elections_answer_low_approval_with_budget():
    model = run_small(steps=13, paradigm="npm", election_period=6, approval_threshold=1.0, budget_responsiveness=0.2)
    assert model.politician.elections == 2
    assert model.politician.budget_factor > 1.4
    unmoved = run_small(steps=13, paradigm="npm", election_period=6, approval_threshold=0.0)
    assert unmoved.politician.budget_factor == 1.0


# --- Model 2.0: trade-offs between paradigms' mechanisms ----------------------------------------------
def staff_total(model, field):
    return float(getattr(model.staff, field).sum())


def test_outreach_is_paid_from_delivery_hours():
    none = run_small(steps=6, paradigm="npg", outreach=0.0)
    lots = run_small(steps=6, paradigm="npg", outreach=1.0)
    assert staff_total(lots, "outreach_hours") > 0 == staff_total(none, "outreach_hours")
    assert staff_total(lots, "delivery_hours") < staff_total(none, "delivery_hours")


def test_planning_meetings_take_professional_hours_from_delivery():
    common = dict(steps=12, paradigm="npg", phase_deliver=True, phase_assess=False)
    planning = run_small(phase_commission=True, phase_design=True, **common)
    delivery_only = run_small(phase_commission=False, phase_design=False, **common)
    assert staff_total(planning, "meeting_hours") > 0 == staff_total(delivery_only, "meeting_hours")
    assert staff_total(planning, "delivery_hours") < staff_total(delivery_only, "delivery_hours")


def test_standardisation_buys_service_hours_and_costs_fit_for_unusual_need():
    tailored = run_small(steps=6, paradigm="npm", standardisation=0.0)
    standard = run_small(steps=6, paradigm="npm", standardisation=1.0)
    assert staff_total(standard, "service_hours") > 1.2 * staff_total(tailored, "service_hours")

    def unusual_met_per_service_share(model):
        unusual = [c.met / max(model.staff.service_share[c.caseload], 1e-9) for c in model.population.citizens
                   if abs(c.need - 0.5) > 0.35]
        return np.mean(unusual)
    assert unusual_met_per_service_share(standard) < unusual_met_per_service_share(tailored)


def test_output_targets_raise_throughput_but_take_reporting_hours():
    loose = run_small(steps=6, paradigm="npm", output_target_pressure=0.0, strain_sensitivity=0.0)
    tight = run_small(steps=6, paradigm="npm", output_target_pressure=1.0, strain_sensitivity=0.0)
    assert staff_total(tight, "reporting_hours") > 0 == staff_total(loose, "reporting_hours")

    def per_hour(model):
        return staff_total(model, "service_hours") / staff_total(model, "delivery_hours")

    assert per_hour(tight) > per_hour(loose)


def test_provider_choice_moves_budgets_to_satisfying_providers_and_lifts_the_weak():
    assigned = run_small(steps=24, paradigm="npm", provider_choice=0.0, provider_quality_spread=0.2)
    chosen = run_small(steps=24, paradigm="npm", provider_choice=1.0, provider_quality_spread=0.2)
    assert np.all(assigned.budget_weight == 1.0)
    assert chosen.budget_weight.std() > 0.01
    assert chosen.provider_quality.std() < assigned.provider_quality.std()
    # Money followed satisfaction: the caseloads that got more budget met more need last month.
    satisfaction = chosen.last_tally.caseload_met / chosen.staff.caseload_size
    assert np.corrcoef(chosen.budget_weight, satisfaction)[0, 1] > 0


def test_rigid_rules_slow_learning_and_prevent_capture():
    common = dict(steps=24, paradigm="npg", process_openness=0.0, professional_learning=0.0, n_groups=10,
                  group_resource_spread=1.0)
    flexible = [run_small(seed=s, rule_rigidity=0.0, **common) for s in (1, 2)]
    rigid = [run_small(seed=s, rule_rigidity=1.0, **common) for s in (1, 2)]
    assert np.mean([m.fit.max() for m in flexible]) > np.mean([m.fit.max() for m in rigid])
    # Fully rigid: no learning from input and no capture, so fit stays exactly at its base.
    assert all(np.allclose(m.fit, m.p["base_fit"]) for m in rigid)
    # Flexible and closed: the unheard groups fall below where they began.
    assert np.mean([m.fit.min() for m in flexible]) < flexible[0].p["base_fit"]


def test_capture_is_what_lowers_the_unheard_groups_fit():
    common = dict(steps=24, paradigm="npg", process_openness=0.0, professional_learning=0.0, group_resource_spread=1.0)
    captured = run_small(agenda_capture=3.0, **common)
    uncaptured = run_small(agenda_capture=0.0, **common)
    assert captured.fit.min() < uncaptured.fit.min()
    assert uncaptured.fit.min() >= uncaptured.p["base_fit"] - 1e-12


def test_individual_co_delivery_never_exceeds_own_need():
    model = run_small(steps=12, paradigm="traditional", coproduction_productivity=0.5)
    for c in model.population.citizens:
        if c.mode == 1 and c.phase == 2:
            assert c.hours * 0.5 <= c.need_hours + 1e-9


def test_democracy_counts_only_influence_that_changed_something():
    """Voice with nothing left to change (fit already perfect) is not influence."""
    room = run_small(steps=12, paradigm="npg", base_fit=0.5)
    full = run_small(steps=12, paradigm="npg", base_fit=1.0)
    assert full.outcomes["voice_share"] > 0
    assert full.outcomes["influence"] == 0.0 < room.outcomes["influence"]


def test_resource_mobilisation_counts_only_hours_that_produced_value():
    """Collective work far below a critical mass gives hours but meets no need."""
    model = run_small(steps=12, paradigm="npg", cp_level="collective", critical_mass=0.9, n_ngos=0,
                      phase_commission=False, phase_design=False, phase_assess=False, solidary_taste=2.0,
                      coordination_cost=1.0, facilitation_skill=0.0)
    collective_hours = sum(c.hours for c in model.population.citizens if c.mode == 3)
    assert collective_hours > 0
    produced = float(model.last_tally.coproduced_need_hours.sum())
    individual_value = sum(0.5 * c.hours for c in model.population.citizens if c.mode == 1 and c.phase == 2)
    # What was produced is (almost) all individual co-delivery; collective hours added under 1% of their worth.
    assert produced - individual_value < 0.01 * 0.5 * collective_hours


def test_civic_propensity_makes_the_same_citizens_take_part_year_after_year():
    """Citizens who differ and persist (Mohan & Bulloch 2012): with a latent propensity, who took
    part in one year predicts who takes part the next."""
    def year_to_year_correlation(spread):
        correlations = []
        for seed in (1, 2):
            model = CoProductionModel(seed=seed, engine="numba", n_citizens=1000, paradigm="npg",
                                      propensity_spread=spread, weight_habit=0.0)
            years = np.zeros((2, 1000))
            for month in range(36):
                model.step()
                if month >= 12:
                    years[(month - 12) // 12] += model.population.citizen_values("mode") > 0
            correlations.append(np.corrcoef(years[0], years[1])[0, 1])
        return np.mean(correlations)
    assert year_to_year_correlation(2.0) > year_to_year_correlation(0.0) + 0.1


def test_unmet_need_draws_citizens_into_volunteering():
    pulled = mean_over_seeds("volunteer_share", steps=24, paradigm="npg", savings_target=0.5, volunteer_need_pull=4.0)
    unmoved = mean_over_seeds("volunteer_share", steps=24, paradigm="npg", savings_target=0.5, volunteer_need_pull=0.0)
    assert pulled > unmoved


def test_collective_forms_on_offer_are_taken_up_by_choice():
    # Over a year, not in one month: shared forms cost coordination and a critical mass, so in a
    # small town few choose collective action in any one month.
    offered = run_small(steps=0, paradigm="npg", cp_level="collective")
    modes = set()
    for _ in range(12):
        offered.step()
        modes |= {c.mode for c in offered.population.citizens}
    individual_only = run_small(steps=12, paradigm="npg", cp_level="individual")
    assert 1 in modes and 3 in modes
    assert {c.mode for c in individual_only.population.citizens} <= {0, 1}


def test_reinvested_savings_reach_civil_society_and_spare_staff_the_recruiting():
    common = dict(steps=12, paradigm="hybrid", savings_target=0.4, n_ngos=5)
    kept = run_small(savings_reinvested=0.0, **common)
    passed_on = run_small(savings_reinvested=1.0, **common)
    assert kept.politician.reinvested == 0.0 < passed_on.politician.reinvested
    assert passed_on.ngo_benefit.sum() > kept.ngo_benefit.sum()
    # Savings kept tell staff to recruit substitutes (more facilitation, less delivery); passed on, they do not.
    assert staff_total(passed_on, "delivery_hours") > staff_total(kept, "delivery_hours")


def test_professionals_with_local_say_learn_fit_from_casework_up_to_a_ceiling():
    closed = dict(steps=60, paradigm="traditional", base_fit=0.5, frontline_autonomy=1.0)
    learning = run_small(professional_learning=0.2, **closed)
    not_learning = run_small(professional_learning=0.0, **closed)
    assert np.allclose(not_learning.fit, 0.5)  # no planning phases open: nothing else moves fit
    assert 0.5 < learning.fit.min() and learning.fit.max() < 0.8  # below what only citizens know
