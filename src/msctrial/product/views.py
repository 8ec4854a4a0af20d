"""Read side of the product services: lots, inspections and decisions as public schemas.

Helpers for the services only: they check no permission themselves (the calling service
does) and never write.
"""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.core.errors import NotFound
from msctrial.core.settings import Settings
from msctrial.product.inventory import max_hold_h, out_of_stock
from msctrial.product.model import (
    InspectionOutcome,
    LotFacts,
    LotStatus,
    ReleaseDecision,
    judge_inspection,
    release_decision,
    within_shelf_life,
)
from msctrial.product.schemas import (
    BlockerPublic,
    DecisionPublic,
    InspectionPublic,
    LotDetail,
    LotSummary,
    SignaturePublic,
    TestLine,
    UnitLine,
)
from msctrial.product.specification import (
    Level,
    ResultInput,
    Specification,
    load_specification_text,
    symbol,
    volume_per_kg,
)
from msctrial.product.tables import (
    Inspection,
    Lot,
    LotSignature,
    TestResult,
    Unit,
    UnitIssue,
)
from msctrial.product.tables import Specification as SpecificationRow


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(dt.UTC).date()


def lot_summary(session: Session, lot: Lot, now: dt.datetime) -> LotSummary:
    units = session.scalar(select(func.count()).where(Unit.lot_id == lot.id)) or 0
    expired = not within_shelf_life(lot.expires_on, _today(now))
    available = 0
    if lot.status == LotStatus.released.value and not expired:
        available = (
            session.scalar(
                select(func.count()).where(Unit.lot_id == lot.id, ~out_of_stock(Unit.code))
            )
            or 0
        )
    return LotSummary(
        code=lot.code,
        product=lot.product.code,
        product_name=lot.product.name,
        kind=lot.product.kind,
        process_version=lot.process_version,
        status=lot.status,
        expires_on=lot.expires_on,
        expired=expired,
        units=units,
        available_units=available,
        storage_location=lot.storage_location,
    )


def lot_spec(lot: Lot) -> Specification:
    return _parsed_specification(lot.specification.yaml_text)


@functools.lru_cache(maxsize=64)
def _parsed_specification(text: str) -> Specification:
    """A stored specification's text never changes (a change is a new version), and the model
    is frozen: parse each text once, not on every judgement of every lot page."""
    return load_specification_text(text)


def _lot_volume_per_kg(session: Session, lot: Lot, spec: Specification) -> float | None:
    first = session.scalar(select(Unit).where(Unit.lot_id == lot.id).order_by(Unit.id).limit(1))
    if first is None:
        return None
    return volume_per_kg(spec, first.cells, first.volume_ml)


def current_results(session: Session, inspection: Inspection | None) -> dict[str, TestResult]:
    if inspection is None:
        return {}
    rows = session.scalars(
        select(TestResult).where(
            TestResult.inspection_id == inspection.id, TestResult.voided_at.is_(None)
        )
    )
    return {r.test_code: r for r in rows}


def as_input(row: TestResult) -> ResultInput:
    return ResultInput(
        test=row.test_code,
        value=row.value,
        unit=row.unit,
        outcome=row.outcome,  # type: ignore[arg-type]
        tested_on=row.tested_on,
        note=row.note,
    )


def judge(
    session: Session, inspection: Inspection | None, lot: Lot, level: Level
) -> tuple[InspectionOutcome, InspectionPublic]:
    """An inspection judged against the specification it was opened under."""
    spec = lot_spec(lot)
    if inspection is not None and inspection.specification_id != lot.specification_id:
        spec_row = session.get(SpecificationRow, inspection.specification_id)
        assert spec_row is not None
        spec = load_specification_text(spec_row.yaml_text)
    rows = current_results(session, inspection)
    outcome = judge_inspection(
        spec,
        level,
        {code: as_input(r) for code, r in rows.items()},
        volume_per_kg_ml=_lot_volume_per_kg(session, lot, spec),
    )
    lines = []
    for test in spec.tests_for(level):
        row = rows.get(test.code)
        verdict = outcome.verdicts.get(test.code)
        lines.append(
            TestLine(
                code=test.code,
                name=test.name,
                category=test.category.value,
                method=test.method,
                criterion=symbol(test.criterion, test.unit),
                level=test.level.value,
                source=test.source,
                result=verdict.shown if verdict else None,
                judged=verdict.judged if verdict else None,
                in_spec=verdict.in_spec if verdict else None,
                reason=verdict.reason if verdict else "no result",
                tested_on=row.tested_on if row else None,
                entered_by=row.entered_by if row else None,
            )
        )
    public = InspectionPublic(
        level=level.value,
        lot_code=lot.code,
        specification=spec.ref,
        passed=outcome.passed,
        missing=list(outcome.missing),
        tests=lines,
    )
    return outcome, public


def inspection_of(session: Session, lot: Lot, level: Level) -> Inspection | None:
    return session.scalar(
        select(Inspection).where(Inspection.lot_id == lot.id, Inspection.level == level.value)
    )


def quality_inspections(
    session: Session, lot: Lot
) -> list[tuple[Lot, InspectionOutcome, InspectionPublic]]:
    """Every quality inspection of the lot's product and process version, on any lot."""
    rows = session.execute(
        select(Inspection, Lot)
        .join(Lot, Inspection.lot_id == Lot.id)
        .where(
            Inspection.level == Level.quality.value,
            Inspection.product_id == lot.product_id,
            Inspection.process_version == lot.process_version,
        )
        .order_by(Inspection.id)
    )
    out = []
    for inspection, sample_lot in rows:
        outcome, public = judge(session, inspection, sample_lot, Level.quality)
        out.append((sample_lot, outcome, public))
    return out


def decide(session: Session, lot: Lot, now: dt.datetime) -> ReleaseDecision:
    release, _ = judge(session, inspection_of(session, lot, Level.release), lot, Level.release)
    quality = [outcome for _, outcome, _ in quality_inspections(session, lot)]
    units = session.scalar(select(func.count()).where(Unit.lot_id == lot.id)) or 0
    facts = LotFacts(
        code=lot.code,
        status=LotStatus(lot.status),
        expires_on=lot.expires_on,
        product=lot.product.code,
        process_version=lot.process_version,
        units=units,
    )
    return release_decision(facts, lot_spec(lot), release, quality, _today(now))


def decision_public(decision: ReleaseDecision) -> DecisionPublic:
    return DecisionPublic(
        lot=decision.lot,
        releasable=decision.releasable,
        blockers=[
            BlockerPublic(code=b.code, message=b.message, test=b.test) for b in decision.blockers
        ],
    )


def _unit_states(session: Session, lot: Lot) -> dict[str, str]:
    """Each unit's state: in stock, issued, used or discarded (one query for the lot)."""
    rows = session.execute(
        select(Unit.code, UnitIssue.voided_at, UnitIssue.returned_to_stock, UnitIssue.used_at)
        .outerjoin(UnitIssue, UnitIssue.unit_code == Unit.code)
        .where(Unit.lot_id == lot.id)
        .order_by(UnitIssue.id)
    )
    states: dict[str, str] = {}
    for code, voided_at, returned, used_at in rows:
        if returned is not None and voided_at is None:  # the current issue
            states[code] = "used" if used_at is not None else "issued"
        elif returned is not None and not returned:  # voided and discarded
            states[code] = "discarded"
        else:
            states.setdefault(code, "in stock")
    return states


def signatures(session: Session, lot: Lot) -> list[SignaturePublic]:
    rows = session.scalars(
        select(LotSignature).where(LotSignature.lot_id == lot.id).order_by(LotSignature.id)
    )
    return [
        SignaturePublic(
            action=s.action,
            meaning=s.meaning,
            reason=s.reason,
            signed_by=s.signed_by,
            signer_name=s.signer_name,
            signed_at=s.signed_at,
        )
        for s in rows
    ]


def lot_detail(
    session: Session, lot: Lot, now: dt.datetime, settings: Settings | None = None
) -> LotDetail:
    _, release = judge(session, inspection_of(session, lot, Level.release), lot, Level.release)
    units = list(session.scalars(select(Unit).where(Unit.lot_id == lot.id).order_by(Unit.code)))
    states = _unit_states(session, lot)
    return LotDetail(
        summary=lot_summary(session, lot, now),
        specification=f"{lot.specification.name}@{lot.specification.version}",
        tissue_source=lot.product.tissue_source,
        donor_type=lot.product.donor_type,
        donor_code=lot.donor_code,
        passage=lot.passage,
        manufactured_on=lot.manufactured_on,
        cryopreserved_on=lot.cryopreserved_on,
        max_hold_h=max_hold_h(lot.product, settings),
        created_by=lot.created_by,
        created_at=lot.created_at,
        units=[
            UnitLine(code=u.code, cells=u.cells, volume_ml=u.volume_ml, state=states[u.code])
            for u in units
        ],
        release=release,
        quality=[public for _, _, public in quality_inspections(session, lot)],
        decision=decision_public(decide(session, lot, now)),
        signatures=signatures(session, lot),
    )


def get_lot(session: Session, code: str) -> Lot:
    """The lot with this code, or NotFound naming it."""
    lot = session.scalar(select(Lot).where(Lot.code == code))
    if lot is None:
        raise NotFound(f"lot: no lot {code!r}", field="lot")
    return lot
