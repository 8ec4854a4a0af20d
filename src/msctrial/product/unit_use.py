"""A unit at the bedside: the check before it is given, its use, a voided issue.

The second half of the pharmacy's contract with ``msctrial.clinical`` (the first is
``inventory``); re-exported from ``msctrial.product.service``. These only *flush*.

``record_unit_use(session, actor, unit_code, *, subject_code, administration_no, infused_at,
thawed_at=None, settings=None) -> IssueRecord``
    The bedside check and record. Investigator, coordinator or pharmacist at the issue's site,
    or system. Refuses (``RuleViolation``) a unit not issued, issued to another subject or
    another administration, already used, from a lot no longer released, expired at
    ``infused_at``, or infused more than ``max_hold_h`` after ``thawed_at``. Sets ``used_at``.
    The returned record is blinded for blinded actors.

``unit_problems(session, actor, unit_code, *, subject_code, administration_no, at,
thawed_at=None, settings=None) -> list[str]``
    The same checks as ``record_unit_use`` at ``at``, writing nothing: the bedside check
    before an infusion (clinical records its result).

``void_issue(session, actor, unit_code, *, reason, now, return_to_stock=False) -> None``
    Pharmacist at the issue's site, or system: a dispensing error. A reason is required; an
    infused unit cannot be voided. The unit goes back to stock only with ``return_to_stock``
    (never thawed); otherwise it is discarded with the reason.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from msctrial.core.settings import Settings
from msctrial.product.inventory import BEDSIDE, _aware, _today, issue_record, max_hold_h
from msctrial.product.model import LotStatus, within_shelf_life
from msctrial.product.schemas import IssueRecord
from msctrial.product.tables import Unit, UnitIssue


def _current_issue(session: Session, unit_code: str) -> tuple[UnitIssue, Unit]:
    code = (unit_code or "").strip().upper()
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"unit_code: no unit {unit_code!r}", field="unit_code")
    issue = session.scalar(
        select(UnitIssue)
        .where(UnitIssue.unit_code == code, UnitIssue.voided_at.is_(None))
        .with_for_update()
    )
    if issue is None:
        raise RuleViolation(
            f"unit {code} has not been issued to any subject; the pharmacy issues it first",
            field="unit_code",
        )
    return issue, unit


def unit_problems(
    session: Session,
    actor: Actor,
    unit_code: str,
    *,
    subject_code: str,
    administration_no: int,
    at: dt.datetime,
    thawed_at: dt.datetime | None = None,
    settings: Settings | None = None,
) -> list[str]:
    """Why the scanned unit may not be infused into this subject at ``at``; empty if it may.

    Writes nothing: the bedside check records its own result.
    """
    _aware(at, "at")
    issue, unit = _current_issue(session, unit_code)
    actor.require(*BEDSIDE, site_id=issue.site_id, to="check units at the bedside at this site")
    code = unit.code
    reasons: list[str] = []
    if issue.subject_code != subject_code:
        reasons.append(f"unit {code} was not issued to subject {subject_code}; do not infuse it")
    elif issue.administration_no != administration_no:
        reasons.append(
            f"unit {code} was issued for administration {issue.administration_no}, "
            f"not {administration_no}"
        )
    if issue.used_at is not None:
        reasons.append(f"unit {code} was already infused at {issue.used_at:%Y-%m-%d %H:%M} UTC")
    if unit.lot.status != LotStatus.released.value:
        reasons.append(f"unit {code} may no longer be used (its lot was withdrawn)")
    if not within_shelf_life(unit.lot.expires_on, _today(at)):
        reasons.append(f"unit {code} is past its expiry date")
    if thawed_at is not None:
        _aware(thawed_at, "thawed_at")
        if thawed_at > at:
            raise InvalidInput("thawed_at: must not be after the infusion", field="thawed_at")
        hours = (at - thawed_at).total_seconds() / 3600
        # The window is not named to blinded staff: a placebo with another window would tell.
        if hours > max_hold_h(unit.lot.product, settings):
            reasons.append(
                f"unit {code} was thawed {hours:.1f} h before the infusion, past its "
                "post-thaw window"
            )
    return reasons


def record_unit_use(
    session: Session,
    actor: Actor,
    unit_code: str,
    *,
    subject_code: str,
    administration_no: int,
    infused_at: dt.datetime,
    thawed_at: dt.datetime | None = None,
    settings: Settings | None = None,
) -> IssueRecord:
    """Check the scanned unit against the subject at the bedside and record its infusion."""
    _aware(infused_at, "infused_at")
    reasons = unit_problems(
        session,
        actor,
        unit_code,
        subject_code=subject_code,
        administration_no=administration_no,
        at=infused_at,
        thawed_at=thawed_at,
        settings=settings,
    )
    if reasons:
        raise RuleViolation("; ".join(reasons), field="unit_code", reasons=reasons)
    issue, unit = _current_issue(session, unit_code)
    audit.attach(session, actor)
    with audit.because(session, "infusion recorded at the bedside", action="use"):
        issue.used_at = infused_at
        issue.used_by = actor.audit_name
        if thawed_at is not None:
            issue.thawed_at = thawed_at
    return issue_record(issue, unit, actor, settings)


def void_issue(
    session: Session,
    actor: Actor,
    unit_code: str,
    *,
    reason: str,
    now: dt.datetime,
    return_to_stock: bool = False,
) -> None:
    """Void a dispensing error; the unit is discarded unless it goes back to stock unthawed."""
    reason = audit.require_reason(reason, "void a unit issue")
    _aware(now, "now")
    issue, unit = _current_issue(session, unit_code)
    actor.require("pharmacist", site_id=issue.site_id, to="void a unit issue at this site")
    if issue.used_at is not None:
        raise Conflict(
            f"unit {unit.code} was infused; an infusion cannot be voided, record what happened "
            "as an adverse event or deviation instead",
            field="unit_code",
        )
    if return_to_stock and issue.thawed_at is not None:
        raise RuleViolation(
            f"unit {unit.code} was thawed; a thawed unit cannot go back to stock",
            field="return_to_stock",
        )
    audit.attach(session, actor)
    with audit.because(session, reason, action="void"):
        issue.voided_at = now
        issue.void_reason = reason
        issue.returned_to_stock = return_to_stock
