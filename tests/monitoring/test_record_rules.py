"""What one record contributes to a KRI: gsm's day counts and lags, at their edges."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.monitoring.model import (
    administration_missed,
    days_on_study,
    died_within,
    entry_is_late,
    query_is_delayed,
    report_is_late,
    risk_score,
)

D0 = dt.date(2026, 3, 1)
T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("exit_date", "today", "days"),
    [
        (None, D0, 1),  # randomised today: one day on study
        (None, D0 + dt.timedelta(days=27), 28),
        (D0 + dt.timedelta(days=9), D0 + dt.timedelta(days=40), 10),  # exit ends the count
        (None, D0 - dt.timedelta(days=1), 0),  # day 0 in the future of the site's calendar
    ],
)
def test_days_on_study_count_both_ends(exit_date, today, days):
    assert days_on_study(D0, exit_date, today) == days


@pytest.mark.parametrize(
    ("answered", "closed", "now", "delayed"),
    [
        (T0 + dt.timedelta(days=30), None, T0 + dt.timedelta(days=90), False),  # exactly 30 d
        (T0 + dt.timedelta(days=30, seconds=1), None, T0 + dt.timedelta(days=90), True),
        (None, T0 + dt.timedelta(days=5), T0 + dt.timedelta(days=90), False),
        (None, None, T0 + dt.timedelta(days=29), False),  # open, not yet 30 days old
        (None, None, T0 + dt.timedelta(days=31), True),  # open past 30 days
    ],
)
def test_a_query_is_delayed_after_more_than_30_days(answered, closed, now, delayed):
    assert query_is_delayed(T0, answered, closed, now) is delayed


@pytest.mark.parametrize(("lag", "late"), [(0, False), (10, False), (11, True)])
def test_an_entry_is_late_more_than_10_days_after_the_visit(lag, late):
    assert entry_is_late(D0 + dt.timedelta(days=lag), D0) is late


@pytest.mark.parametrize(("day", "within"), [(0, True), (90, True), (91, False)])
def test_death_within_90_days_counts_day_90(day, within):
    assert died_within(D0, D0 + dt.timedelta(days=day), 90) is within


def test_an_sae_report_is_late_after_its_deadline_or_unsubmitted_past_it():
    due = T0 + dt.timedelta(hours=24)
    assert report_is_late(due, due, T0) is False
    assert report_is_late(due, due + dt.timedelta(minutes=1), T0) is True
    assert report_is_late(due, None, due + dt.timedelta(minutes=1)) is True
    assert report_is_late(due, None, T0) is None  # not yet due: not counted


def test_an_administration_is_missed_once_its_window_has_closed_uninfused():
    # day 3 ± 1: the window closes at the end of day 4
    assert administration_missed(D0, 3, 1, False, D0 + dt.timedelta(days=4)) is False
    assert administration_missed(D0, 3, 1, False, D0 + dt.timedelta(days=5)) is True
    assert administration_missed(D0, 3, 1, True, D0 + dt.timedelta(days=30)) is False


def test_the_site_risk_score_is_gsm_weights_over_the_global_maximum():
    """AE flag −2 (weight 32 of a maximum 32) and SAE flag 0 (0 of 8); a third KRI without a
    flag for this site still counts its maximum 16: 100 × 32 / (32 + 8 + 16) = 57.14."""
    ae = {-2: 32.0, -1: 16.0, 0: 0.0, 1: 1.0, 2: 2.0}
    sae = {-2: 8.0, -1: 0.0, 0: 0.0, 1: 4.0, 2: 8.0}
    sdsc = {0: 0.0, 1: 16.0, 2: 32.0}
    assert risk_score([(-2, ae), (0, sae), (None, {0: 0.0, 1: 8.0, 2: 16.0})]) == pytest.approx(
        100 * 32 / 56
    )
    assert risk_score([(0, sdsc)]) == 0.0
    assert risk_score([]) == 0.0
