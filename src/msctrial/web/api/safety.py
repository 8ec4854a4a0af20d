"""JSON API of the sponsor's assessment of suspected SUSARs (issue 9, hole 6).

The list is for every reader of the events (the conclusion only for unblinded readers); a
case, its signed unblinding and the reports to the regulators are the sponsor's safety
officer's. The routes call ``clinical.safety.susar``, which decides who sees what.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from msctrial.clinical.safety import susar
from msctrial.clinical.safety.schemas import RegulatoryReportPublic, SusarCasePublic
from msctrial.web.api.clinical import IdempotencyKey
from msctrial.web.deps import ApiActor, Db, RecordId

router = APIRouter(prefix="/api/v1/clinical", tags=["safety"])


class AssessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(description="why the case is unblinded (sealed in the audit trail)")
    password: str = Field(description="your password again: the e-signature")


class RegulatoryFiling(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submitted_at: dt.datetime | None = None
    reference: str | None = Field(default=None, max_length=100)


@router.get("/susar-assessments", response_model=list[dict[str, Any]])
def list_assessments(db: Db, actor: ApiActor) -> list[dict[str, Any]]:
    """Suspected SUSARs: pending or complete; the conclusion only for unblinded readers."""
    return [a.model_dump(mode="json") for a in susar.list_assessments(db, actor)]


@router.get("/susar-assessments/{ae_id}", response_model=SusarCasePublic)
def get_case(ae_id: RecordId, db: Db, actor: ApiActor) -> SusarCasePublic:
    """One case, for the sponsor's safety officer: the arm once the case is unblinded."""
    return susar.susar_case(db, actor, ae_id)


@router.post("/susar-assessments/{ae_id}/assess", response_model=SusarCasePublic)
def assess(
    ae_id: RecordId, body: AssessRequest, db: Db, actor: ApiActor, key: IdempotencyKey = None
) -> SusarCasePublic:
    """Unblind the case to the safety officer (signed): a SUSAR, or not one (placebo)."""
    return susar.assess_susar(
        db, actor, ae_id, body.reason, password=body.password, request_key=key
    )


@router.post("/regulatory-reports/{report_id}/submit", response_model=RegulatoryReportPublic)
def submit_regulatory_report(
    report_id: RecordId, body: RegulatoryFiling, db: Db, actor: ApiActor
) -> RegulatoryReportPublic:
    return susar.file_regulatory_report(
        db, actor, report_id, submitted_at=body.submitted_at, reference=body.reference
    )
