"""Visit windows and where each visit stands on a given day (pure, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.clinical.visits.windows import (
    Recorded,
    VisitState,
    schedule_status,
    visit_by_key,
    visit_key,
    visit_status,
    windows,
)
from msctrial.protocol.model import Visit

DAY0 = dt.date(2026, 3, 2)
DAY3 = Visit(name="Day 3", day=3, window_days=1, forms=["vital_signs", "cbc"])
SCREENING = Visit(name="Screening", day=-1, window_days=1, forms=["vital_signs"])
DAY28 = Visit(name="Day 28", day=28, window_days=3, forms=["who_scale"])


def on(days: int) -> dt.date:
    return DAY0 + dt.timedelta(days=days)


def test_a_visit_window_is_its_target_day_plus_or_minus_the_window():
    (w,) = windows([DAY3], DAY0)
    assert (w.earliest, w.target, w.latest) == (on(2), on(3), on(4))
    assert w.contains(on(2)) and w.contains(on(4)) and not w.contains(on(5))


@pytest.mark.parametrize(
    ("today", "recorded", "state", "late"),
    [
        (on(1), None, VisitState.upcoming, 0),
        (on(2), None, VisitState.due, 0),  # the window opens
        (on(4), None, VisitState.due, 0),  # its last day
        (on(5), None, VisitState.overdue, 1),  # closed with nothing entered
        (on(11), None, VisitState.overdue, 7),
        (on(3), Recorded(on(3), frozenset({"cbc"})), VisitState.partial, 0),
        (on(6), Recorded(on(3), frozenset({"cbc"})), VisitState.incomplete, 2),
        (on(3), Recorded(on(3), frozenset({"cbc", "vital_signs"})), VisitState.complete, 0),
        (on(30), Recorded(on(3), frozenset({"cbc", "vital_signs"})), VisitState.complete, 0),
        (
            on(30),
            Recorded(None, frozenset(), "patient in another hospital"),
            VisitState.not_done,
            0,
        ),
    ],
)
def test_where_a_visit_stands(today, recorded, state, late):
    (w,) = windows([DAY3], DAY0)
    status = visit_status(w, recorded, today)
    assert status.state is state and status.days_overdue == late
    assert status.state.needs_action is (state in (VisitState.overdue, VisitState.incomplete))


def test_missing_forms_are_named():
    (w,) = windows([DAY3], DAY0)
    status = visit_status(w, Recorded(on(3), frozenset({"cbc"})), on(6))
    assert status.forms_done == ("cbc",) and status.forms_missing == ("vital_signs",)


def test_a_visit_on_a_date_outside_its_window_is_marked():
    (w,) = windows([DAY3], DAY0)
    assert visit_status(w, Recorded(on(6), frozenset({"cbc"})), on(6)).out_of_window
    assert not visit_status(w, Recorded(on(4), frozenset({"cbc"})), on(6)).out_of_window


def test_visits_after_the_subject_left_the_trial_are_not_expected():
    statuses = schedule_status([DAY3, DAY28], DAY0, {}, on(60), left_trial_on=on(10))
    assert [s.state for s in statuses] == [VisitState.overdue, VisitState.not_expected]


def test_before_day_0_only_the_screening_visit_is_due():
    statuses = schedule_status([DAY28, SCREENING, DAY3], None, {}, on(0))
    assert [(s.name, s.state) for s in statuses] == [
        ("Screening", VisitState.due),
        ("Day 3", VisitState.unscheduled),
        ("Day 28", VisitState.unscheduled),
    ]


def test_visits_have_url_keys():
    assert visit_key("Day 14") == "day-14"
    assert visit_by_key([DAY3, DAY28], "day-28") is DAY28
    assert visit_by_key([DAY3], "day-5") is None


def test_a_visit_whose_window_opens_on_the_day_of_death_is_not_expected():
    (w,) = windows([DAY3], DAY0)  # window days 2-4
    assert visit_status(w, None, on(30), left_trial_on=on(2)).state is VisitState.not_expected
    assert visit_status(w, None, on(30), left_trial_on=on(3)).state is VisitState.overdue
