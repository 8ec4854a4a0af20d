"""The visit schedule of one subject: windows from day 0, and where each visit stands today.

Pure. The protocol lists visits (name, study day, ± window, forms); a subject's calendar
follows from their day-0 date (``Subject.day0_date``, the protocol's day-0 event). A visit is
*upcoming* before its window opens, *due* inside it, *overdue* once it has closed with nothing
entered and *incomplete* once it has closed with forms still missing; *partial* and
*complete* say how much of an open or finished visit is in. A visit the site declared not done
(with a reason) is *not_done*; one whose window opens after the subject left the trial (death,
withdrawal) is *not_expected*. Before day 0 is known only visits before day 0 (screening)
can be due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from msctrial.protocol.model import Visit


class VisitState(StrEnum):
    upcoming = "upcoming"
    due = "due"
    partial = "partial"
    complete = "complete"
    overdue = "overdue"
    incomplete = "incomplete"
    not_done = "not_done"
    not_expected = "not_expected"
    unscheduled = "unscheduled"  # waiting for day 0

    @property
    def needs_action(self) -> bool:
        """Listed on the missing and overdue page."""
        return self in (VisitState.overdue, VisitState.incomplete)


@dataclass(frozen=True)
class Window:
    visit: Visit
    target: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None

    def contains(self, day: dt.date) -> bool:
        if self.earliest is None or self.latest is None:
            return True
        return self.earliest <= day <= self.latest


@dataclass(frozen=True)
class VisitStatus:
    window: Window
    state: VisitState
    forms_done: tuple[str, ...] = ()
    forms_missing: tuple[str, ...] = ()
    visit_date: dt.date | None = None
    out_of_window: bool = False
    days_overdue: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.window.visit.name


def windows(visits: Sequence[Visit], day0: dt.date | None) -> list[Window]:
    """Each visit's target date and window; dates are None until day 0 is known."""
    out = []
    for v in sorted(visits, key=lambda v: v.day):
        if day0 is None:
            out.append(Window(v, None, None, None))
            continue
        target = day0 + dt.timedelta(days=v.day)
        w = dt.timedelta(days=v.window_days)
        out.append(Window(v, target, target - w, target + w))
    return out


@dataclass(frozen=True)
class Recorded:
    """What the site has entered for one visit."""

    visit_date: dt.date | None = None
    forms: frozenset[str] = frozenset()
    not_done_reason: str | None = None


def visit_status(
    window: Window,
    recorded: Recorded | None,
    today: dt.date,
    *,
    left_trial_on: dt.date | None = None,
) -> VisitStatus:
    """Where one visit stands on ``today``."""
    visit = window.visit
    rec = recorded or Recorded()
    done = tuple(f for f in visit.forms if f in rec.forms)
    missing = tuple(f for f in visit.forms if f not in rec.forms)
    out_of_window = rec.visit_date is not None and not window.contains(rec.visit_date)

    def status(state: VisitState, overdue: int = 0) -> VisitStatus:
        return VisitStatus(window, state, done, missing, rec.visit_date, out_of_window, overdue)

    if rec.not_done_reason:
        return status(VisitState.not_done)
    if not missing and (rec.forms or not visit.forms) and rec.visit_date is not None:
        return status(VisitState.complete)
    started = bool(done)
    if window.target is None:
        if visit.day < 0:
            return status(VisitState.partial if started else VisitState.due)
        return status(VisitState.partial if started else VisitState.unscheduled)
    assert window.earliest is not None and window.latest is not None
    if left_trial_on is not None and window.earliest >= left_trial_on and not started:
        return status(VisitState.not_expected)
    if today < window.earliest:
        return status(VisitState.partial if started else VisitState.upcoming)
    if today <= window.latest:
        return status(VisitState.partial if started else VisitState.due)
    late = (today - window.latest).days
    return status(VisitState.incomplete if started else VisitState.overdue, late)


def schedule_status(
    visits: Sequence[Visit],
    day0: dt.date | None,
    recorded: Mapping[str, Recorded],
    today: dt.date,
    *,
    left_trial_on: dt.date | None = None,
) -> list[VisitStatus]:
    """Every visit of the protocol for one subject, in study-day order."""
    return [
        visit_status(w, recorded.get(w.visit.name), today, left_trial_on=left_trial_on)
        for w in windows(visits, day0)
    ]


def find_visit(visits: Iterable[Visit], name: str) -> Visit | None:
    wanted = name.strip().lower()
    return next((v for v in visits if v.name.lower() == wanted), None)


def visit_key(name: str) -> str:
    """A URL-safe key for a visit name: 'Day 14' → 'day-14'."""
    return "-".join(name.strip().lower().split())


def visit_by_key(visits: Iterable[Visit], key: str) -> Visit | None:
    key = key.strip().lower()
    return next((v for v in visits if visit_key(v.name) == key or v.name.lower() == key), None)
