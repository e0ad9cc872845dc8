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
    assert np.nanmean([volunteers_motivation(m) for m in supplier]) < np.nanmean([volunteers_motivation(m) for m in partner])


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
