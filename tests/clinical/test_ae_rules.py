"""Adverse-event rules: CTCAE fever grades, ICH E2A seriousness, SAE and SUSAR deadlines (pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from msctrial.clinical.safety.rules import (
    AdverseEventInput,
    ClockState,
    ReportKind,
    clock_state,
    fever_grade,
    is_susar,
    sponsor_deadline,
    susar_deadlines,
)

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("temperature", "hours_above_40", "grade"),
    [
        (37.9, 0, None),
        (38.0, 0, 1),  # CTCAE v5: 38.0-39.0 °C is grade 1 (CLINICAL_FACTS §6.1)
        (39.0, 0, 1),
        (39.1, 0, 2),
        (40.0, 0, 2),
        (40.1, 0, 3),  # > 40.0 °C for ≤ 24 h
        (40.5, 24, 3),
        (40.5, 24.5, 4),  # > 40.0 °C for > 24 h
    ],
)
def test_fever_is_graded_from_its_maximum_temperature(temperature, hours_above_40, grade):
    assert fever_grade(temperature, hours_above_40) == grade


def test_the_sae_report_is_due_to_the_sponsor_24_hours_after_awareness():
    assert sponsor_deadline(T0) == T0 + dt.timedelta(hours=24)


def test_a_fatal_or_life_threatening_susar_is_due_in_7_days_and_complete_in_15():
    due = susar_deadlines(T0, fatal_or_lt=True)
    assert due == {
        ReportKind.susar_initial: T0 + dt.timedelta(days=7),
        ReportKind.susar_complete: T0 + dt.timedelta(days=15),
    }


def test_any_other_susar_is_due_in_15_days():
    assert susar_deadlines(T0, fatal_or_lt=False) == {ReportKind.susar: T0 + dt.timedelta(days=15)}


@pytest.mark.parametrize(
    ("submitted", "now", "state"),
    [
        (None, T0 + dt.timedelta(hours=23, minutes=59), ClockState.due),
        (None, T0 + dt.timedelta(hours=24), ClockState.due),
        (None, T0 + dt.timedelta(hours=24, seconds=1), ClockState.overdue),
        (T0 + dt.timedelta(hours=24), T0 + dt.timedelta(days=3), ClockState.submitted),
        (T0 + dt.timedelta(hours=25), T0 + dt.timedelta(days=3), ClockState.submitted_late),
    ],
)
def test_a_report_clock_is_due_overdue_or_submitted(submitted, now, state):
    assert clock_state(T0 + dt.timedelta(hours=24), submitted, now) is state


@pytest.mark.parametrize(
    ("serious", "related", "expectedness", "susar"),
    [
        (True, True, "unexpected", True),
        (True, True, "expected", False),
        (True, False, "unexpected", False),
        (False, True, "unexpected", False),
    ],
)
def test_a_susar_is_serious_related_and_unexpected(serious, related, expectedness, susar):
    assert is_susar(serious, related, expectedness) is susar


BASE = {
    "term": "Pneumonia bacterial",
    "onset_date": "2026-03-04",
    "grade": 3,
    "seriousness": ["hospitalisation"],
    "relationship_product": "unlikely",
    "relationship_infusion": "not_related",
    "expectedness": "unexpected",
    "outcome": "recovering",
}


def test_seriousness_and_severity_are_separate_questions():
    severe_not_serious = AdverseEventInput.model_validate({**BASE, "seriousness": []})
    assert severe_not_serious.grade == 3 and not severe_not_serious.serious
    mild_but_serious = AdverseEventInput.model_validate({**BASE, "grade": 1})
    assert mild_but_serious.serious


def test_an_event_related_to_the_infusion_counts_as_related():
    ae = AdverseEventInput.model_validate({**BASE, "relationship_infusion": "probable"})
    assert ae.related and ae.susar


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"grade": 5}, "grade"),  # grade 5 is death: outcome must be fatal
        ({"outcome": "fatal", "end_date": "2026-03-09", "seriousness": ["death"]}, "grade"),
        ({"grade": 5, "outcome": "fatal", "end_date": "2026-03-09"}, "seriousness"),
        ({"outcome": "recovered"}, "end_date"),
        ({"end_date": "2026-03-01", "outcome": "recovered"}, "end_date"),
        ({"end_date": "2026-03-06"}, "outcome"),  # ended, yet "recovering"
        ({"seriousness": ["death"]}, "outcome"),
        ({"grade": 6}, "grade"),
        ({"seriousness": ["sneezing"]}, "seriousness"),
        ({"awareness_at": "2026-03-05T10:00:00"}, "awareness_at"),  # no time zone
        ({"colour": "red"}, "colour"),
    ],
)
def test_inconsistent_adverse_events_are_refused(changes, field):
    with pytest.raises(ValidationError) as err:
        AdverseEventInput.model_validate({**BASE, **changes})
    assert field in str(err.value)


def test_a_fatal_event_is_grade_5_with_the_death_criterion():
    ae = AdverseEventInput.model_validate(
        {
            **BASE,
            "grade": 5,
            "outcome": "fatal",
            "end_date": "2026-03-09",
            "seriousness": ["death", "hospitalisation"],
        }
    )
    assert ae.serious and [s.value for s in ae.seriousness] == ["death", "hospitalisation"]
