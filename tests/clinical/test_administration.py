"""Schedule rules: windows, a fourth infusion, the minimum interval, the dose range."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.clinical.dosing.rules import ScheduleLimits, check_administration
from msctrial.protocol.dosing import PlannedDose, dose_cells_range, planned_schedule, window_dates
from msctrial.protocol.model import Dose, Schedule

# The guidance as the ruleset quotes it (DOMAIN §2): ≤ 3 infusions, ≥ 3 days apart.
LIMITS = ScheduleLimits(max_infusions=3, min_interval_days=3, source="test")
SCHEDULE = Schedule(days=[0, 3, 6], window_days=1)


def kinds(problems):
    return {p.kind.value for p in problems}


def test_the_schedule_numbers_the_protocol_days():
    assert planned_schedule(SCHEDULE) == [
        PlannedDose(1, 0, 1),
        PlannedDose(2, 3, 1),
        PlannedDose(3, 6, 1),
    ]
    optional = planned_schedule(Schedule(days=[0, 3], optional_days=[6]))
    assert [p.optional for p in optional] == [False, False, True]


def test_window_dates_count_from_day_0():
    assert window_dates(dt.date(2026, 3, 1), PlannedDose(2, 3, 1)) == (
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 4),
        dt.date(2026, 3, 5),
    )


@pytest.mark.parametrize(
    ("number", "given_day", "previous", "expected"),
    [
        (2, 3, [0], set()),
        (2, 4, [0], set()),  # day 3 + 1: inside the window
        (2, 5, [0], {"out_of_window"}),
        (2, 2, [0], {"interval_too_short"}),  # inside the window, but 2 days after day 0
        (3, 6, [0, 4], {"interval_too_short"}),
        (3, 6, [0, 3], set()),
        (4, 9, [0, 3, 6], {"extra_administration", "out_of_window"}),
    ],
)
def test_schedule_rules(number, given_day, previous, expected):
    planned = {p.number: p for p in planned_schedule(SCHEDULE)}
    dose = planned.get(number, PlannedDose(number, 12, 0))
    problems = check_administration(dose, given_day, previous, LIMITS, scheduled_count=3)
    assert kinds(problems) == expected


def test_a_fourth_infusion_breaks_the_guidance_even_when_the_protocol_schedules_it():
    four = Schedule(days=[1, 3, 5, 7])  # NCT04269525 gave 4 (CLINICAL_FACTS §7)
    fourth = planned_schedule(four)[3]
    problems = check_administration(fourth, 7, [1, 3, 5], LIMITS, scheduled_count=4)
    assert "extra_administration" in kinds(problems)


@pytest.mark.parametrize(
    ("dose", "weight", "low", "high"),
    [
        (Dose(value=2e6, unit="cells/kg"), 70, 1.26e8, 1.54e8),  # ±10% of 1.4×10^8
        (Dose(value=1e6, unit="cells/kg", max=5e6), 60, 6e7, 3e8),
        (Dose(value=4e7, unit="cells"), 80, 3.6e7, 4.4e7),
    ],
)
def test_dose_range_for_the_weight(dose, weight, low, high):
    lo, hi = dose_cells_range(dose, weight)
    assert lo == pytest.approx(low) and hi == pytest.approx(high)
