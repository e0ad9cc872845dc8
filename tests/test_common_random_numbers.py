"""Common random numbers on the public side: a lever that changes no behaviour changes nothing.

Every draw of the public side (NGO births and deaths, take-overs, founding, innovation) is keyed by
(seed, month, entity, purpose), like the citizens' draws. So two arms that differ only in a rule
that never fires must give bit-identical outcomes, month by month (the audit found 41 of 49
outcomes differing from month 1 when these draws came from one shared stream).
"""

from __future__ import annotations

import pandas as pd

from coprod.model.model import CoProductionModel


def trajectory(**parameters) -> pd.DataFrame:
    model = CoProductionModel(seed=3, engine="numba", n_citizens=800, paradigm="npg", cp_level="collective",
                              n_ngos=6, **parameters)
    for _ in range(36):
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def test_a_takeover_policy_that_takes_nothing_changes_nothing():
    never = trajectory(initiative_response="takeover", takeover_rate=0.0)
    ignore = trajectory(initiative_response="ignore")
    assert never["initiatives"].sum() > 0  # there were initiatives to take over
    pd.testing.assert_frame_equal(never, ignore, check_exact=True)


def test_a_takeover_that_happens_changes_the_run():
    """The same comparison can fail: with take-overs actually happening, outcomes differ."""
    taking = trajectory(initiative_response="takeover", takeover_rate=0.5)
    ignore = trajectory(initiative_response="ignore")
    assert not taking.equals(ignore)
