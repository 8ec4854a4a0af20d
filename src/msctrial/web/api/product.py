"""JSON API of the cell product: specifications, lots, results, release, trace, recall, stock.

Every route calls one service; the services decide who may see what (lots: QC and pharmacy;
trace: QC, DSMB, pharmacist for their sites; blinded users only ever get ``IssueRecord``).
Issuing units is not here: it is part of dispensing (``/api/v1/clinical``), which checks the
subject's randomisation and schedule before calling ``product.service.issue_units``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from msctrial.core.db import utcnow
from msctrial.product import documents, inventory, service, spec_store, trace
from msctrial.product.schemas import (
    DecisionPublic,
    FollowUpPublic,
    LotDetail,
    LotSummary,
    LotTrace,
    SpecificationPublic,
    SubjectTrace,
    UnitPublic,
)
from msctrial.product.specification import ResultInput, load_specification_text
from msctrial.web.deps import ApiActor, Config, Db, RecordId

router = APIRouter(prefix="/api/v1/product", tags=["product"])


class YamlText(BaseModel):
    yaml: str = Field(description="the document as YAML text")


class SpecCheck(BaseModel):
    ok: bool
    name: str
    version: str
    kind: str
    tests: int


class ResultsIn(BaseModel):
    level: Literal["quality", "release"]
    results: list[ResultInput] = Field(min_length=1)
    reason: str | None = Field(default=None, description="required to replace a result")


class Signature(BaseModel):
    password: str = Field(description="your password again: the e-signature")
    reason: str | None = Field(default=None, description="required to reject or recall")


class SignedOut(BaseModel):
    lot: LotDetail
    follow_ups: int = 0


class CloseIn(BaseModel):
    note: str


@router.post("/specifications/check", response_model=SpecCheck)
def check_specification(body: YamlText, actor: ApiActor) -> SpecCheck:
    spec = load_specification_text(body.yaml)
    return SpecCheck(
        ok=True, name=spec.name, version=spec.version, kind=spec.kind.value, tests=len(spec.tests)
    )


@router.get("/specifications", response_model=list[SpecificationPublic])
def list_specifications(db: Db, actor: ApiActor) -> list[SpecificationPublic]:
    return spec_store.list_specifications(db, actor)


@router.post("/specifications", response_model=SpecificationPublic, status_code=201)
def save_specification(body: YamlText, db: Db, actor: ApiActor) -> SpecificationPublic:
    return spec_store.save_specification(db, actor, body.yaml)


@router.get("/lots", response_model=list[LotSummary])
def list_lots(db: Db, actor: ApiActor, status: str | None = None) -> list[LotSummary]:
    return service.list_lots(db, actor, now=utcnow(), status=status)


@router.post("/lots", response_model=LotDetail, status_code=201)
def add_lot(body: YamlText, db: Db, actor: ApiActor) -> LotDetail:
    return service.register_lot(db, actor, body.yaml, now=utcnow())


@router.get("/lots/{lot}", response_model=LotDetail)
def get_lot(lot: str, db: Db, actor: ApiActor) -> LotDetail:
    return service.lot_detail(db, actor, lot, now=utcnow())


@router.post("/lots/{lot}/results", response_model=LotDetail)
def add_results(lot: str, body: ResultsIn, db: Db, actor: ApiActor) -> LotDetail:
    return service.record_results(
        db, actor, lot, body.level, body.results, now=utcnow(), reason=body.reason
    )


@router.get("/lots/{lot}/decision", response_model=DecisionPublic)
def get_decision(lot: str, db: Db, actor: ApiActor) -> DecisionPublic:
    return service.decision_for(db, actor, lot, now=utcnow())


@router.post("/lots/{lot}/release", response_model=SignedOut)
def release(lot: str, body: Signature, db: Db, actor: ApiActor) -> SignedOut:
    signed = service.release_lot(db, actor, lot, password=body.password, now=utcnow())
    return SignedOut(lot=signed.lot)


@router.post("/lots/{lot}/reject", response_model=SignedOut)
def reject(lot: str, body: Signature, db: Db, actor: ApiActor) -> SignedOut:
    signed = service.reject_lot(
        db, actor, lot, password=body.password, reason=body.reason or "", now=utcnow()
    )
    return SignedOut(lot=signed.lot)


@router.post("/lots/{lot}/recall", response_model=SignedOut)
def recall(lot: str, body: Signature, db: Db, actor: ApiActor) -> SignedOut:
    signed = service.recall_lot(
        db, actor, lot, password=body.password, reason=body.reason or "", now=utcnow()
    )
    return SignedOut(lot=signed.lot, follow_ups=signed.follow_ups)


@router.get("/lots/{lot}/certificate", response_model=LotDetail)
def get_certificate(lot: str, db: Db, actor: ApiActor) -> LotDetail:
    return documents.certificate(db, actor, lot, now=utcnow())


@router.get("/lots/{lot}/trace", response_model=LotTrace)
def trace_lot(lot: str, db: Db, actor: ApiActor) -> LotTrace:
    return trace.trace_lot(db, actor, lot, now=utcnow())


@router.get("/subjects/{subject}/trace", response_model=SubjectTrace)
def trace_subject(subject: str, db: Db, actor: ApiActor) -> SubjectTrace:
    return trace.trace_subject(db, actor, subject, now=utcnow())


@router.get("/subjects/{subject}/units")
def issued_units(subject: str, db: Db, actor: ApiActor, settings: Config) -> JSONResponse:
    """The units issued to a subject; a blinded user's records have no lot or contents."""
    records = inventory.issued_units_for(db, actor, subject, settings)
    return JSONResponse([r.model_dump(mode="json") for r in records])


@router.get("/units/available", response_model=list[UnitPublic])
def available(
    db: Db, actor: ApiActor, settings: Config, kind: Literal["cells", "placebo"]
) -> list[UnitPublic]:
    return inventory.available_units(db, actor, kind=kind, now=utcnow(), settings=settings)


@router.get("/recalls", response_model=list[FollowUpPublic])
def follow_ups(
    db: Db, actor: ApiActor, lot: str | None = None, open_only: bool = False
) -> list[FollowUpPublic]:
    return trace.list_follow_ups(db, actor, lot_code=lot, open_only=open_only)


@router.post("/recalls/{follow_up}/close", response_model=FollowUpPublic)
def close_follow_up(follow_up: RecordId, body: CloseIn, db: Db, actor: ApiActor) -> FollowUpPublic:
    return trace.close_follow_up(db, actor, follow_up, note=body.note, now=utcnow())
