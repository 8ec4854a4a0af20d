"""Product use cases: specifications, lots and their units, test results, release decisions.

Each takes ``(session, actor, ...)``, checks permission, applies the rules of ``model`` and
``specification``, writes through the ORM (so the audit trail records it) and commits once.
QC records and decides; QC and the pharmacist read lots. Blinded roles never reach a lot.
The pharmacy's stock and the chain of identity (the contract with clinical) live in
``inventory`` and are re-exported here; trace and recall follow-up in ``trace``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import Conflict, InvalidInput, NotFound
from msctrial.product import views
from msctrial.product.inventory import (  # noqa: F401  (the contract, re-exported)
    available_units,
    issue_units,
    issued_units_for,
)
from msctrial.product.model import (
    LotSheet,
    LotStatus,
    ProductSheet,
    expiry_date,
    load_lot_sheet_text,
    unit_code,
)
from msctrial.product.schemas import (
    LotDetail,
    LotSummary,
)
from msctrial.product.signatures import (  # noqa: F401  (re-exported)
    MEANINGS,
    SignedDecision,
    decision_for,
    recall_lot,
    reject_lot,
    release_lot,
)
from msctrial.product.spec_store import (
    BUILTIN,
    QC,
    builtin_specification_text,
    require_lot_reader,
    store_specification,
)
from msctrial.product.specification import (
    Level,
    ResultInput,
    check_result,
    load_specification_text,
)
from msctrial.product.specification import Specification as SpecModel
from msctrial.product.tables import (
    Inspection,
    Lot,
    Product,
    Specification,
    TestResult,
    Unit,
)
from msctrial.product.unit_use import (  # noqa: F401  (the contract, re-exported)
    record_unit_use,
    unit_problems,
    void_issue,
)
from msctrial.product.views import get_lot

# --- lots ----------------------------------------------------------------------------------


def _resolve_spec(session: Session, actor: Actor, sheet: LotSheet) -> Specification:
    row = session.scalar(
        select(Specification).where(
            Specification.name == sheet.spec_name, Specification.version == sheet.spec_version
        )
    )
    if row is None and sheet.spec_name in BUILTIN:
        text = builtin_specification_text(sheet.spec_name)
        if load_specification_text(text).version == sheet.spec_version:
            row = store_specification(session, actor, text)
    if row is None:
        raise NotFound(
            f"specification: {sheet.specification} is not stored; load it with "
            "`msctrial product spec load FILE` first",
            field="specification",
        )
    if row.kind != sheet.product.kind.value:
        raise InvalidInput(
            f"specification: {sheet.specification} is for {row.kind} lots, not "
            f"{sheet.product.kind.value}",
            field="specification",
        )
    return row


def _resolve_product(session: Session, actor: Actor, sheet: LotSheet) -> Product:
    p = sheet.product
    wanted = {
        "name": p.name,
        "kind": p.kind.value,
        "tissue_source": p.tissue_source.value if p.tissue_source else None,
        "donor_type": p.donor_type.value if p.donor_type else None,
        "shelf_life_days": p.shelf_life_days,
        "max_hold_h": p.max_hold_h,
    }
    row = session.scalar(select(Product).where(Product.code == p.code))
    if row is None:
        row = Product(code=p.code, **wanted)
        session.add(row)
        session.flush()
        return row
    for key, value in wanted.items():
        if getattr(row, key) != value:
            raise Conflict(
                f"product.{key}: product {p.code} is registered with {key} "
                f"{getattr(row, key)!r}, the lot sheet says {value!r}",
                field=f"product.{key}",
            )
    return row


def register_lot(
    session: Session,
    actor: Actor,
    sheet: LotSheet | str,
    *,
    now: dt.datetime,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> LotDetail:
    """Record a lot in quarantine with its units, each given an opaque random code."""
    actor.require(QC, to="record lots")
    if isinstance(sheet, str):
        sheet = load_lot_sheet_text(sheet)
    today = now.astimezone(dt.UTC).date()
    for field in ("manufactured_on", "cryopreserved_on"):
        value = getattr(sheet, field)
        if value is not None and value > today:
            raise InvalidInput(f"{field}: {value} is in the future", field=field)
    expires_on = expiry_date(sheet)
    if session.scalar(select(Lot.id).where(Lot.code == sheet.lot)) is not None:
        raise Conflict(f"lot: {sheet.lot} is already recorded", field="lot")
    audit.attach(session, actor)
    spec_row = _resolve_spec(session, actor, sheet)
    product = _resolve_product(session, actor, sheet)
    lot = Lot(
        code=sheet.lot,
        product_id=product.id,
        specification_id=spec_row.id,
        process_version=sheet.process_version,
        donor_code=sheet.donor_code,
        passage=sheet.passage,
        manufactured_on=sheet.manufactured_on,
        cryopreserved_on=sheet.cryopreserved_on,
        expires_on=expires_on,
        storage_location=sheet.storage_location,
        status=LotStatus.quarantine.value,
        created_by=actor.audit_name,
    )
    session.add(lot)
    session.flush()
    codes: set[str] = set()
    while len(codes) < sheet.units.count:
        code = unit_code(random_bytes(8))
        if code not in codes and session.scalar(select(Unit.id).where(Unit.code == code)) is None:
            codes.add(code)
    for code in sorted(codes):
        session.add(
            Unit(
                code=code,
                lot_id=lot.id,
                cells=sheet.units.cells_per_unit,
                volume_ml=sheet.units.volume_ml,
            )
        )
    session.commit()
    return views.lot_detail(session, lot, now)


def list_lots(
    session: Session, actor: Actor, *, now: dt.datetime, status: str | None = None
) -> list[LotSummary]:
    """Every lot, first expiry first, optionally of one status."""
    require_lot_reader(actor)
    stmt = select(Lot).order_by(Lot.expires_on, Lot.code)
    if status is not None:
        try:
            stmt = stmt.where(Lot.status == LotStatus(status).value)
        except ValueError:
            allowed = ", ".join(s.value for s in LotStatus)
            raise InvalidInput(
                f"status: {status!r} is not a lot status; allowed: {allowed}", field="status"
            ) from None
    return [views.lot_summary(session, lot, now) for lot in session.scalars(stmt)]


def lot_detail(session: Session, actor: Actor, code: str, *, now: dt.datetime) -> LotDetail:
    """One lot: its units, inspections, results, signatures and release decision."""
    require_lot_reader(actor)
    return views.lot_detail(session, get_lot(session, code), now)


# --- results -------------------------------------------------------------------------------


def _inspection(session: Session, actor: Actor, lot: Lot, level: Level) -> Inspection:
    row = session.scalar(
        select(Inspection).where(Inspection.lot_id == lot.id, Inspection.level == level.value)
    )
    if row is None:
        row = Inspection(
            level=level.value,
            lot_id=lot.id,
            product_id=lot.product_id,
            process_version=lot.process_version,
            specification_id=lot.specification_id,
            opened_by=actor.audit_name,
        )
        session.add(row)
        session.flush()
    return row


def record_results(
    session: Session,
    actor: Actor,
    lot_code: str,
    level: str,
    results: Sequence[ResultInput],
    *,
    now: dt.datetime,
    reason: str | None = None,
) -> LotDetail:
    """Enter results of the quality or release inspection on a lot in quarantine.

    A quality inspection is done on samples of one lot and stands for the lot's product and
    process version. Replacing a current result needs a reason; the old one is voided, not
    overwritten, so the certificate and the trail show both.
    """
    actor.require(QC, to="enter test results")
    try:
        inspection_level = Level(level)
    except ValueError:
        raise InvalidInput(
            f"level: {level!r} is not an inspection; allowed: quality, release", field="level"
        ) from None
    if inspection_level is Level.both:
        raise InvalidInput("level: enter results for quality or release", field="level")
    if not results:
        raise InvalidInput("results: give at least one result", field="results")
    lot = get_lot(session, lot_code)
    if lot.status != LotStatus.quarantine.value:
        raise Conflict(
            f"lot {lot.code} is {lot.status}; results are entered only while it is in quarantine",
            field="lot",
        )
    spec = load_specification_text(lot.specification.yaml_text)
    today = now.astimezone(dt.UTC).date()
    seen: set[str] = set()
    for r in results:
        test = spec.test(r.test)
        if not test.level.covers(inspection_level):
            raise InvalidInput(
                f"test: {r.test} is not part of the {inspection_level.value} inspection "
                f"of {spec.ref}",
                field="test",
            )
        if r.test in seen:
            raise InvalidInput(f"test: {r.test} is given twice", field="test")
        seen.add(r.test)
        check_result(test, r)
        if r.tested_on is not None and not lot.manufactured_on <= r.tested_on <= today:
            raise InvalidInput(
                f"tested_on: {r.tested_on} must lie between manufacture "
                f"({lot.manufactured_on}) and today",
                field="tested_on",
            )
    audit.attach(session, actor)
    inspection = _inspection(session, actor, lot, inspection_level)
    current = {
        row.test_code: row
        for row in session.scalars(
            select(TestResult).where(
                TestResult.inspection_id == inspection.id, TestResult.voided_at.is_(None)
            )
        )
    }
    replaced = [r.test for r in results if r.test in current]
    if replaced:
        reason = audit.require_reason(reason, f"replace the result of {', '.join(replaced)}")
    with audit.because(session, reason, action="correct" if replaced else None):
        for r in results:
            old = current.get(r.test)
            if old is not None:
                old.voided_at = now
                old.void_reason = reason
            session.add(
                TestResult(
                    inspection_id=inspection.id,
                    test_code=r.test,
                    value=r.value,
                    unit=(r.unit or spec.test(r.test).unit) if r.value is not None else None,
                    outcome=r.outcome,
                    tested_on=r.tested_on,
                    note=r.note,
                    entered_by=actor.audit_name,
                    entered_at=now,
                )
            )
    session.commit()
    return views.lot_detail(session, lot, now)


def lot_specification(session: Session, actor: Actor, lot_code: str) -> SpecModel:
    """The specification version a lot is tested against."""
    require_lot_reader(actor)
    return views.lot_spec(get_lot(session, lot_code))


# --- the lot form ---------------------------------------------------------------------------


def lot_form_choices(session: Session, actor: Actor) -> tuple[dict[str, ProductSheet], list[str]]:
    """What the lot form offers QC: the registered products, and the specifications a lot may
    name (those stored, and the built-in ones, stored when a first lot names them)."""
    actor.require(QC, to="record lots")
    products = {
        p.code: ProductSheet.model_validate(
            {
                "code": p.code,
                "name": p.name,
                "kind": p.kind,
                "tissue_source": p.tissue_source,
                "donor_type": p.donor_type,
                "shelf_life_days": p.shelf_life_days,
                "max_hold_h": p.max_hold_h,
            }
        )
        for p in session.scalars(select(Product).order_by(Product.code))
    }
    refs = {f"{s.name}@{s.version}" for s in session.scalars(select(Specification))}
    refs |= {load_specification_text(builtin_specification_text(n)).ref for n in BUILTIN}
    return products, sorted(refs)
