"""The audit trail page: recent entries and the chain's integrity."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from msctrial.core import audit
from msctrial.web.deps import Db, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    db: Db,
    actor: PageActor,
    entity: str | None = None,
    entity_id: str | None = None,
    before_seq: int | None = None,
) -> Response:
    entries = audit.read_trail(
        db, actor, entity=entity, entity_id=entity_id, before_seq=before_seq, limit=100
    )
    chain = audit.verify_chain(db) if actor.has_role("monitor", "admin", "qc", "dsmb") else None
    return render(
        request,
        "audit/list.html",
        {"entries": entries, "chain": chain, "entity": entity, "entity_id": entity_id},
        actor=actor,
    )
