"""The NGOs' month (``agents/ngo.py``): initiatives are born, die, are taken over; idle NGOs close;
collective action founds new ones. The compiled rules run on the civil-society ledger."""

import numpy as np
import pytest

from coprod.agents.ngo import IDLE_MONTHS_TO_CLOSE, SHOCK_DECAY, NGOParameters, run_initiatives
from coprod.model.model import CoProductionModel, resolve_parameters


def rules(**changes) -> NGOParameters:
    return NGOParameters.of({**resolve_parameters({"paradigm": "hybrid"}), **changes})


def month(q, initiatives, volunteers=(5.0,), volunteer_hours=(0.0,), has_ngo=(True,), collective=(0.0,),
          members=(100.0,), idle=(0,), seed=1, step=3):
    """One month for a few groups; returns (ledger after, takeovers, taken, closing, founding)."""
    n = len(initiatives)
    ledger = dict(initiatives=np.array(initiatives, dtype=np.int64), volunteers=np.zeros(n),
                  volunteer_hours=np.zeros(n), shock=np.zeros(n), idle_months=np.array(idle, dtype=np.int64),
                  born=np.zeros(n, dtype=np.int64), died=np.zeros(n, dtype=np.int64),
                  taken_over=np.zeros(n, dtype=np.int64))
    takeovers = np.zeros(n)
    taken, closing, founding = run_initiatives(
        np.array(has_ngo), ledger["initiatives"], ledger["volunteers"], ledger["volunteer_hours"], ledger["shock"],
        ledger["idle_months"], ledger["born"], ledger["died"], ledger["taken_over"], takeovers,
        np.array(volunteers, dtype=np.float64), np.array(volunteer_hours, dtype=np.float64),
        np.array(collective, dtype=np.float64), np.array(members, dtype=np.float64), seed, step, tuple(q))
    return ledger, takeovers, taken, closing, founding


def test_certain_death_ends_every_initiative_and_counts_it():
    ledger, _, taken, _, _ = month(rules(initiative_hazard=1.0, support_hazard_reduction=0.0), [4])
    assert ledger["initiatives"][0] == 0 and ledger["died"][0] == 4 and taken == 0


def test_without_hazard_or_volunteer_hours_initiatives_stay():
    ledger, *_ = month(rules(initiative_hazard=0.0), [3])
    assert ledger["initiatives"][0] == 3 and ledger["died"][0] == 0 and ledger["born"][0] == 0


def test_volunteer_hours_give_birth_to_initiatives():
    born = [month(rules(initiative_hazard=0.0), [0], volunteer_hours=(400.0,), seed=s)[0]["born"][0] for s in range(40)]
    assert np.mean(born) == pytest.approx(rules().initiative_birth_rate * 4.0, rel=0.5)
    assert max(born) > 0


def test_takeover_takes_the_survivors_and_shocks_the_volunteers():
    q = rules(initiative_response="takeover", takeover_rate=1.0, initiative_hazard=0.0, takeover_control=0.6)
    ledger, takeovers, taken, _, _ = month(q, [3, 2], volunteers=(5.0, 5.0), volunteer_hours=(0.0, 0.0),
                                           has_ngo=(True, True), collective=(0.0, 0.0), members=(50.0, 50.0),
                                           idle=(0, 0))
    assert taken == 5 and takeovers.tolist() == [3.0, 2.0] and ledger["taken_over"].tolist() == [3, 2]
    assert ledger["initiatives"].tolist() == [0, 0]
    assert ledger["shock"].tolist() == pytest.approx([0.6 * SHOCK_DECAY] * 2)
    supported = month(rules(initiative_response="support", takeover_rate=1.0, initiative_hazard=0.0), [3])
    assert supported[2] == 0 and supported[0]["initiatives"][0] == 3


def test_an_ngo_idle_for_a_year_closes_and_one_with_volunteers_does_not():
    _, _, _, closing, _ = month(rules(), [0, 0], volunteers=(0.0, 2.0), volunteer_hours=(0.0, 0.0),
                                has_ngo=(True, True), collective=(0.0, 0.0), members=(50.0, 50.0),
                                idle=(IDLE_MONTHS_TO_CLOSE - 1, IDLE_MONTHS_TO_CLOSE - 1))
    assert closing.tolist() == [True, False]


def test_collective_action_past_the_critical_mass_founds_an_ngo_where_there_is_none():
    q = rules(critical_mass=0.2, founding_rate=1.0)
    *_, founding = month(q, [0, 0, 1], volunteers=(0.0, 0.0, 0.0), volunteer_hours=(0.0, 0.0, 0.0),
                         has_ngo=(False, False, True), collective=(30.0, 10.0, 30.0), members=(100.0, 100.0, 100.0),
                         idle=(0, 0, 0))
    assert founding.tolist() == [True, False, False]  # past the mass; below it; already has one
    *_, never = month(rules(critical_mass=0.2, founding_rate=0.0), [0], has_ngo=(False,), collective=(30.0,))
    assert not never.any()


def test_ngo_agents_read_the_ledger_and_leave_the_model_when_they_close():
    model = CoProductionModel(seed=2, n_citizens=300, n_groups=6, n_ngos=3, paradigm="npg")
    assert len(model.ngos) == 3 == int(model.civil_society.has_ngo.sum())
    for _ in range(6):
        model.step()
    society = model.civil_society
    for ngo in model.ngos:
        assert ngo.initiatives == society.initiatives[ngo.home_group]
        assert ngo.volunteers == society.volunteers[ngo.home_group]
        assert model.ngo_of_group[ngo.home_group] == ngo.unique_id
    ngo = model.ngos[0]
    group = ngo.home_group
    model._close_ngo(group)
    assert ngo not in model.ngos and not society.has_ngo[group] and model.ngo_of_group[group] == -1
