"""The CONSORT flow: the boxes counted by hand for a small trial, and the trial's own flow,
pooled for a blinded reader and by arm for the DSMB."""

from __future__ import annotations

import pytest

from msctrial.analysis.consort import NOT_ELIGIBLE, POOLED, FlowSubject, consort_flow, count_flow
from msctrial.core.actors import Actor, Grant
from msctrial.core.db import make_engine
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import load_settings

STATISTICIAN = Actor(username="stat", grants=(Grant("statistician"),))
DSMB = Actor(username="chair", grants=(Grant("dsmb"),))


def _randomised(arm: str | None, *, infused: bool = True, exit_kind: str | None = None):  # noqa: ANN202
    return FlowSubject("randomised", True, infused=infused, exit_kind=exit_kind, arm=arm)


def test_the_boxes_of_a_small_trial_counted_by_hand():
    """Ten assessed: two failed criteria, one declined, one still screening; six randomised,
    three per arm. Cells: one died, one withdrew. Placebo: one never infused, one lost."""
    subjects = [
        FlowSubject("screen_failure", False, "not eligible: no pneumonia", failed_criteria=True),
        FlowSubject("screen_failure", False, "not eligible: allergy", failed_criteria=True),
        FlowSubject("screen_failure", False, "declined to take part"),
        FlowSubject("screening", False),
        _randomised("cells", exit_kind="died"),
        _randomised("cells", exit_kind="withdrawn"),
        _randomised("cells"),
        _randomised("placebo", infused=False),
        _randomised("placebo", exit_kind="lost_to_follow_up"),
        _randomised("placebo", exit_kind="completed"),
    ]
    flow = count_flow(subjects)
    assert (flow.assessed, flow.randomised, flow.still_screening) == (10, 6, 1)
    assert flow.excluded == {NOT_ELIGIBLE: 2, "declined to take part": 1}
    cells, placebo = flow.arms
    assert (cells.arm, cells.allocated, cells.infused, cells.died) == ("cells", 3, 3, 1)
    assert cells.discontinued == {"withdrawn": 1} and cells.analysed == 3
    assert (placebo.infused, placebo.not_infused, placebo.died) == (2, 1, 0)
    assert placebo.discontinued == {"lost to follow up": 1}


def test_without_arms_the_randomised_are_one_pooled_column():
    flow = count_flow([_randomised(None), _randomised(None, exit_kind="died")])
    (pooled,) = flow.arms
    assert (pooled.arm, pooled.allocated, pooled.died) == (POOLED, 2, 1)


@pytest.fixture
def session(sqlite_trial_db):  # noqa: ANN201
    engine = make_engine(load_settings(database_url=sqlite_trial_db))
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def test_the_trials_flow_adds_up_and_is_pooled_for_a_blinded_reader(session):
    blinded = consort_flow(session, STATISTICIAN, unblinded=True)  # asks, but gets no arm
    (pooled,) = blinded.arms
    assert pooled.arm == POOLED and pooled.allocated == blinded.randomised > 0
    excluded = sum(blinded.excluded.values())
    assert blinded.assessed == blinded.randomised + excluded + blinded.still_screening
    by_arm = consort_flow(session, DSMB, unblinded=True)
    assert len(by_arm.arms) == 2 and POOLED not in {a.arm for a in by_arm.arms}
    assert sum(a.allocated for a in by_arm.arms) == blinded.randomised
    assert sum(a.died for a in by_arm.arms) == pooled.died
    assert sum(a.infused for a in by_arm.arms) == pooled.infused
    assert consort_flow(session, DSMB) == blinded  # the DSMB's blinded report pools too
