"""The rules an administration must obey, and what breaking one is called. Pure.

The planned days and doses are the protocol's (``protocol.dosing``); the
limits on the number of infusions and the interval between them come from the expert-guidance
ruleset (DOMAIN §2: at most 3 infusions, at least 3 days apart; CLINICAL_FACTS §7 says these are
quotations to be checked, so they are read from the ruleset, not written here). Breaking a
rule is refused unless an investigator overrides it with a reason, which is a protocol
deviation (``DeviationKind``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from msctrial.protocol.dosing import PlannedDose


@dataclass(frozen=True)
class ScheduleLimits:
    max_infusions: int  # ruleset infusions.max
    min_interval_days: int  # ruleset interval.min_days
    source: str


@dataclass(frozen=True)
class ScheduleProblem:
    kind: DeviationKind
    message: str


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


class DeviationKind(StrEnum):
    """Schedule rules an investigator may override with a reason; each override is a deviation."""

    out_of_window = "out_of_window"
    extra_administration = "extra_administration"
    interval_too_short = "interval_too_short"
