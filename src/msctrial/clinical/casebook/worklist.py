"""What is waiting for whom: the rules that pick the day's work out of the trial's records. Pure.

The service (``worklist_service``) loads the records a user may see; these functions decide
which of them need doing, how late they are and where a user goes to do them. Nothing here
reads a clock: ``today`` is the site's calendar day and ``now`` an aware UTC time, passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Visit states a site still has to act on (clinical.visits.windows.VisitState): the window is
# open (due, partly entered) or closed with nothing or not everything entered.
VISIT_STATES_TO_DO = ("due", "partial", "overdue", "incomplete")

# A lot is "expiring soon" within this many days: long enough to schedule its use or a
# replacement shipment; an msctrial choice, not a regulation.
EXPIRY_WARNING_DAYS = 30

# Open queries by age. Past 30 days is where gsm's kri0009 "Delayed Query Resolution Rate"
# counts a query as delayed (`queryage>30`; shared RBM.md); the one-week band is ours, so a
# monitor sees what is about to become delayed.
QUERY_AGE_BANDS: tuple[tuple[int, str], ...] = (
    (7, "under a week"),
    (31, "7 to 30 days"),
)
QUERY_AGE_OLDEST = "over 30 days"


@dataclass(frozen=True)
class WorkItem:
    """One thing to do: what, for which subject or lot, how late, and the page that does it."""

    what: str
    href: str
    subject: str | None = None
    site: str | None = None
    due: dt.date | None = None
    days_late: int = 0
    at: dt.datetime | None = None  # a deadline or a moment, in the site's time zone
    note: str = ""

    @property
    def late(self) -> bool:
        return self.days_late > 0


@dataclass(frozen=True)
class Section:
    """A heading of the worklist and its items; ``empty`` says what it means to have none."""

    key: str
    title: str
    items: tuple[WorkItem, ...]
    empty: str


def visit_is_to_do(state: str) -> bool:
    return state in VISIT_STATES_TO_DO


def days_late(deadline: dt.date | None, today: dt.date) -> int:
    """Whole days past ``deadline`` (the last day of a window); 0 when not past or no deadline."""
    if deadline is None:
        return 0
    return max((today - deadline).days, 0)


def administration_is_due(
    state: str, earliest: dt.date | None, latest: dt.date | None, today: dt.date
) -> bool:
    """A planned or dispensed administration whose window has opened (today or late).

    An administration with no window yet (day 0 not fixed) is not due: the schedule is set at
    randomisation, and the randomisation is its own item.
    """
    if state not in ("planned", "dispensed"):
        return False
    return earliest is not None and earliest <= today


def administration_label(study_day: int) -> str:
    """ "Day 3 infusion": how a ward names an administration (never its row number)."""
    return f"Day {study_day} infusion"


def awaits_consent(status: str) -> bool:
    return status == "prescreening"


def awaits_randomisation(status: str, eligible: bool | None, consented: bool) -> bool:
    """Screened eligible and consented, but not yet randomised."""
    return status == "screening" and bool(eligible) and consented


def awaits_screening(status: str, eligible: bool | None, consented: bool) -> bool:
    """Consented but not yet screened (or screened without a verdict)."""
    return status == "screening" and consented and eligible is None


def query_age_days(raised_at: dt.datetime, now: dt.datetime) -> int:
    return max((now - raised_at).days, 0)


def days_ago(days: int) -> str:
    if days == 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"


def query_age_band(days: int) -> str:
    for limit, name in QUERY_AGE_BANDS:
        if days < limit:
            return name
    return QUERY_AGE_OLDEST


def queries_by_age(ages: Iterable[int]) -> list[tuple[str, int]]:
    """How many open queries fall in each age band, youngest band first, every band listed."""
    counts = dict.fromkeys([name for _, name in QUERY_AGE_BANDS] + [QUERY_AGE_OLDEST], 0)
    for days in ages:
        counts[query_age_band(days)] += 1
    return list(counts.items())


def clock_is_running(submitted_at: dt.datetime | None) -> bool:
    """An expedited SAE report's clock runs until the report is submitted."""
    return submitted_at is None


def lot_is_expiring(
    status: str, expires_on: dt.date, today: dt.date, within: int = EXPIRY_WARNING_DAYS
) -> bool:
    """A released lot that is still usable but expires within ``within`` days."""
    return status == "released" and today <= expires_on <= today + dt.timedelta(days=within)


def lot_awaits_qc(status: str) -> bool:
    """A lot in quarantine waits for its results or for the release decision."""
    return status == "quarantine"


def cumulative_enrolment(randomised_on: Iterable[dt.date]) -> list[tuple[dt.date, int]]:
    """The running count of randomised subjects, one point per day someone was randomised."""
    out: list[tuple[dt.date, int]] = []
    for total, day in enumerate(sorted(randomised_on), start=1):
        if out and out[-1][0] == day:
            out[-1] = (day, total)
        else:
            out.append((day, total))
    return out


def by_lateness(items: Sequence[WorkItem]) -> tuple[WorkItem, ...]:
    """The latest first, then by due date and subject: what is most overdue is done first."""
    return tuple(
        sorted(items, key=lambda i: (-i.days_late, i.due or dt.date.max, i.subject or "", i.what))
    )
