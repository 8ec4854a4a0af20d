"""Administration schedule rules: which doses a subject is due, when, and how many cells. Pure.

The schedule (days from day 0 with a ± window) and the dose come from the protocol arm; the
limits on the number of infusions and the interval between them come from the expert-guidance
ruleset (DOMAIN §2: at most 3 infusions, at least 3 days apart; CLINICAL_FACTS §7 says these are
quotations to be checked, so they are read from the ruleset, not written here). Breaking a
rule is refused unless an investigator overrides it with a reason, which is a protocol
deviation (``DeviationKind``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from msctrial.core.errors import InvalidInput
from msctrial.protocol.dosing import total_cells
from msctrial.protocol.model import Dose, DoseUnit, Schedule

# A cell count is measured to about ±10% (manual or automated counting of a thawed product);
# a single-valued protocol dose is accepted within that tolerance. A design choice (D).
SINGLE_DOSE_TOLERANCE = 0.10


@dataclass(frozen=True)
class PlannedDose:
    number: int
    study_day: int
    window_days: int
    optional: bool = False


@dataclass(frozen=True)
class ScheduleLimits:
    max_infusions: int  # ruleset infusions.max
    min_interval_days: int  # ruleset interval.min_days
    source: str


@dataclass(frozen=True)
class ScheduleProblem:
    kind: DeviationKind
    message: str


def planned_schedule(schedule: Schedule) -> list[PlannedDose]:
    """The administrations of an arm's schedule, numbered from 1, optional ones flagged."""
    planned = set(schedule.planned_days)
    return [
        PlannedDose(i, day, schedule.window_days, optional=day not in planned)
        for i, day in enumerate(schedule.all_days, start=1)
    ]


def study_day(day0: dt.date, on: dt.date) -> int:
    """Days since day 0 (day 0 itself is 0; no day "-0" or skipped 0)."""
    return (on - day0).days


def window_dates(day0: dt.date, dose: PlannedDose) -> tuple[dt.date, dt.date, dt.date]:
    """(earliest, target, latest) calendar date of one administration."""
    target = day0 + dt.timedelta(days=dose.study_day)
    w = dt.timedelta(days=dose.window_days)
    return target - w, target, target + w


def check_administration(
    dose: PlannedDose,
    given_day: int,
    previous_days: list[int],
    limits: ScheduleLimits,
    *,
    scheduled_count: int,
) -> list[ScheduleProblem]:
    """Every schedule rule that giving ``dose`` on study day ``given_day`` would break.

    ``previous_days`` are the study days of the infusions already given; ``scheduled_count`` is
    the number of administrations the protocol schedules (planned and optional).
    """
    problems: list[ScheduleProblem] = []
    if abs(given_day - dose.study_day) > dose.window_days:
        problems.append(
            ScheduleProblem(
                DeviationKind.out_of_window,
                f"administration {dose.number} is due on day {dose.study_day} "
                f"± {dose.window_days}; day {given_day} is outside its window",
            )
        )
    count = len(previous_days) + 1
    if dose.number > scheduled_count or count > limits.max_infusions:
        problems.append(
            ScheduleProblem(
                DeviationKind.extra_administration,
                f"this would be infusion {count}; the protocol schedules {scheduled_count} and "
                f"the guidance allows at most {limits.max_infusions} ({limits.source})",
            )
        )
    earlier = [d for d in previous_days if d <= given_day]
    if earlier:
        gap = given_day - max(earlier)
        if gap < limits.min_interval_days:
            problems.append(
                ScheduleProblem(
                    DeviationKind.interval_too_short,
                    f"{gap} day(s) after the previous infusion; the guidance asks for at least "
                    f"{limits.min_interval_days} ({limits.source})",
                )
            )
    return problems


def dose_cells_range(dose: Dose, weight_kg: float) -> tuple[float, float]:
    """The cells one administration may contain: the protocol's range for this weight."""
    if dose.unit not in (DoseUnit.cells, DoseUnit.cells_per_kg):
        raise InvalidInput(f"dose.unit: {dose.unit.value} is not a cell dose", field="dose.unit")
    low = total_cells(dose, weight_kg)
    if dose.max is not None:
        high = total_cells(Dose(value=dose.max, unit=dose.unit), weight_kg)
        return low, high
    return low * (1 - SINGLE_DOSE_TOLERANCE), low * (1 + SINGLE_DOSE_TOLERANCE)


def target_cells(dose: Dose, weight_kg: float) -> float:
    """The cells to give: the protocol dose (the lower end of a range) for this weight."""
    return total_cells(dose, weight_kg)


class DeviationKind(StrEnum):
    """Schedule rules an investigator may override with a reason; each override is a deviation."""

    out_of_window = "out_of_window"
    extra_administration = "extra_administration"
    interval_too_short = "interval_too_short"
