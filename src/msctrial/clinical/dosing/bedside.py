"""Verify at bedside: the units checked against the patient before the infusion starts.

Its own step, before the infusion and apart from its record (issue 9, hole 2): a wrong bag is
caught while it can still be set aside, not after it was given. Each unit is scanned and
checked against the subject, the administration, the dispensation, the lot's release and
expiry and the post-thaw window; every dispensed unit must be scanned. A check is recorded
whether it passes or not, a refusal with its reasons. ``record_infusion`` then needs a passed
check of that administration made shortly before the infusion started.

What the bedside sees names unit codes, times and reasons only: no product kind, lot, cell
count or hold time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.dosing.dispensing import _randomised
from msctrial.clinical.dosing.schedule import (
    active_dispensation,
    get_administration,
    given_infusions,
)
from msctrial.clinical.dosing.tables import BedsideCheck, Dispensation
from msctrial.clinical.subjects.access import check_time
from msctrial.clinical.subjects.consent import require_consent
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, NotFound, RuleViolation
from msctrial.core.settings import Settings

BEDSIDE = ("investigator", "coordinator", "pharmacist")

# A check stands for the bags at the bedside at that moment; one made longer ago than this
# before the infusion starts is done again. A design choice (D): long enough to hang the bag
# and take the vital signs before, short enough that the bag checked is the bag given.
CHECK_VALID_FOR = dt.timedelta(minutes=60)
# Times are entered to the minute: a start in the minute of the check is after it.
ENTRY_PRECISION = dt.timedelta(minutes=1)


def scanned_codes(scanned_unit_codes: Sequence[str]) -> list[str]:
    """The scanned barcodes, cleaned; at least one, none twice."""
    codes = [c.strip().upper() for c in scanned_unit_codes if c and c.strip()]
    if not codes:
        raise InvalidInput(
            "scanned_unit_codes: scan the unit's barcode", field="scanned_unit_codes"
        )
    if len(set(codes)) != len(codes):
        raise InvalidInput(
            "scanned_unit_codes: a unit is scanned twice", field="scanned_unit_codes"
        )
    return codes


def _scan_problems(
    session: Session,
    actor: Actor,
    subject: Subject,
    number: int,
    dispensation: Dispensation,
    scanned: list[str],
    now: dt.datetime,
    settings: Settings | None,
) -> list[str]:
    from msctrial.product import service as product

    dispensed = list(dispensation.unit_codes)
    reasons = [
        f"unit {c} was not dispensed for {subject.subject_code} administration {number}; "
        "do not infuse it"
        for c in scanned
        if c not in dispensed
    ]
    missing = [c for c in dispensed if c not in scanned]
    if missing:
        reasons.append(f"not scanned: {', '.join(missing)}; scan every unit dispensed")
    for code in scanned:
        if code in dispensed:
            reasons += product.unit_problems(
                session,
                actor,
                code,
                subject_code=subject.subject_code,
                administration_no=number,
                at=now,
                thawed_at=dispensation.thawed_at,
                settings=settings,
            )
    # Each scanned unit's post-thaw window (CLINICAL_FACTS §5.4) is judged by unit_problems.
    return list(dict.fromkeys(reasons))


def verify_at_bedside(
    session: Session,
    actor: Actor,
    subject_code: str,
    administration_no: int,
    *,
    scanned_unit_codes: Sequence[str],
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> BedsideCheck:
    """Check the scanned units before the infusion and record the result, passed or refused."""
    subject = _randomised(session, actor, subject_code)
    actor.require(*BEDSIDE, site_id=subject.site_id, to="check units at the bedside here")
    now = check_time(now, "now")
    scanned = scanned_codes(scanned_unit_codes)
    administration = get_administration(session, subject, administration_no)
    reasons: list[str] = []
    try:
        require_consent(session, subject, now)
    except RuleViolation as exc:
        reasons.append(exc.message)
    dispensation = active_dispensation(session, administration)
    if any(i.administration_id == administration.id for i in given_infusions(session, subject)):
        reasons.append(f"administration {administration_no} was already given")
    elif dispensation is None:
        reasons.append(
            f"administration {administration_no} has not been dispensed; the pharmacy "
            "dispenses it first"
        )
    else:
        reasons += _scan_problems(
            session, actor, subject, administration_no, dispensation, scanned, now, settings
        )
    audit.attach(session, actor)
    check = BedsideCheck(
        subject_id=subject.id,
        site_id=subject.site_id,
        administration_id=administration.id,
        dispensation_id=dispensation.id if dispensation else None,
        scanned_unit_codes=scanned,
        passed=not reasons,
        reasons=reasons,
        checked_by=actor.audit_name,
        checked_at=now,
    )
    session.add(check)
    session.commit()
    return check


def latest_check(session: Session, subject: Subject, administration_no: int) -> BedsideCheck | None:
    """The last bedside check of one administration, passed or not."""
    administration = get_administration(session, subject, administration_no)
    return session.scalar(
        select(BedsideCheck)
        .where(BedsideCheck.administration_id == administration.id)
        .order_by(BedsideCheck.checked_at.desc(), BedsideCheck.id.desc())
        .limit(1)
    )


def check_to_infuse(
    session: Session,
    subject: Subject,
    administration_id: int,
    dispensation: Dispensation,
    check_id: int | None,
    started_at: dt.datetime,
) -> BedsideCheck:
    """The passed check an infusion starting at ``started_at`` is given after; refuse others."""
    if check_id is None:
        raise InvalidInput(
            "bedside_check_id: verify the units at the bedside before the infusion",
            field="bedside_check_id",
        )
    check = session.get(BedsideCheck, check_id)
    if check is None or check.subject_id != subject.id:
        raise NotFound(f"bedside_check_id: no bedside check {check_id}", field="bedside_check_id")
    if check.administration_id != administration_id:
        raise RuleViolation(
            "bedside_check_id: that check was of another administration", field="bedside_check_id"
        )
    if not check.passed:
        raise RuleViolation(
            "bedside_check_id: the bedside check refused these units; do not infuse them",
            field="bedside_check_id",
        )
    if check.dispensation_id != dispensation.id:
        raise RuleViolation(
            "bedside_check_id: the units were dispensed again after that check; check again",
            field="bedside_check_id",
        )
    if started_at < check.checked_at - ENTRY_PRECISION:
        raise RuleViolation(
            "started_at: the infusion cannot start before the bedside check "
            f"({check.checked_at:%Y-%m-%d %H:%M} UTC)",
            field="started_at",
        )
    if started_at - check.checked_at > CHECK_VALID_FOR:
        raise RuleViolation(
            "started_at: the bedside check was made more than an hour before the infusion "
            "started; check the units again right before starting",
            field="started_at",
        )
    return check
