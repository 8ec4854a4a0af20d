"""JSON API for clinical operations part 2: visits and forms, queries, adverse events, casebook.

Each route parses its body, calls one service and returns a public schema
(``schemas`` of each clinical subpackage); none of them carries an arm. Site isolation is the services':
another site's subject, entry, query or event answers 404 like an unknown one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from msctrial.clinical.casebook import service as casebook
from msctrial.clinical.casebook.listings import export_values_csv
from msctrial.clinical.casebook.schemas import CasebookPublic, TrialMatrix
from msctrial.clinical.data_queries import service as queries
from msctrial.clinical.data_queries.schemas import QueryPublic
from msctrial.clinical.safety import service as safety
from msctrial.clinical.safety import views as safety_views
from msctrial.clinical.safety.rules import AdverseEventInput
from msctrial.clinical.safety.schemas import AdverseEventPublic, SaeReportPublic
from msctrial.clinical.safety.views import ReactionCheckInput
from msctrial.clinical.subjects import exit as study_exit
from msctrial.clinical.visits import entries
from msctrial.clinical.visits import service as visits
from msctrial.clinical.visits.entries import form_public
from msctrial.clinical.visits.forms import catalogue
from msctrial.clinical.visits.schemas import (
    EntryPublic,
    FormPublic,
    OverdueVisit,
    VisitStatusPublic,
)
from msctrial.core.validation import RecordRef
from msctrial.web.deps import ApiActor, Db, RecordId

router = APIRouter(prefix="/api/v1/clinical", tags=["visits"])


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FormSubmission(Body):
    values: dict[str, Any] = Field(
        description="item → number (in the form's unit), {value, unit}, choice, yes/no or date"
    )
    visit_date: dt.date | None = Field(default=None, description="default: today at the site")
    collected_at: dt.datetime | None = Field(default=None, description="sample time, with zone")


class FormChange(Body):
    values: dict[str, Any] = Field(description="only the items that change; null clears one")
    reason: str | None = None


class Reason(Body):
    reason: str | None = None


class VisitDate(Body):
    visit_date: dt.date
    reason: str | None = None


class QueryRaise(Body):
    subject: str
    text: str
    entry_id: RecordRef | None = None
    item: str | None = None
    ae_id: RecordRef | None = None


class QueryAnswer(Body):
    answer: str


class QueryNote(Body):
    note: str | None = None


class AdverseEventCreate(AdverseEventInput):
    subject: str
    infusion_id: RecordRef | None = None


class AdverseEventChange(AdverseEventInput):
    reason: str | None = None


class ReportFiled(Body):
    submitted_at: dt.datetime | None = None
    reference: str | None = Field(default=None, max_length=100)


class ExitRequest(Body):
    subject: str
    kind: str = Field(description="died, withdrawn, lost_to_follow_up or completed")
    exit_date: dt.date
    reason: str | None = None


class ExitPublic(BaseModel):
    subject: str
    kind: str
    exit_date: dt.date
    reason: str


# --- forms, visits and entries ---------------------------------------------------------------


@router.get("/forms", response_model=list[FormPublic])
def list_forms(actor: ApiActor) -> list[FormPublic]:
    return [form_public(name) for name in catalogue()]


@router.get("/forms/{form}", response_model=FormPublic)
def get_form(form: str, actor: ApiActor) -> FormPublic:
    return form_public(form)


@router.get("/casebook/{subject}", response_model=CasebookPublic)
def get_casebook(subject: str, db: Db, actor: ApiActor) -> CasebookPublic:
    return casebook.casebook(db, actor, subject)


@router.get("/schedule/{subject}", response_model=list[VisitStatusPublic])
def get_schedule(subject: str, db: Db, actor: ApiActor) -> list[VisitStatusPublic]:
    return casebook.subject_schedule(db, actor, subject)


@router.get("/overdue-visits", response_model=list[OverdueVisit])
def overdue_visits(db: Db, actor: ApiActor, site: str | None = None) -> list[OverdueVisit]:
    return casebook.missing_and_overdue(db, actor, site_code=site)


@router.get("/matrix", response_model=TrialMatrix)
def matrix(db: Db, actor: ApiActor, site: str | None = None) -> TrialMatrix:
    return casebook.trial_matrix(db, actor, site_code=site)


@router.post("/visits/{subject}/{visit}/forms/{form}", response_model=EntryPublic, status_code=201)
def enter_form(
    subject: str, visit: str, form: str, body: FormSubmission, db: Db, actor: ApiActor
) -> EntryPublic:
    return visits.enter_form(
        db,
        actor,
        subject,
        visit,
        form,
        body.values,
        visit_date=body.visit_date,
        collected_at=body.collected_at,
    )


@router.post("/visits/{subject}/{visit}/not-done", status_code=204)
def visit_not_done(subject: str, visit: str, body: Reason, db: Db, actor: ApiActor) -> Response:
    visits.mark_visit_not_done(db, actor, subject, visit, body.reason)
    return Response(status_code=204)


@router.put("/visits/{subject}/{visit}/date", status_code=204)
def visit_date(subject: str, visit: str, body: VisitDate, db: Db, actor: ApiActor) -> Response:
    visits.change_visit_date(db, actor, subject, visit, body.visit_date, body.reason)
    return Response(status_code=204)


@router.get("/entries/{entry_id}", response_model=EntryPublic)
def get_entry(entry_id: RecordId, db: Db, actor: ApiActor) -> EntryPublic:
    return entries.get_entry(db, actor, entry_id)


@router.patch("/entries/{entry_id}", response_model=EntryPublic)
def change_entry(entry_id: RecordId, body: FormChange, db: Db, actor: ApiActor) -> EntryPublic:
    return visits.change_form(db, actor, entry_id, body.values, body.reason)


@router.post("/entries/{entry_id}/void", response_model=EntryPublic)
def void_entry(entry_id: RecordId, body: Reason, db: Db, actor: ApiActor) -> EntryPublic:
    return visits.void_form(db, actor, entry_id, body.reason)


@router.get("/export/form-values.csv", response_class=Response)
def export_values(db: Db, actor: ApiActor, site: str | None = None) -> Response:
    return Response(
        export_values_csv(db, actor, site_code=site),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="form-values.csv"'},
    )


@router.post("/exits", response_model=ExitPublic, status_code=201)
def record_exit(body: ExitRequest, db: Db, actor: ApiActor) -> ExitPublic:
    e = study_exit.record_exit(db, actor, body.subject, body.kind, body.exit_date, body.reason)
    return ExitPublic(
        subject=body.subject.upper(), kind=e.kind, exit_date=e.exit_date, reason=e.reason
    )


# --- queries ---------------------------------------------------------------------------------


@router.get("/queries", response_model=list[QueryPublic])
def list_queries(
    db: Db,
    actor: ApiActor,
    status: str | None = None,
    subject: str | None = None,
    site: str | None = None,
) -> list[QueryPublic]:
    return queries.list_queries(db, actor, status=status, subject_code=subject, site_code=site)


@router.post("/queries", response_model=QueryPublic, status_code=201)
def raise_query(body: QueryRaise, db: Db, actor: ApiActor) -> QueryPublic:
    return queries.raise_query(
        db,
        actor,
        subject_code=body.subject,
        text=body.text,
        entry_id=body.entry_id,
        item=body.item,
        ae_id=body.ae_id,
    )


@router.get("/queries/{query_id}", response_model=QueryPublic)
def get_query(query_id: RecordId, db: Db, actor: ApiActor) -> QueryPublic:
    return queries.get_query(db, actor, query_id)


@router.post("/queries/{query_id}/answer", response_model=QueryPublic)
def answer_query(query_id: RecordId, body: QueryAnswer, db: Db, actor: ApiActor) -> QueryPublic:
    return queries.answer_query(db, actor, query_id, body.answer)


@router.post("/queries/{query_id}/close", response_model=QueryPublic)
def close_query(query_id: RecordId, body: QueryNote, db: Db, actor: ApiActor) -> QueryPublic:
    return queries.close_query(db, actor, query_id, body.note)


@router.post("/queries/{query_id}/reopen", response_model=QueryPublic)
def reopen_query(query_id: RecordId, body: QueryNote, db: Db, actor: ApiActor) -> QueryPublic:
    return queries.reopen_query(db, actor, query_id, body.note or "")


# --- adverse events and SAE reports ----------------------------------------------------------


@router.get("/adverse-events", response_model=list[AdverseEventPublic])
def list_adverse_events(
    db: Db, actor: ApiActor, subject: str | None = None, serious: bool | None = None
) -> list[AdverseEventPublic]:
    return safety_views.list_aes(db, actor, subject_code=subject, serious=serious)


@router.post("/adverse-events", response_model=AdverseEventPublic, status_code=201)
def report_adverse_event(body: AdverseEventCreate, db: Db, actor: ApiActor) -> AdverseEventPublic:
    data = AdverseEventInput.model_validate(body.model_dump(exclude={"subject", "infusion_id"}))
    return safety.report_ae(db, actor, body.subject, data, infusion_id=body.infusion_id)


@router.get("/adverse-events-summary", response_model=dict[str, Any])
def adverse_event_summary(db: Db, actor: ApiActor) -> dict[str, Any]:
    """Counts; per arm only for unblinded readers (DSMB, pharmacist)."""
    return safety_views.ae_summary(db, actor)


@router.get("/adverse-events/{ae_id}", response_model=AdverseEventPublic)
def get_adverse_event(ae_id: RecordId, db: Db, actor: ApiActor) -> AdverseEventPublic:
    return safety_views.get_ae(db, actor, ae_id)


@router.put("/adverse-events/{ae_id}", response_model=AdverseEventPublic)
def change_adverse_event(
    ae_id: RecordId, body: AdverseEventChange, db: Db, actor: ApiActor
) -> AdverseEventPublic:
    data = AdverseEventInput.model_validate(body.model_dump(exclude={"reason"}))
    return safety.update_ae(db, actor, ae_id, data, body.reason)


@router.post("/adverse-events/{ae_id}/void", response_model=AdverseEventPublic)
def void_adverse_event(
    ae_id: RecordId, body: Reason, db: Db, actor: ApiActor
) -> AdverseEventPublic:
    return safety.void_ae(db, actor, ae_id, body.reason)


@router.get("/sae-reports", response_model=list[SaeReportPublic])
def list_sae_reports(db: Db, actor: ApiActor, state: str | None = None) -> list[SaeReportPublic]:
    return safety_views.list_sae_reports(db, actor, state=state)


@router.post("/sae-reports/{report_id}/submit", response_model=SaeReportPublic)
def submit_sae_report(
    report_id: RecordId, body: ReportFiled, db: Db, actor: ApiActor
) -> SaeReportPublic:
    return safety.submit_report(
        db, actor, report_id, submitted_at=body.submitted_at, reference=body.reference
    )


@router.post(
    "/infusions/{infusion_id}/reaction-check",
    response_model=list[AdverseEventPublic],
    status_code=201,
)
def reaction_check(
    infusion_id: RecordId, body: ReactionCheckInput, db: Db, actor: ApiActor
) -> list[AdverseEventPublic]:
    """Fever, chills, allergic reaction, local inflammation after the infusion; each reaction
    reported becomes an adverse event graded by CTCAE v5."""
    return safety.record_reaction_check(db, actor, infusion_id, body)
