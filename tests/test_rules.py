"""The citizen's rules one by one: each test fails if its mechanism is removed or reversed."""

from __future__ import annotations

import numpy as np
import pytest

from coprod.agents import rules
from coprod.core import streams


# --- asymmetric trust (Slovic 1993) ------------------------------------------------------------
def test_trust_falls_faster_than_it_rises():
    up = rules.update_trust(0.5, 0.75, 0.55, False, False, 0.02, 0.12) - 0.5
    down = 0.5 - rules.update_trust(0.5, 0.35, 0.55, False, False, 0.02, 0.12)
    assert up > 0 and down > 0
    assert down > 3 * up


def test_trust_takes_longer_to_rebuild_than_to_lose():
    trust, months_to_lose = 0.6, 0
    while trust > 0.4:
        trust = rules.update_trust(trust, 0.25, 0.55, False, False, 0.02, 0.12)
        months_to_lose += 1
    months_to_rebuild = 0
    while trust < 0.6:
        trust = rules.update_trust(trust, 0.85, 0.55, False, False, 0.02, 0.12)
        months_to_rebuild += 1
    assert months_to_rebuild > 3 * months_to_lose


def test_being_heard_builds_trust_and_being_ignored_costs_it():
    neutral = rules.update_trust(0.5, 0.55, 0.55, False, False, 0.02, 0.12)
    assert rules.update_trust(0.5, 0.55, 0.55, True, False, 0.02, 0.12) > neutral
    assert rules.update_trust(0.5, 0.55, 0.55, False, True, 0.02, 0.12) < neutral


# --- motivation crowding (Frey & Jegen 2001) ------------------------------------------------------
def test_control_crowds_out_motivation_and_its_absence_lets_it_recover():
    controlled = rules.update_motivation(0.6, 0.6, 1.0, 0.1, 0.02)
    assert controlled < 0.6
    assert rules.update_motivation(0.3, 0.6, 0.0, 0.1, 0.02) > 0.3
    assert rules.update_motivation(0.6, 0.6, 1.0, 0.3, 0.02) < controlled


# --- critical mass (Oliver, Marwell & Teixeira 1985) ------------------------------------------------
def test_collective_action_needs_a_critical_mass():
    assert rules.collective_success(0.02, 0.0, 0.15) < 0.05
    assert rules.collective_success(0.30, 0.0, 0.15) > 0.95


def test_facilitation_lowers_the_mass_needed():
    assert rules.collective_success(0.12, 1.0, 0.15) > rules.collective_success(0.12, 0.0, 0.15) + 0.3


def test_expectation_of_joining_depends_on_level():
    assert rules.level_expectation(rules.MODE_INDIVIDUAL, 0.0, 0.0, 0.2) == 1.0
    lonely = rules.level_expectation(rules.MODE_COLLECTIVE, 0.0, 0.0, 0.2)
    crowded = rules.level_expectation(rules.MODE_COLLECTIVE, 0.5, 0.0, 0.2)
    assert lonely < 0.3 < 0.75 < crowded


def test_shared_work_costs_coordination_that_facilitation_carries():
    """Past the critical mass every form produces; shared forms still lose coordination time."""
    crowded = rules.level_expectation(rules.MODE_COLLECTIVE, 0.9, 0.0, 0.1)
    assert crowded == pytest.approx(1.0 - rules.COORDINATION_COLLECTIVE, abs=1e-6)
    assert rules.level_expectation(rules.MODE_COLLECTIVE, 0.9, 1.0, 0.1) == pytest.approx(1.0, abs=1e-6)
    assert rules.level_expectation(rules.MODE_GROUP, 0.9, 0.0, 0.1) == pytest.approx(1.0 - rules.COORDINATION_GROUP,
                                                                                    abs=1e-6)


# --- the participation decision ----------------------------------------------------------------------
BASE = dict(base=-5.0, w_need=1.0, w_trust=1.5, w_efficacy=2.0, w_resources=1.5, w_peers=2.0, w_invited=1.5,
            w_motivation=1.0)
CITIZEN = dict(need=0.5, trust=0.5, efficacy=0.5, resources=0.3, motivation=0.4, peer_share=0.1, invited=False,
               propensity=0.0, w_habit=1.5, took_part_last=False, w_shortfall=1.0, wellbeing=0.8)


def p_join(**change):
    return rules.participation_probability(**BASE, **{**CITIZEN, **change})


@pytest.mark.parametrize("driver, high", [("need", 0.9), ("trust", 0.9), ("efficacy", 0.9), ("resources", 0.9),
                                          ("motivation", 0.9), ("peer_share", 0.8), ("invited", True),
                                          ("propensity", 1.0), ("took_part_last", True)])
def test_participation_rises_with_each_driver(driver, high):
    assert p_join(**{driver: high}) > p_join()


def test_a_shortfall_in_outcomes_draws_citizens_in():
    """Parrado et al. 2013: good outcomes somewhat discourage co-production, a shortfall draws it;
    without the weight the logit is the very number it was before the term existed."""
    assert p_join(wellbeing=0.5) > p_join(wellbeing=0.8) > p_join(wellbeing=1.0)
    assert p_join(w_shortfall=0.0, wellbeing=0.2) == p_join(w_shortfall=0.0, wellbeing=0.9)


def way(**change):
    args = dict(know_how_base=0.6, peer_active=0.0, efficacy=0.5, informed=False, experienced=False)
    args.update(change)
    return rules.way_found(**args)


def test_information_helps_the_confident_more():
    """Thomsen & Jakobsen 2015: self-efficacy moderates the effect of knowing how."""
    gain_confident = way(informed=True, efficacy=0.9) - way(efficacy=0.9)
    gain_unsure = way(informed=True, efficacy=0.1) - way(efficacy=0.1)
    assert gain_confident > gain_unsure > 0


def test_information_does_nothing_for_those_who_already_know_how():
    """Information acts only through knowing how: the experienced (habit, associations) gain nothing,
    and asking active ties closes part of the gap by itself."""
    assert way(experienced=True, informed=True) == way(experienced=True) == 1.0
    assert way(know_how_base=1.0, informed=True) == way(know_how_base=1.0) == 1.0
    assert way(peer_active=0.5) > way()


# --- choice among the forms on offer (Bovaird et al. 2015; Clark & Wilson 1961) ----------------------
def level_shares(offered, peer_collective=0.0, motivation=0.4, taste=0.5, critical_mass=0.12):
    picks = [rules.choose_level(u, offered, peer_collective, 0.5, critical_mass, motivation, taste)
             for u in np.linspace(0.0005, 0.9995, 2000)]
    return {k: picks.count(k) / len(picks) for k in (rules.MODE_INDIVIDUAL, rules.MODE_GROUP, rules.MODE_COLLECTIVE)}


def test_only_offered_forms_are_chosen():
    assert level_shares(rules.MODE_INDIVIDUAL)[rules.MODE_INDIVIDUAL] == 1.0
    assert level_shares(rules.MODE_GROUP)[rules.MODE_COLLECTIVE] == 0.0


def test_individual_dominates_alone_and_collective_grows_where_ties_act_together():
    alone = level_shares(rules.MODE_COLLECTIVE, peer_collective=0.0)
    among_actors = level_shares(rules.MODE_COLLECTIVE, peer_collective=0.5)
    assert alone[rules.MODE_INDIVIDUAL] > alone[rules.MODE_COLLECTIVE]
    assert among_actors[rules.MODE_COLLECTIVE] > alone[rules.MODE_COLLECTIVE] + 0.2


def test_solidary_motives_draw_the_motivated_to_shared_forms():
    keen = level_shares(rules.MODE_COLLECTIVE, motivation=0.9)
    cool = level_shares(rules.MODE_COLLECTIVE, motivation=0.1)
    assert keen[rules.MODE_COLLECTIVE] > cool[rules.MODE_COLLECTIVE]
    assert level_shares(rules.MODE_COLLECTIVE, motivation=0.9, taste=0.0) == level_shares(
        rules.MODE_COLLECTIVE, motivation=0.1, taste=0.0)


# --- civil society: who joins an NGO (Wilson 2000; Parks et al. 1981) ---------------------------------
def join_chance(**kw):
    args = dict(is_volunteer=False, ngo_pull=1.0, motivation=0.5, peer_collective_share=0.1, join_rate=0.02,
                leave_rate=0.05, trust=0.5, unmet=0.2, need_pull=1.0, civic_pull=1.0, activity=rules.ACTIVITY_NONE)
    args.update(kw)
    return float(np.mean([rules.volunteer_transition(u, **args) for u in np.linspace(0.0005, 0.9995, 4000)]))


@pytest.mark.parametrize("driver, high", [("trust", 0.9), ("unmet", 0.8), ("ngo_pull", 1.5), ("civic_pull", 2.7),
                                          ("motivation", 0.9), ("activity", rules.ACTIVITY_SOCIAL)])
def test_joining_an_ngo_rises_with_each_driver(driver, high):
    assert join_chance(**{driver: high}) > join_chance()


def test_no_ngo_no_volunteers_and_the_civic_core_stays():
    assert join_chance(ngo_pull=0.0) == 0.0
    assert join_chance(is_volunteer=True, ngo_pull=0.0) == 0.0
    assert join_chance(is_volunteer=True, civic_pull=4.5) > join_chance(is_volunteer=True, civic_pull=0.22)


def test_the_ngo_asks_social_and_local_volunteers_not_sports_clubs():
    assert join_chance(activity=rules.ACTIVITY_LOCAL) > join_chance(activity=rules.ACTIVITY_SPORTS) == join_chance()


# --- associational life: a civil society of its own (Wilson 2000; Musick & Wilson 2008) ---------------
JOINING = dict(join_rate=0.005, resources=0.3, motivation=0.4, civic_pull=1.0, peer_volunteering=0.2,
               peer_recruitment=2.0, life_event=False, life_event_boost=4.0, welfare_pull=0.0)
LEAVING = dict(leave_rate=0.04, resources=0.3, motivation=0.4, civic_pull=1.0, tenure=6.0, commitment_months=24.0,
               life_event=False, life_event_exit=0.25)


@pytest.mark.parametrize("driver, high", [("resources", 0.8), ("motivation", 0.9), ("civic_pull", 2.7),
                                          ("peer_volunteering", 0.6), ("life_event", True), ("welfare_pull", 1.5)])
def test_starting_to_volunteer_rises_with_each_driver(driver, high):
    assert rules.association_join_chance(**{**JOINING, driver: high}) > rules.association_join_chance(**JOINING)


def test_joining_needs_no_ngo_and_rises_steeply_with_resources():
    """Associational life exists whatever the municipality does (no NGO: welfare_pull 0), and the
    resource-rich start several times as often (Wilson 2000; BLS 2010: 42% against 9%)."""
    assert rules.association_join_chance(**JOINING) > 0.0
    rich = rules.association_join_chance(**{**JOINING, "resources": 0.7})
    poor = rules.association_join_chance(**{**JOINING, "resources": 0.05})
    assert rich > 3.0 * poor


@pytest.mark.parametrize("driver, high", [("tenure", 60.0), ("resources", 0.8), ("motivation", 0.9),
                                          ("civic_pull", 2.7)])
def test_volunteering_persists_with_tenure_resources_motivation_and_propensity(driver, high):
    assert rules.association_leave_chance(**{**LEAVING, driver: high}) < rules.association_leave_chance(**LEAVING)


def test_a_life_event_ends_some_spells():
    assert rules.association_leave_chance(**{**LEAVING, "life_event": True}) > rules.association_leave_chance(**LEAVING)


def test_association_transition_joins_stays_and_leaves():
    assert rules.association_transition(0.5, rules.ACTIVITY_NONE, 0.0, 0.1) == (rules.ACTIVITY_NONE, 0.0)
    assert rules.association_transition(0.01, rules.ACTIVITY_NONE, 0.0, 0.1) == (rules.ACTIVITY_SPORTS, 1.0)
    assert rules.association_transition(0.099, rules.ACTIVITY_NONE, 0.0, 0.1) == (rules.ACTIVITY_LOCAL, 1.0)
    assert rules.association_transition(0.5, rules.ACTIVITY_CULTURE, 7.0, 0.1) == (rules.ACTIVITY_CULTURE, 8.0)
    assert rules.association_transition(0.05, rules.ACTIVITY_CULTURE, 7.0, 0.1) == (rules.ACTIVITY_NONE, 0.0)


def test_activities_follow_the_survey_shares():
    picks = [rules.pick_activity(x) for x in np.linspace(0.0005, 0.9995, 2000)]
    shares = [picks.count(k) / len(picks) for k in range(1, 5)]
    assert shares == pytest.approx([0.40, 0.15, 0.25, 0.20], abs=0.002)


def test_hours_grow_with_tenure_and_civic_propensity_and_only_volunteers_give_them():
    assert rules.association_hours(rules.ACTIVITY_NONE, 3.0, 50.0, 5.0, 24.0) == 0.0
    newcomer = rules.association_hours(rules.ACTIVITY_SOCIAL, 1.0, 1.0, 5.0, 24.0)
    veteran = rules.association_hours(rules.ACTIVITY_SOCIAL, 1.0, 100.0, 5.0, 24.0)
    assert newcomer < veteran < 5.0
    # A citizen whose civic pull (e^propensity) is ten times another's gives ten times the hours.
    core = rules.association_hours(rules.ACTIVITY_SOCIAL, 10.0, 100.0, 5.0, 24.0)
    assert core == pytest.approx(10.0 * veteran)


# --- invitations: targeting, creaming, outreach (Lipsky 1980; Samskabelse manifesto 2017) -----------------------------
def invite(**kw):
    args = dict(invite_rate=0.1, outreach_rate=0.0, autonomy=0.0, output_pressure=0.0, need=0.5, resources=0.3,
                trust=0.5, efficacy=0.5)
    args.update(kw)
    return rules.invitation_probability(**args)


def test_autonomous_professionals_aim_at_need_and_quota_does_not():
    assert invite(autonomy=1.0, need=0.9) > invite(autonomy=1.0, need=0.2)
    assert invite(autonomy=0.0, need=0.9) == invite(autonomy=0.0, need=0.2)


def test_outreach_raises_low_resource_invitations():
    assert invite(outreach_rate=0.05, resources=0.1) > invite(outreach_rate=0.0, resources=0.1)
    assert invite(outreach_rate=0.05, resources=0.1) - invite(resources=0.1) > \
        invite(outreach_rate=0.05, resources=0.9) - invite(resources=0.9)


def test_output_pressure_with_autonomy_creams_the_well_resourced():
    rich = invite(autonomy=1.0, output_pressure=1.0, resources=0.9)
    poor = invite(autonomy=1.0, output_pressure=1.0, resources=0.1)
    assert rich > poor
    assert (invite(autonomy=1.0, output_pressure=0.0, resources=0.9)
            == invite(autonomy=1.0, output_pressure=0.0, resources=0.1))


# --- phase choice and the planning barrier -----------------------------------------------------------
def phase_shares(efficacy, opens=(True, True, True, True), barrier=0.35):
    picks = [rules.choose_phase(u, efficacy, *opens, barrier) for u in np.linspace(0.0005, 0.9995, 1000)]
    return {k: picks.count(k) / len(picks) for k in (rules.PHASE_COMMISSION, rules.PHASE_DESIGN,
                                                      rules.PHASE_DELIVER, rules.PHASE_ASSESS, rules.PHASE_NONE)}


def test_planning_phases_need_confidence():
    shy, bold = phase_shares(0.05), phase_shares(0.8)
    assert shy[rules.PHASE_COMMISSION] + shy[rules.PHASE_DESIGN] < 0.05
    assert bold[rules.PHASE_COMMISSION] + bold[rules.PHASE_DESIGN] > 0.5


def test_closed_phases_are_never_chosen():
    shares = phase_shares(0.8, opens=(False, True, False, True))
    assert shares[rules.PHASE_COMMISSION] == 0 and shares[rules.PHASE_DELIVER] == 0
    assert phase_shares(0.8, opens=(False, False, False, False))[rules.PHASE_NONE] == 1.0


# --- uptake: power sharing and openness (Needham & Carr 2009; Fung 2006) -------------------------------
def uptake(power=0.5, openness=0.5, resources=0.3, facilitation=0.5, organised=False, capture=0.0, delay=0.0):
    return rules.uptake_probability(power, openness, resources, facilitation, organised, capture, delay)


def test_power_sharing_and_openness_raise_uptake():
    assert uptake(power=0.85) > uptake(power=0.1)
    assert uptake(openness=0.9) > uptake(openness=0.1)


def test_closed_processes_hear_the_well_resourced_open_ones_everyone():
    assert uptake(openness=0.0, resources=0.9) > uptake(openness=0.0, resources=0.1)
    assert uptake(openness=1.0, resources=0.9) == uptake(openness=1.0, resources=0.1)


def test_open_processes_are_slower_and_captured_by_the_organised():
    """The costs critics name (Irvin & Stansbury 2004; Fung 2006): with them, opening up can lower
    an unorganised citizen's uptake."""
    assert uptake(openness=0.9, delay=0.5) < uptake(openness=0.9)
    assert uptake(openness=0.9, capture=0.6) < uptake(openness=0.9, capture=0.6, organised=True)
    assert uptake(openness=0.1, capture=0.0, organised=True) == uptake(openness=0.1, capture=0.0)
    assert uptake(openness=0.9, resources=0.5, capture=0.6, delay=0.5) < uptake(openness=0.1, resources=0.5,
                                                                                 capture=0.6, delay=0.5)


def test_consultation_fatigue_grows_with_openness():
    assert rules.consultation_fatigue(0.5, 0.9, 0.1) < rules.consultation_fatigue(0.5, 0.1, 0.1) < 0.5
    assert rules.consultation_fatigue(0.5, 0.9, 0.0) == 0.5


# --- self-efficacy: mastery and tokenism (Bandura 1997; Arnstein 1969) ---------------------------------
def test_efficacy_grows_when_counted_and_shrinks_when_ignored():
    assert rules.update_efficacy(0.4, 0.4, True, False, 0.06, 0.06, 0.01) > 0.4
    assert rules.update_efficacy(0.4, 0.4, False, True, 0.06, 0.06, 0.01) < 0.4
    assert rules.update_efficacy(0.7, 0.4, False, False, 0.06, 0.06, 0.01) < 0.7  # drifts back


# --- wellbeing and need met ----------------------------------------------------------------------------
def test_wellbeing_follows_need_met():
    assert rules.update_wellbeing(0.5, 0.8, 1.0, 0.1) > 0.5
    assert rules.update_wellbeing(0.5, 0.8, 0.0, 0.1) < 0.5
    target = 1 - 0.8 * (1 - 0.4)
    w = 0.5
    for _ in range(300):
        w = rules.update_wellbeing(w, 0.8, 0.4, 0.1)
    assert w == pytest.approx(target, abs=1e-6)


def test_own_delivery_and_fit_raise_need_met():
    public = rules.public_service_met(0.8, 0.6, 1.0, 0.5, 0.0, 0.4)
    base, _ = rules.need_met(public, 0.0, 0.5, 1.2, 0.0)
    assert rules.need_met(rules.public_service_met(0.8, 0.9, 1.0, 0.5, 0.0, 0.4), 0.0, 0.5, 1.2, 0.0)[0] > base
    assert rules.need_met(public, 4.0, 0.5, 1.2, 0.0)[0] > base
    assert rules.need_met(5.0, 10.0, 1.0, 1.2, 1.0)[0] == 1.0


def test_the_coproduced_part_of_need_met_is_what_citizens_added():
    met, coproduced = rules.need_met(0.4, 0.0, 0.5, 1.2, 0.0)
    assert met == pytest.approx(0.4) and coproduced == 0.0
    met, coproduced = rules.need_met(0.4, 1.2, 0.5, 1.2, 0.1)  # 0.5 own + 0.1 shared on top of 0.4
    assert met == 1.0 and coproduced == pytest.approx(0.6)
    met, coproduced = rules.need_met(0.0, 0.0, 0.5, 1.2, 0.3)
    assert met == pytest.approx(0.3) == pytest.approx(coproduced)


def test_standardised_services_fit_unusual_need_worse():
    """Hood 1991 / Lipsky 1980: routines serve the typical case."""
    typical = rules.public_service_met(0.8, 0.8, 1.0, 0.5, 1.0, 0.4)
    unusual = rules.public_service_met(0.8, 0.8, 1.0, 0.95, 1.0, 0.4)
    assert unusual < typical
    assert rules.public_service_met(0.8, 0.8, 1.0, 0.95, 0.0, 0.4) == typical  # tailored: no loss


def test_individual_delivery_gives_only_the_hours_own_need_calls_for():
    assert rules.individual_delivery_hours(8.0, 1.2, 0.5, 0.5) == pytest.approx(1.2)  # 0.6 unmet need-hours / 0.5
    assert rules.individual_delivery_hours(0.5, 1.2, 0.5, 0.5) == 0.5  # limited by time
    assert rules.individual_delivery_hours(8.0, 1.2, 1.0, 0.5) == 0.0  # nothing left to do


# --- ties: bonding and bridging (Putnam 2000) ------------------------------------------------------
def test_ties_grow_when_acting_together_and_fade_otherwise():
    assert rules.update_tie(0.2, True, 0.1, 0.02) > 0.2
    assert rules.update_tie(0.2, False, 0.1, 0.02) < 0.2


def test_who_acts_together():
    C, G, I = rules.MODE_COLLECTIVE, rules.MODE_GROUP, rules.MODE_INDIVIDUAL
    assert rules.acted_together(C, C, 0, 1, False, False)  # collective work bridges groups
    assert rules.acted_together(G, G, 2, 2, False, False)
    assert not rules.acted_together(G, G, 2, 3, False, False)
    assert not rules.acted_together(I, I, 2, 2, False, False)
    assert rules.acted_together(0, 0, 4, 4, True, True)
    assert not rules.acted_together(0, 0, 4, 5, True, True)


def test_may_act_together_is_exactly_the_citizens_side_of_acted_together():
    """The numba engine skips a citizen's neighbours when may_act_together is False; that is only
    right if no neighbour, in any state, could then have acted together with them."""
    modes = (rules.MODE_NONE, rules.MODE_INDIVIDUAL, rules.MODE_GROUP, rules.MODE_COLLECTIVE)
    for mode in modes:
        for volunteer in (False, True):
            possible = any(rules.acted_together(mode, other, 0, other_group, volunteer, other_volunteer)
                           for other in modes for other_group in (0, 1) for other_volunteer in (False, True))
            assert rules.may_act_together(mode, volunteer) == possible, (mode, volunteer)
    assert rules.update_tie(0.0, False, 0.1, 0.02) == 0.0  # an idle zero tie stays exactly zero



def test_peer_shares_count_ties_and_a_citizen_without_ties_sees_none():
    assert rules.peer_shares(1, 3, 4) == (0.25, 0.75)
    assert rules.peer_shares(0, 0, 0) == (0.0, 0.0)


def test_planning_is_co_commissioning_or_co_design_on_single_citizens_and_arrays():
    phases = np.array([rules.PHASE_NONE, rules.PHASE_COMMISSION, rules.PHASE_DESIGN, rules.PHASE_DELIVER,
                       rules.PHASE_ASSESS], dtype=np.int8)
    assert rules.plans(phases).tolist() == [False, True, True, False, False]
    assert [bool(rules.plans(int(p))) for p in phases] == [False, True, True, False, False]
    assert not rules.takes_part(rules.MODE_NONE) and rules.takes_part(rules.MODE_GROUP)

# --- counter-based random numbers ----------------------------------------------------------------------
def test_counter_streams_are_uniform_and_reproducible():
    u = streams.uniforms(11, 3, streams.STREAM_JOIN, 200_000)
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    counts, _ = np.histogram(u, bins=20, range=(0, 1))
    assert counts.min() > 0.9 * counts.mean()
    assert np.array_equal(u, streams.uniforms(11, 3, streams.STREAM_JOIN, 200_000))


def test_counter_streams_differ_by_seed_step_and_stream():
    a = streams.uniforms(11, 3, 1, 1000)
    for other in (streams.uniforms(12, 3, 1, 1000), streams.uniforms(11, 4, 1, 1000), streams.uniforms(11, 3, 2, 1000)):
        assert abs(np.corrcoef(a, other)[0, 1]) < 0.1
        assert not np.array_equal(a, other)


# --- a citizen's draws, hashed as they are read -------------------------------------------------
def test_a_citizens_draws_read_lazily_are_the_counter_draws_to_the_bit():
    from numba import njit

    @njit
    def compiled_draws(seed, step, index):
        draws = streams.citizen_draws(streams.month_keys(seed, step), index)
        out = np.empty(streams.N_STREAMS)
        for stream in range(streams.N_STREAMS):
            out[stream] = streams.draw(draws, stream)
        return out

    seed, step = np.uint64(20261202), np.uint64(7)
    for index in (0, 1, 12_345, 99_999):
        expected = [streams.uniforms(int(seed), int(step), stream, index + 1)[index]
                    for stream in range(streams.N_STREAMS)]
        as_tuple = tuple(expected)  # what the Mesa citizens hand the rules
        assert [streams.draw(as_tuple, s) for s in range(streams.N_STREAMS)] == expected
        assert compiled_draws(seed, step, np.uint64(index)).tolist() == expected
        assert len(set(expected)) == streams.N_STREAMS  # the streams differ, so a swapped key would fail
