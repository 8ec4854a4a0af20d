"""The audit trail page: recent entries, and verifying the chain's integrity on request."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from msctrial.core import audit
from msctrial.web.deps import CsrfProtected, Db, OptionalRecordId, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


@router.get("/audit")
def audit_page(
    request: Request,
    db: Db,
    actor: PageActor,
    entity: str | None = None,
    entity_id: str | None = None,
    before_seq: OptionalRecordId = None,
) -> Response:
    entries = audit.read_trail(
        db, actor, entity=entity, entity_id=entity_id, before_seq=before_seq, limit=100
    )
    return render(
        request,
        "audit/list.html",
        {
            "entries": entries,
            "chain": None,
            "can_verify": audit.can_verify(actor),
            "entity": entity,
            "entity_id": entity_id,
        },
        actor=actor,
    )


@router.post("/audit/verify")
def verify_page(request: Request, db: Db, actor: PageActor) -> Response:
    """Verify the whole chain: its own action, since it reads every entry (not on each view)."""
    chain = audit.verify_trail(db, actor)
    entries = audit.read_trail(db, actor, limit=100)
    return render(
        request,
        "audit/list.html",
        {"entries": entries, "chain": chain, "can_verify": True, "entity": None, "entity_id": None},
        actor=actor,
    )
