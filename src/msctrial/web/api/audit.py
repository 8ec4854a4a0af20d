"""JSON API for the audit trail: read entries, verify the chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from msctrial.core import audit
from msctrial.web.deps import ApiActor, Db, OptionalRecordId, PageSize

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEntryPublic(BaseModel):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]
    reason: str | None
    site_id: int | None
    sealed_changes: dict[str, Any] | None = None


class ChainPublic(BaseModel):
    ok: bool
    entries: int
    first_broken_seq: int | None
    problem: str | None


@router.get("", response_model=list[AuditEntryPublic])
def read_audit(
    db: Db,
    actor: ApiActor,
    entity: str | None = None,
    entity_id: str | None = None,
    before_seq: OptionalRecordId = None,
    limit: PageSize = 100,
) -> list[dict[str, Any]]:
    return audit.read_trail(
        db, actor, entity=entity, entity_id=entity_id, before_seq=before_seq, limit=limit
    )


@router.get("/verify", response_model=ChainPublic)
def verify(db: Db, actor: ApiActor) -> ChainPublic:
    r = audit.verify_trail(db, actor)
    return ChainPublic(
        ok=r.ok, entries=r.entries, first_broken_seq=r.first_broken_seq, problem=r.problem
    )
