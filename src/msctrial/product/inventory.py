"""The pharmacy's stock and the chain of identity: the contract with ``msctrial.clinical``.

Clinical (dispensing and the bedside) calls these, re-exported from ``msctrial.product.service``.
They only *flush*: the caller's transaction commits (or rolls everything back). Each one checks
permission and writes through the ORM, so the audit trail records it. Subjects are known by
``subject_code``, the clinical package's pseudonymised id (site code + sequence, ``WUH-001``);
product never imports clinical. ``now``/``infused_at`` are timezone-aware datetimes; expiry is
judged on their UTC date (a lot is usable through its ``expires_on`` day).

``available_units(session, actor, *, kind, now) -> list[UnitPublic]``
    Pharmacist (any site), QC or system. Units of ``kind`` ("cells" | "placebo") in released
    lots not expired at ``now``, never issued (or whose every issue was voided back to stock);
    first-expiring lot first.

``issue_units(session, actor, unit_codes, *, kind, subject_code, site_id, administration_no,
now, settings=None) -> list[IssuedUnit]``
    Pharmacist at ``site_id``, or system. Unknown codes → ``NotFound`` naming them. Otherwise
    every problem of every unit is collected into one ``RuleViolation`` (``details["reasons"]``):
    lot in quarantine / rejected / recalled, expired at ``now``, already issued (or discarded
    after a voided issue), not of ``kind``, or ``subject_code`` already received units of the other kind. Writes one
    audited ``UnitIssue`` per unit. ``IssuedUnit`` carries unit and lot code, cells_per_unit,
    volume_ml, expires_on and ``max_hold_h`` (the product's, else
    ``Settings.post_thaw_window_h``, CLINICAL_FACTS §5.4).

``issued_units_for(session, actor, subject_code) -> list[IssueRecord]``
    Investigator, coordinator or pharmacist (their sites), monitor, QC, DSMB. Every issue to the
    subject, voided ones included (``voided``), oldest first. Blinded users get ``IssueRecord``
    (no lot, kind, cells or volume); unblinded users get ``IssueRecordUnblinded``.

The bedside's use of a unit (its check, its use, a voided issue) is in ``unit_use``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, NotFound, RuleViolation
from msctrial.core.settings import Settings, load_settings
from msctrial.core.tables import Site
from msctrial.product.model import LotStatus, within_shelf_life
from msctrial.product.schemas import (
    IssuedUnit,
    IssueRecord,
    IssueRecordUnblinded,
    UnitPublic,
)
from msctrial.product.specification import LotKind
from msctrial.product.tables import Lot, Product, Unit, UnitIssue

SUBJECT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")
ISSUE_READERS = ("investigator", "coordinator", "pharmacist", "monitor", "qc", "dsmb")
BEDSIDE = ("investigator", "coordinator", "pharmacist")
# Administrations per subject: the guidance allows 3 (DOMAIN §2); registered trials use up to 5
# (CLINICAL_FACTS §8, DOMAIN §6), so 10 is a generous hard bound against typing errors.
MAX_ADMINISTRATIONS = 10


def _kind(kind: str) -> LotKind:
    try:
        return LotKind(kind)
    except ValueError:
        raise InvalidInput(
            f"kind: {kind!r} is not a kind of unit; allowed: cells, placebo", field="kind"
        ) from None


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InvalidInput(f"{field}: give a date and time with its time zone", field=field)
    return value


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(dt.UTC).date()


def max_hold_h(product: Product, settings: Settings | None) -> float:
    if product.max_hold_h is not None:
        return product.max_hold_h
    return (settings or load_settings()).post_thaw_window_h


def out_of_stock(unit_code: Any) -> Any:
    """SQL: the unit is issued, or was issued and discarded when the issue was voided."""
    return exists().where(
        UnitIssue.unit_code == unit_code,
        or_(UnitIssue.voided_at.is_(None), UnitIssue.returned_to_stock.is_(False)),
    )


def available_units(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    now: dt.datetime,
    settings: Settings | None = None,
) -> list[UnitPublic]:
    """Units of ``kind`` the pharmacy can issue at ``now`` (see the module doc)."""
    actor.require("pharmacist", "qc", to="see the units in stock")
    settings = settings or load_settings()
    lot_kind = _kind(kind)
    today = _today(_aware(now, "now"))
    # Columns, not entities (a Unit row would eager-load its lot's specification text), and
    # trusted rows built without re-validation: bench/product_stock.py.
    rows = session.execute(
        select(
            Unit.code,
            Lot.code,
            Product.kind,
            Unit.cells,
            Unit.volume_ml,
            Lot.expires_on,
            Product.max_hold_h,
        )
        .join(Lot, Unit.lot_id == Lot.id)
        .join(Product, Lot.product_id == Product.id)
        .where(
            Product.kind == lot_kind.value,
            Lot.status == LotStatus.released.value,
            Lot.expires_on >= today,
            ~out_of_stock(Unit.code),
        )
        .order_by(Lot.expires_on, Lot.code, Unit.code)
    )
    default_hold = settings.post_thaw_window_h
    return [
        UnitPublic.model_construct(
            code=code,
            lot_code=lot_code,
            kind=kind_,
            cells=cells,
            volume_ml=volume,
            expires_on=expires,
            max_hold_h=hold if hold is not None else default_hold,
        )
        for code, lot_code, kind_, cells, volume, expires, hold in rows
    ]


def _check_issue_request(
    session: Session,
    unit_codes: Sequence[str],
    subject_code: str,
    site_id: int,
    administration_no: int,
) -> list[str]:
    if not unit_codes:
        raise InvalidInput("unit_codes: name at least one unit to issue", field="unit_codes")
    codes = [c.strip().upper() for c in unit_codes]
    if len(set(codes)) != len(codes):
        raise InvalidInput("unit_codes: a unit is named twice", field="unit_codes")
    if not SUBJECT_CODE.match(subject_code or ""):
        raise InvalidInput(
            "subject_code: use the subject's pseudonymised id, e.g. WUH-001", field="subject_code"
        )
    if not isinstance(administration_no, int) or not 1 <= administration_no <= MAX_ADMINISTRATIONS:
        raise InvalidInput(
            f"administration_no: must be a whole number from 1 to {MAX_ADMINISTRATIONS}",
            field="administration_no",
        )
    if session.get(Site, site_id) is None:
        raise NotFound(f"site_id: no site with id {site_id}", field="site_id")
    return codes


def issue_units(
    session: Session,
    actor: Actor,
    unit_codes: Sequence[str],
    *,
    kind: str,
    subject_code: str,
    site_id: int,
    administration_no: int,
    now: dt.datetime,
    settings: Settings | None = None,
) -> list[IssuedUnit]:
    """Issue units to a subject's administration, or refuse naming every reason."""
    actor.require("pharmacist", site_id=site_id, to="issue units at this site")
    settings = settings or load_settings()
    lot_kind = _kind(kind)
    _aware(now, "now")
    codes = _check_issue_request(session, unit_codes, subject_code, site_id, administration_no)
    rows = {
        u.code: u
        for u in session.scalars(select(Unit).where(Unit.code.in_(codes)).with_for_update(of=Unit))
    }
    unknown = [c for c in codes if c not in rows]
    if unknown:
        raise NotFound(f"unit_codes: no unit {', '.join(unknown)}", field="unit_codes")
    today = _today(now)
    reasons: list[str] = []
    for code in codes:
        unit = rows[code]
        lot = unit.lot
        status = LotStatus(lot.status)
        if status is not LotStatus.released:
            reasons.append(f"unit {code}: lot {lot.code} is {status.value}, not released")
        if not within_shelf_life(lot.expires_on, today):
            reasons.append(f"unit {code}: lot {lot.code} expired on {lot.expires_on}")
        if session.scalar(select(out_of_stock(code))):
            reasons.append(f"unit {code}: already issued (or discarded)")
        if lot.product.kind != lot_kind.value:
            reasons.append(f"unit {code}: is a {lot.product.kind} unit, not {lot_kind.value}")
    other_kind = session.scalar(
        select(Product.kind)
        .join(Lot, Lot.product_id == Product.id)
        .join(Unit, Unit.lot_id == Lot.id)
        .join(UnitIssue, UnitIssue.unit_code == Unit.code)
        .where(
            UnitIssue.subject_code == subject_code,
            UnitIssue.voided_at.is_(None),
            Product.kind != lot_kind.value,
        )
        .limit(1)
    )
    if other_kind:
        reasons.append(f"subject {subject_code} has received {other_kind} units before")
    if reasons:
        raise RuleViolation(
            "the units cannot be issued: " + "; ".join(reasons),
            field="unit_codes",
            reasons=reasons,
        )
    audit.attach(session, actor)
    issued = []
    for code in codes:
        unit = rows[code]
        issue = UnitIssue(
            unit_code=code,
            subject_code=subject_code,
            site_id=site_id,
            administration_no=administration_no,
            issued_at=now,
            issued_by=actor.audit_name,
        )
        session.add(issue)
        issued.append(
            IssuedUnit(
                unit_code=code,
                lot_code=unit.lot.code,
                kind=unit.lot.product.kind,
                cells_per_unit=unit.cells,
                volume_ml=unit.volume_ml,
                max_hold_h=max_hold_h(unit.lot.product, settings),
                expires_on=unit.lot.expires_on,
                subject_code=subject_code,
                site_id=site_id,
                administration_no=administration_no,
                issued_at=now,
                issued_by=actor.audit_name,
            )
        )
    session.flush()
    return issued


def issue_record(
    issue: UnitIssue, unit: Unit, actor: Actor, settings: Settings | None = None
) -> IssueRecord:
    """The record as ``actor`` may see it: blinded users never get the lot or contents."""
    base: dict[str, Any] = dict(
        unit_code=issue.unit_code,
        subject_code=issue.subject_code,
        site_id=issue.site_id,
        administration_no=issue.administration_no,
        issued_at=issue.issued_at,
        issued_by=issue.issued_by,
        thawed_at=issue.thawed_at,
        used_at=issue.used_at,
        used_by=issue.used_by,
        voided=issue.voided_at is not None,
        void_reason=issue.void_reason,
    )
    if actor.is_blinded and not actor.has_role("qc"):
        return IssueRecord(**base)
    return IssueRecordUnblinded(
        **base,
        lot_code=unit.lot.code,
        kind=unit.lot.product.kind,
        cells_per_unit=unit.cells,
        volume_ml=unit.volume_ml,
        max_hold_h=max_hold_h(unit.lot.product, settings),
    )


def issued_units_for(
    session: Session, actor: Actor, subject_code: str, settings: Settings | None = None
) -> list[IssueRecord]:
    """Every unit issued to ``subject_code`` that the actor may see (see the module doc)."""
    actor.require(*ISSUE_READERS, to="see the units issued to a subject")
    settings = settings or load_settings()
    stmt = (
        select(UnitIssue, Unit)
        .join(Unit, Unit.code == UnitIssue.unit_code)
        .where(UnitIssue.subject_code == subject_code)
        .order_by(UnitIssue.issued_at, UnitIssue.id)
    )
    scope = actor.site_scope(*ISSUE_READERS)
    if scope is not None:
        stmt = stmt.where(UnitIssue.site_id.in_(scope))
    return [issue_record(i, u, actor, settings) for i, u in session.execute(stmt)]
