"""Key risk indicators as data: a group's counts, its score and flag, thresholds, the accrual rule.

The flags follow gsm (Gilead's open-source RBM packages, ``gsm.core`` ``R/Flag.R``): a score
falls into a band between ascending cut-points, each band carries a flag (−2 … 2), and the
bands are closed on the lower side (R's ``cut(..., right = FALSE)``), so a score equal to a
cut-point takes the band above it. Below the accrual minimum (``Flag_Accrual``) a group has no
score and no flag.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from msctrial.core.errors import InvalidInput


class KriType(StrEnum):
    """What the numerator counts against the denominator."""

    binary = "binary"  # events among units (subjects, queries, pages): a proportion
    rate = "rate"  # events per exposure (subject-days on study): a rate


class Method(StrEnum):
    """How a group's metric is scored against all groups (gsm ``Analyze_*``)."""

    normal = "normal"  # normal approximation with over-dispersion: adjusted z
    poisson = "poisson"  # Poisson GLM with log-exposure offset: deviance residual
    fisher = "fisher"  # Fisher's exact, the group against the rest: two-sided p
    identity = "identity"  # the metric (or count) itself


class AccrualMetric(StrEnum):
    """What the accrual minimum is measured on (gsm ``strAccrualMetric``)."""

    denominator = "denominator"
    numerator = "numerator"
    difference = "difference"  # denominator − numerator


@dataclass(frozen=True)
class GroupCount:
    """One group's (site's, country's) numerator and denominator, summed over its rows."""

    group: str
    numerator: float
    denominator: float

    @property
    def metric(self) -> float | None:
        """Numerator over denominator; none for an empty denominator (gsm drops such groups)."""
        return self.numerator / self.denominator if self.denominator > 0 else None


@dataclass(frozen=True)
class GroupResult:
    """A group's metric, score and flag; score and flag are None below the accrual minimum."""

    group: str
    numerator: float
    denominator: float
    metric: float | None
    score: float | None
    flag: int | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "numerator": _plain(self.numerator),
            "denominator": _plain(self.denominator),
            "metric": self.metric,
            "score": self.score,
            "flag": self.flag,
            "note": self.note,
        }


def _plain(value: float) -> float | int:
    """A whole count prints as an integer (3, not 3.0)."""
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True)
class Thresholds:
    """Ascending cut-points and one flag per band (one more flag than cut-points)."""

    cuts: tuple[float, ...]
    flags: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.cuts:
            raise InvalidInput("thresholds: give at least one cut-point", field="thresholds")
        if any(math.isnan(c) or math.isinf(c) for c in self.cuts):
            raise InvalidInput(
                "thresholds: every cut-point must be a finite number", field="thresholds"
            )
        if list(self.cuts) != sorted(self.cuts) or len(set(self.cuts)) != len(self.cuts):
            raise InvalidInput(
                f"thresholds: cut-points must be strictly ascending, got {list(self.cuts)}",
                field="thresholds",
            )
        if len(self.flags) != len(self.cuts) + 1:
            raise InvalidInput(
                f"flags: {len(self.cuts)} cut-points make {len(self.cuts) + 1} bands, "
                f"so give {len(self.cuts) + 1} flags (got {len(self.flags)})",
                field="flags",
            )
        if any(f not in (-2, -1, 0, 1, 2) for f in self.flags):
            raise InvalidInput("flags: every flag is one of -2, -1, 0, 1, 2", field="flags")

    def flag(self, score: float) -> int:
        """The flag of the band holding ``score``; a score on a cut-point takes the upper band."""
        return self.flags[bisect.bisect_right(self.cuts, score)]

    @property
    def smallest_flagging_magnitude(self) -> float | None:
        """The smallest |score| that reaches a non-zero flag, for the "too few sites" warning."""
        reach = [
            abs(cut)
            for i, cut in enumerate(self.cuts)
            # the cut-point is the edge between a zero band and a flagged one
            if (self.flags[i] == 0) != (self.flags[i + 1] == 0)
        ]
        return min(reach) if reach else None

    def to_dict(self) -> dict[str, Any]:
        return {"cuts": list(self.cuts), "flags": list(self.flags)}


def default_flags(cuts: Sequence[float], method: Method) -> tuple[int, ...]:
    """gsm's flags for a number of cut-points: four → −2…2, two → 0,1,2 (high side only).

    Fisher's score is a p-value, small meaning unusual: two cut-points → 2, 1, 0 (gsm.core's
    Cookbook: ``Flag(vThreshold = c(0.01, 0.05), vFlag = c(2, 1, 0))``).
    """
    if method is Method.fisher and len(cuts) == 2:
        return (2, 1, 0)
    known = {4: (-2, -1, 0, 1, 2), 2: (0, 1, 2), 1: (0, 1)}
    if len(cuts) not in known:
        raise InvalidInput(
            f"flags: there is no default flag for {len(cuts)} cut-points; give the flags "
            f"(one per band, {len(cuts) + 1} of them)",
            field="flags",
        )
    return known[len(cuts)]


# gsm's documented defaults per method (gsm.core vignette KRIMethod.Rmd, RBM.md §2.2). Identity
# has none: its cut-points are counts or proportions particular to each KRI.
DEFAULT_CUTS: dict[Method, tuple[float, ...]] = {
    Method.normal: (-3.0, -2.0, 2.0, 3.0),
    Method.poisson: (-7.0, -5.0, 5.0, 7.0),
    Method.fisher: (0.01, 0.05),
}


def thresholds_for(
    method: Method, cuts: Sequence[float] | None = None, flags: Sequence[int] | None = None
) -> Thresholds:
    """The given cut-points and flags, or gsm's defaults for the method."""
    if cuts is None:
        if method not in DEFAULT_CUTS:
            raise InvalidInput(
                f"thresholds: the {method.value} method has no default cut-points; give them "
                "(e.g. 1,2 for gsm's premature-death count)",
                field="thresholds",
            )
        cuts = DEFAULT_CUTS[method]
    cut_tuple = tuple(float(c) for c in cuts)
    flag_tuple = tuple(flags) if flags is not None else default_flags(cut_tuple, method)
    return Thresholds(cut_tuple, flag_tuple)


def parse_numbers(text: str, field: str) -> tuple[float, ...]:
    """``"-3,-2,2,3"`` → (−3, −2, 2, 3), or InvalidInput naming the option."""
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise InvalidInput(
            f"{field}: {text!r} is not a comma-separated list of numbers (e.g. -3,-2,2,3)",
            field=field,
        ) from None


@dataclass(frozen=True)
class Accrual:
    """gsm's accrual minimum: a group below it gets no score and no flag."""

    minimum: float = 0.0
    metric: AccrualMetric = AccrualMetric.denominator

    def __post_init__(self) -> None:
        if math.isnan(self.minimum) or self.minimum < 0:
            raise InvalidInput("min_denominator: must be zero or more", field="min_denominator")

    def reached(self, count: GroupCount) -> bool:
        measured = {
            AccrualMetric.denominator: count.denominator,
            AccrualMetric.numerator: count.numerator,
            AccrualMetric.difference: count.denominator - count.numerator,
        }[self.metric]
        return measured >= self.minimum


def check_counts(counts: Sequence[GroupCount], kri_type: KriType) -> None:
    """Refuse what no method can score: negative or non-finite counts, a proportion above 1."""
    seen: set[str] = set()
    for c in counts:
        if c.group in seen:
            raise InvalidInput(f"group: {c.group!r} is given twice", field="group")
        seen.add(c.group)
        for name, value in (("numerator", c.numerator), ("denominator", c.denominator)):
            if math.isnan(value) or math.isinf(value) or value < 0:
                raise InvalidInput(
                    f"{name}: group {c.group!r} has {value}; counts and exposures are finite "
                    "and never negative",
                    field=name,
                )
        if kri_type is KriType.binary and c.numerator > c.denominator:
            raise InvalidInput(
                f"numerator: group {c.group!r} has {_plain(c.numerator)} events among "
                f"{_plain(c.denominator)}; a binary KRI's numerator cannot exceed its "
                "denominator (use --type rate for events per exposure)",
                field="numerator",
            )


def risk_score(flags: Sequence[tuple[int | None, Mapping[int, float]]]) -> float:
    """gsm.kri's site risk score (``CalculateRiskScore``, srs0001): 100 × Σ weights / Σ maxima.

    Each pair is one KRI's flag for the site and that KRI's weight per flag. The denominator is
    global, the same for every site: the maximum weight of every KRI given, whether or not this
    site reached its accrual minimum (a site without a flag earns nothing on that KRI). The
    caller leaves out a KRI no site has a flag for, as gsm drops its rows.
    """
    earned = sum(weights.get(flag, 0.0) for flag, weights in flags if flag is not None)
    possible = sum(max(weights.values()) for _, weights in flags if weights)
    return 100.0 * earned / possible if possible > 0 else 0.0


# --- what one record contributes to a KRI (the counts module applies these to every row) ---

# gsm kri0009: a query is delayed when it took (or is taking) more than 30 days to resolve.
QUERY_DELAY = dt.timedelta(days=30)
# gsm kri0010: a data page entered more than 10 days after its visit is entered late.
ENTRY_LAG_DAYS = 10


def days_on_study(day0: dt.date, exit_date: dt.date | None, today: dt.date) -> int:
    """Days from day 0 to the exit (or today), both counted: gsm's ``timeonstudy``."""
    end = min(exit_date, today) if exit_date is not None else today
    return max((end - day0).days + 1, 0)


def query_is_delayed(
    raised_at: dt.datetime,
    answered_at: dt.datetime | None,
    closed_at: dt.datetime | None,
    now: dt.datetime,
) -> bool:
    """Answered or closed more than 30 days after it was raised, or still open after 30 days."""
    resolved = answered_at or closed_at or now
    return resolved - raised_at > QUERY_DELAY


def entry_is_late(entered_on: dt.date, visit_date: dt.date) -> bool:
    """Entered (site calendar) more than 10 days after the visit."""
    return (entered_on - visit_date).days > ENTRY_LAG_DAYS


def no_pneumonia_on_ct(ct: dict[str, object]) -> bool:
    """The screening CT as entered shows no pneumonia: no lesion, and no opacities if said."""
    lesion = ct.get("lesion_proportion")
    opacities = ct.get("bilateral_opacities")
    return isinstance(lesion, float | int) and lesion <= 0 and opacities in (None, "false")


def died_within(day0: dt.date, death_date: dt.date, days: int) -> bool:
    """A death on study day ``days`` or earlier (day 0 is the day of randomisation)."""
    return (death_date - day0).days <= days


def report_is_late(
    due_at: dt.datetime, submitted_at: dt.datetime | None, now: dt.datetime
) -> bool | None:
    """Submitted after its deadline, or unsubmitted past it; None while it is not yet due."""
    if submitted_at is not None:
        return submitted_at > due_at
    return True if now > due_at else None


def administration_missed(
    day0: dt.date, study_day: int, window_days: int, infused: bool, today: dt.date
) -> bool:
    """A required administration whose window has closed without an infusion."""
    closes = day0 + dt.timedelta(days=study_day + window_days)
    return not infused and closes < today


class Intensity(StrEnum):
    """How a site is monitored next (ICH E6(R2) 5.18.3: on-site and centralised monitoring)."""

    full = "full"  # on-site, full source data verification
    targeted = "targeted"  # on-site, verification of the critical data only
    remote = "remote"  # centralised review only


def monitoring_intensity(
    risk_score: float,
    red_flags: int,
    full_at: float,
    targeted_at: float,
    critical_reds: int = 0,
) -> Intensity:
    """Full verification from ``full_at`` risk points or on a red flag of a KRI of critical
    data (``critical_reds``), targeted from ``targeted_at`` or on any red flag (a single red
    KRI is reason enough to go and look), otherwise remote."""
    if risk_score >= full_at or critical_reds > 0:
        return Intensity.full
    if risk_score >= targeted_at or red_flags > 0:
        return Intensity.targeted
    return Intensity.remote


@dataclass(frozen=True)
class FlagChange:
    """A KRI whose flag at a site differs from the previous snapshot's (gsm's flag-change view)."""

    kri: str
    site: str
    before: int | None
    after: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"kri": self.kri, "site": self.site, "before": self.before, "after": self.after}


def flag_changes(
    previous: Mapping[tuple[str, str], int | None], current: Mapping[tuple[str, str], int | None]
) -> list[FlagChange]:
    """Every (KRI, site) whose flag changed, appeared or disappeared between two snapshots."""
    keys = sorted(set(previous) | set(current))
    return [
        FlagChange(kri, site, previous.get((kri, site)), current.get((kri, site)))
        for kri, site in keys
        if previous.get((kri, site)) != current.get((kri, site))
    ]
