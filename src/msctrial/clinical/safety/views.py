"""Reading adverse events and SAE reports as an actor may see them; the reaction-check input.

Site staff see their sites' events and reports, trial-wide readers all of them. The AE summary
is per arm only for an unblinded reader (DSMB, pharmacist): a blinded reader gets the totals
and no arm at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from msctrial.clinical.randomisation.tables import Allocation
from msctrial.clinical.safety import rules
from msctrial.clinical.safety.rules import AdverseEventInput, Relationship, Seriousness
from msctrial.clinical.safety.schemas import AdverseEventPublic, SaeReportPublic
from msctrial.clinical.safety.tables import AdverseEvent, SaeReport, SusarAssessment
from msctrial.clinical.subjects.access import site_code_of, visible_sites
from msctrial.clinical.subjects.tables import Subject
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput, NotFound
from msctrial.core.validation import explain

FEVER = "fever"


OTHER_REACTIONS = tuple(k for k in rules.REACTION_KEYS if k != FEVER)


class ReactionCheckInput(BaseModel):
    """Answers to the expected-reaction questions asked after an infusion."""

    model_config = ConfigDict(extra="forbid")

    fever: bool = False
    chills: bool = False
    allergic_reaction: bool = False
    local_inflammation: bool = False
    # Hard range of temperature: CLINICAL_FACTS §4.3.
    max_temperature_c: float | None = Field(default=None, ge=30.0, le=45.0)
    hours_above_40: float = Field(default=0.0, ge=0, le=240)
    grades: dict[str, int] = Field(
        default_factory=dict, description="CTCAE grade 1-4 of each reaction other than fever"
    )
    serious: dict[str, list[Seriousness]] = Field(default_factory=dict)
    relationship: Relationship = Relationship.possible
    checked_at: dt.datetime | None = None
    notes: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        temp = self.max_temperature_c
        if self.fever and (temp is None or temp < rules.FEVER_C):
            raise ValueError(
                f"max_temperature_c: a fever needs the highest temperature, ≥ {rules.FEVER_C} °C "
                "(CTCAE v5, CLINICAL_FACTS §6.1)"
            )
        if not self.fever and temp is not None and temp >= rules.FEVER_C:
            raise ValueError(f"fever: {temp:g} °C is a fever (≥ {rules.FEVER_C} °C); tick fever")
        for key, grade in self.grades.items():
            if key not in OTHER_REACTIONS:
                raise ValueError(f"grades: {key!r}; grade one of {', '.join(OTHER_REACTIONS)}")
            if not getattr(self, key):
                raise ValueError(f"grades.{key}: graded but not ticked")
            if not 1 <= grade <= 4:
                raise ValueError(
                    f"grades.{key}: 1-4; a fatal reaction is reported on the full AE form"
                )
        for key in OTHER_REACTIONS:
            if getattr(self, key) and key not in self.grades:
                raise ValueError(f"grades.{key}: give the CTCAE grade (1-4)")
        for key, criteria in self.serious.items():
            if key not in rules.REACTION_KEYS or not getattr(self, key):
                raise ValueError(f"serious.{key}: not a ticked reaction")
            if Seriousness.death in criteria:
                raise ValueError(f"serious.{key}: a fatal reaction is reported on the full AE form")
        if self.checked_at is not None and self.checked_at.tzinfo is None:
            raise ValueError("checked_at: give the time zone")
        return self

    @property
    def present(self) -> set[str]:
        return {k for k in rules.REACTION_KEYS if getattr(self, k)}

    def events(self, onset: dt.date) -> list[tuple[str, AdverseEventInput]]:
        """One adverse event per reaction reported, graded by CTCAE v5."""
        out = []
        for reaction in rules.EXPECTED_REACTIONS:
            if reaction.key not in self.present:
                continue
            if reaction.key == FEVER:
                assert self.max_temperature_c is not None
                grade = rules.fever_grade(self.max_temperature_c, self.hours_above_40) or 1
            else:
                grade = self.grades[reaction.key]
            out.append(
                (
                    reaction.key,
                    AdverseEventInput(
                        term=reaction.term,
                        description=self.notes,
                        onset_date=onset,
                        grade=grade,
                        seriousness=self.serious.get(reaction.key, []),
                        relationship_product=self.relationship,
                        relationship_infusion=self.relationship,
                        expectedness=rules.Expectedness.expected,
                        action_taken=rules.ActionTaken.not_applicable,
                        outcome=rules.Outcome.recovering,
                    ),
                )
            )
        return out


def parse_reaction_check(data: Mapping[str, Any] | ReactionCheckInput) -> ReactionCheckInput:
    if isinstance(data, ReactionCheckInput):
        return data
    try:
        return ReactionCheckInput.model_validate(data)
    except ValidationError as exc:
        raise explain(exc) from None


def report_public(
    session: Session, r: SaeReport, event: AdverseEvent, now: dt.datetime | None = None
) -> SaeReportPublic:
    subject = session.get(Subject, r.subject_id)
    assert subject is not None
    kind = rules.ReportKind(r.kind)
    return SaeReportPublic(
        id=r.id,
        ae_id=r.ae_id,
        subject=subject.subject_code,
        site=site_code_of(session, r.site_id),
        term=event.term,
        kind=kind.value,
        label=rules.REPORT_LABELS[kind],
        clock_start_at=r.clock_start_at,
        due_at=r.due_at,
        submitted_at=r.submitted_at,
        submitted_by=r.submitted_by,
        reference=r.reference,
        state=rules.clock_state(r.due_at, r.submitted_at, now or utcnow()).value,
    )


def ae_public(
    session: Session, e: AdverseEvent, now: dt.datetime | None = None
) -> AdverseEventPublic:
    subject = session.get(Subject, e.subject_id)
    assert subject is not None
    reports = session.scalars(
        select(SaeReport)
        .where(SaeReport.ae_id == e.id, SaeReport.voided_at.is_(None))
        .order_by(SaeReport.due_at)
    )
    completed = session.execute(
        select(SusarAssessment.completed_at)
        .where(SusarAssessment.ae_id == e.id, SusarAssessment.voided_at.is_(None))
        .order_by(SusarAssessment.id.desc())
    ).first()
    assessment = None
    if completed is not None:
        state = rules.AssessmentState.complete if completed[0] else rules.AssessmentState.pending
        assessment = state.value
    return AdverseEventPublic(
        id=e.id,
        subject=subject.subject_code,
        site=site_code_of(session, e.site_id),
        number=e.number,
        term=e.term,
        description=e.description,
        onset_date=e.onset_date,
        end_date=e.end_date,
        grade=e.grade,
        grade_meaning=rules.GRADE_MEANING[e.grade],
        serious=e.serious,
        seriousness=list(e.seriousness or []),
        relationship_product=e.relationship_product,
        relationship_infusion=e.relationship_infusion,
        related=Relationship(e.relationship_product).related
        or Relationship(e.relationship_infusion).related,
        expectedness=e.expectedness,
        susar=e.susar,
        action_taken=e.action_taken,
        outcome=e.outcome,
        infusion_id=e.infusion_id,
        expected_reaction=e.expected_reaction,
        awareness_at=e.awareness_at,
        reported_by=e.reported_by,
        reported_at=e.reported_at,
        voided=e.voided_at is not None,
        void_reason=e.void_reason,
        reports=[report_public(session, r, e, now) for r in reports],
        sponsor_assessment=assessment,
    )


def get_ae(session: Session, actor: Actor, ae_id: int) -> AdverseEventPublic:
    scope = visible_sites(actor)
    event = session.get(AdverseEvent, ae_id)
    if event is None or (scope is not None and event.site_id not in scope):
        raise NotFound(f"adverse event: no adverse event {ae_id}", field="ae")
    return ae_public(session, event)


def list_aes(
    session: Session,
    actor: Actor,
    *,
    subject_code: str | None = None,
    serious: bool | None = None,
    include_voided: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[AdverseEventPublic]:
    """Adverse events the actor may see, latest onset first; ``limit`` of them from ``offset``
    for one page of a long list."""
    stmt = _aes_stmt(session, actor, subject_code, serious, include_voided)
    stmt = stmt.order_by(AdverseEvent.onset_date.desc(), AdverseEvent.id.desc()).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [ae_public(session, e) for e in session.scalars(stmt)]


def count_aes(session: Session, actor: Actor, *, serious: bool | None = None) -> int:
    """How many adverse events ``list_aes`` lists with the same filter and no limit."""
    stmt = _aes_stmt(session, actor, None, serious, False)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _aes_stmt(
    session: Session,
    actor: Actor,
    subject_code: str | None,
    serious: bool | None,
    include_voided: bool,
) -> Select[AdverseEvent]:
    scope = visible_sites(actor)
    stmt = select(AdverseEvent)
    if subject_code:
        from msctrial.clinical.subjects.access import get_subject

        stmt = stmt.where(AdverseEvent.subject_id == get_subject(session, actor, subject_code).id)
    if serious is not None:
        stmt = stmt.where(AdverseEvent.serious.is_(serious))
    if not include_voided:
        stmt = stmt.where(AdverseEvent.voided_at.is_(None))
    if scope is not None:
        stmt = stmt.where(AdverseEvent.site_id.in_(scope))
    return stmt


def load_report(session: Session, actor: Actor, report_id: int) -> tuple[SaeReport, AdverseEvent]:
    scope = visible_sites(actor)
    report = session.get(SaeReport, report_id)
    if report is None or (scope is not None and report.site_id not in scope):
        raise NotFound(f"report: no SAE report {report_id}", field="report")
    event = session.get(AdverseEvent, report.ae_id)
    assert event is not None
    return report, event


REPORT_STATES = ("due", "overdue", "submitted", "submitted_late", "pending")


def list_sae_reports(
    session: Session, actor: Actor, *, state: str | None = None, now: dt.datetime | None = None
) -> list[SaeReportPublic]:
    """Expedited reports, soonest due first; ``pending`` is due and overdue together."""
    if state is not None and state not in REPORT_STATES:
        raise InvalidInput(f"state: {state!r}; allowed: {', '.join(REPORT_STATES)}", field="state")
    now = now or utcnow()
    scope = visible_sites(actor)
    stmt = (
        select(SaeReport, AdverseEvent)
        .join(AdverseEvent, AdverseEvent.id == SaeReport.ae_id)
        .where(SaeReport.voided_at.is_(None))
    )
    if scope is not None:
        stmt = stmt.where(SaeReport.site_id.in_(scope))
    if state in ("due", "overdue", "pending"):
        stmt = stmt.where(SaeReport.submitted_at.is_(None))
    out = [
        report_public(session, r, e, now)
        for r, e in session.execute(stmt.order_by(SaeReport.due_at))
    ]
    if state == "pending":
        return out
    return [r for r in out if state is None or r.state == state]


def ae_summary(session: Session, actor: Actor) -> dict[str, Any]:
    """Counts of events; per arm only for an unblinded reader (blinding is a security rule).

    Everyone gets the suspected SUSARs (serious, related, unexpected: the investigator's
    judgement) and how many the sponsor has assessed. Only per arm, for the DSMB, are they split
    into SUSARs (on the investigational product) and cases the sponsor found were not SUSARs
    (placebo): a placebo case is never counted as a SUSAR.
    """
    scope = visible_sites(actor)
    columns: list[Any] = [
        AdverseEvent.serious,
        AdverseEvent.grade,
        AdverseEvent.susar,
        SusarAssessment.completed_at,
    ]
    if not actor.is_blinded:  # a blinded reader's query never touches the allocation
        columns += [Allocation.arm, SusarAssessment.conclusion]
    stmt = (
        select(*columns)
        .outerjoin(
            SusarAssessment,
            (SusarAssessment.ae_id == AdverseEvent.id) & SusarAssessment.voided_at.is_(None),
        )
        .where(AdverseEvent.voided_at.is_(None))
    )
    if not actor.is_blinded:
        stmt = stmt.outerjoin(Allocation, Allocation.subject_id == AdverseEvent.subject_id)
    if scope is not None:
        stmt = stmt.where(AdverseEvent.site_id.in_(scope))
    rows = list(session.execute(stmt))

    def count(selected: list[Any]) -> dict[str, Any]:
        return {
            "events": len(selected),
            "serious": sum(1 for r in selected if r.serious),
            "suspected_susar": sum(1 for r in selected if r.susar),
            "sponsor_assessed": sum(1 for r in selected if r.susar and r.completed_at),
            "by_grade": {str(g): sum(1 for r in selected if r.grade == g) for g in range(1, 6)},
        }

    def concluded(selected: list[Any]) -> dict[str, Any]:
        def n(reportable: bool) -> int:
            return sum(
                1
                for r in selected
                if r.susar
                and r.conclusion
                and rules.SusarConclusion(r.conclusion).reportable is reportable
            )

        return {**count(selected), "susar": n(True), "not_susar": n(False)}

    summary: dict[str, Any] = {"total": count(rows)}
    if not actor.is_blinded:
        arms = sorted({r.arm or "not randomised" for r in rows})
        summary["by_arm"] = {
            a: concluded([r for r in rows if (r.arm or "not randomised") == a]) for a in arms
        }
    return summary
