"""The pure rules of the home worklist: what is due, how late, and in which age band."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.clinical.casebook import worklist as rules
from msctrial.clinical.casebook.worklist import WorkItem

TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("state", "to_do"),
    [
        ("due", True),
        ("partial", True),
        ("overdue", True),
        ("incomplete", True),
        ("complete", False),
        ("upcoming", False),
        ("not_done", False),
        ("unscheduled", False),
    ],
)
def test_a_visit_is_on_the_worklist_only_while_something_is_left_to_enter(state, to_do):
    assert rules.visit_is_to_do(state) is to_do


@pytest.mark.parametrize(
    ("state", "earliest", "due"),
    [
        ("planned", TODAY, True),
        ("dispensed", TODAY - dt.timedelta(days=3), True),
        ("planned", TODAY + dt.timedelta(days=1), False),
        ("given", TODAY, False),
        ("planned", None, False),
    ],
)
def test_an_infusion_is_due_once_its_window_opens_until_it_is_given(state, earliest, due):
    assert rules.administration_is_due(state, earliest, None, TODAY) is due


def test_days_late_count_from_the_last_day_of_the_window():
    assert rules.days_late(TODAY - dt.timedelta(days=4), TODAY) == 4
    assert rules.days_late(TODAY, TODAY) == 0
    assert rules.days_late(TODAY + dt.timedelta(days=2), TODAY) == 0
    assert rules.days_late(None, TODAY) == 0


def test_an_administration_is_named_by_its_study_day_not_its_row():
    assert rules.administration_label(3) == "Day 3 infusion"


@pytest.mark.parametrize(
    ("status", "eligible", "consented", "consent", "screen", "randomise"),
    [
        ("prescreening", None, False, True, False, False),
        ("screening", None, True, False, True, False),
        ("screening", True, True, False, False, True),
        ("screening", False, True, False, False, False),
        ("randomised", True, True, False, False, False),
    ],
)
def test_a_patient_waits_for_the_next_step_of_enrolment(
    status, eligible, consented, consent, screen, randomise
):
    assert rules.awaits_consent(status) is consent
    assert rules.awaits_screening(status, eligible, consented) is screen
    assert rules.awaits_randomisation(status, eligible, consented) is randomise


def test_open_queries_are_counted_in_every_age_band_youngest_first():
    assert rules.queries_by_age([0, 6, 7, 30, 31, 90]) == [
        ("under a week", 2),
        ("7 to 30 days", 2),
        ("over 30 days", 2),  # gsm kri0009: delayed once older than 30 days
    ]
    assert rules.queries_by_age([]) == [
        ("under a week", 0),
        ("7 to 30 days", 0),
        ("over 30 days", 0),
    ]


def test_query_age_is_whole_days_since_it_was_raised():
    raised = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    assert rules.query_age_days(raised, raised + dt.timedelta(days=2, hours=23)) == 2
    assert rules.days_ago(0) == "today" and rules.days_ago(1) == "1 day ago"


def test_a_report_clock_runs_until_the_report_is_submitted():
    assert rules.clock_is_running(None)
    assert not rules.clock_is_running(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("status", "expires_in", "expiring"),
    [
        ("released", 0, True),
        ("released", rules.EXPIRY_WARNING_DAYS, True),
        ("released", rules.EXPIRY_WARNING_DAYS + 1, False),
        ("released", -1, False),  # expired already: not usable, not "soon"
        ("quarantine", 5, False),
    ],
)
def test_a_released_lot_is_expiring_within_the_warning_days(status, expires_in, expiring):
    expires = TODAY + dt.timedelta(days=expires_in)
    assert rules.lot_is_expiring(status, expires, TODAY) is expiring


def test_only_a_lot_in_quarantine_waits_for_qc():
    assert rules.lot_awaits_qc("quarantine")
    assert not any(rules.lot_awaits_qc(s) for s in ("released", "rejected", "recalled"))


def test_enrolment_counts_up_one_point_per_day():
    d1, d2 = dt.date(2026, 3, 1), dt.date(2026, 3, 4)
    assert rules.cumulative_enrolment([d2, d1, d2]) == [(d1, 1), (d2, 3)]
    assert rules.cumulative_enrolment([]) == []


def test_the_latest_work_comes_first():
    a = WorkItem("Day 3 visit", "/a", subject="WUH-002", days_late=1)
    b = WorkItem("Day 0 visit", "/b", subject="WUH-001", days_late=5)
    c = WorkItem("Day 6 visit", "/c", subject="WUH-003", due=TODAY)
    assert rules.by_lateness([a, c, b]) == (b, a, c)
    assert b.late and not c.late
