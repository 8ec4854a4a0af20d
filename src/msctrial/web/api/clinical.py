"""JSON API for clinical operations: screening, consent, randomisation, unblinding.

Each route parses its body, calls one service and returns a public schema. Blinding and site
isolation are decided by the services (``msctrial.clinical.casebook.record`` and friends), so the
route for a blinded user simply has no arm to return.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from msctrial.clinical.casebook.listings import export_subjects_csv
from msctrial.clinical.casebook.record import (
    screening_public,
    subject_detail,
    subject_list,
    subject_public,
)
from msctrial.clinical.casebook.schemas import SubjectDetail
from msctrial.clinical.randomisation import service as randomisation
from msctrial.clinical.randomisation import views as randomisation_views
from msctrial.clinical.randomisation.schemas import (
    AllocationPublic,
    AllocationUnblinded,
    RandomisationListPublic,
    UnblindingPublic,
    UnblindingResult,
)
from msctrial.clinical.randomisation.unblinding import emergency_unblind
from msctrial.clinical.randomisation.views import unblinding_list
from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.schemas import (
    ConsentPublic,
    ScreenFailurePublic,
    ScreeningOutcomePublic,
    SeverityPublic,
    SubjectPublic,
    SubjectUnblinded,
)
from msctrial.clinical.subjects.screening import (
    MIN_YEAR_OF_BIRTH,
    ScreeningOutcome,
    prescreen_patient,
    record_screen_failure,
    screen_subject,
)
from msctrial.clinical.subjects.severity import classify_severity, parse_observations
from msctrial.web.deps import ApiActor, Db

router = APIRouter(prefix="/api/v1/clinical", tags=["clinical"])


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PrescreenRequest(Body):
    """The screening log's entry: nothing identifiable or clinical before consent."""

    site: str = Field(description="site code")
    prescreened_on: dt.date | None = Field(default=None, description="default: today at the site")


class PrescreenPublic(BaseModel):
    subject_code: str
    site: str
    status: str
    prescreened_on: dt.date | None


class ScreenRequest(Body):
    """A consented subject's screening; the first one also gives the demographics."""

    year_of_birth: int | None = Field(
        default=None, ge=MIN_YEAR_OF_BIRTH, le=2100, description="required at the first screening"
    )
    sex: str | None = Field(default=None, description="female or male; at the first screening")
    weight_kg: float | None = Field(default=None, description="at the first screening")
    observations: dict[str, Any] = Field(description="see `msctrial clinical severity`")
    inclusion_met: dict[str, bool] = Field(default_factory=dict)
    exclusion_present: dict[str, bool] = Field(default_factory=dict)
    observed_at: dt.datetime | None = None


class ReasonRequest(Body):
    reason: str | None = None


class ConsentRequest(Body):
    form_version: str
    consented_at: dt.datetime
    taken_by: str | None = None
    signer: str = "subject"
    representative_name: str | None = None
    representative_relationship: str | None = None


class SetupRequest(Body):
    seed: str | None = Field(default=None, description="secret; random when omitted")
    per_stratum: int | None = Field(default=None, ge=1, le=100000)


def _outcome(db: Db, actor: ApiActor, out: ScreeningOutcome) -> ScreeningOutcomePublic:
    return ScreeningOutcomePublic(
        subject=subject_public(db, actor, out.subject),
        screening=screening_public(out.screening),
        screen_failure=ScreenFailurePublic.model_validate(out.screen_failure)
        if out.screen_failure
        else None,
    )


@router.post("/severity", response_model=SeverityPublic)
def severity(body: dict[str, Any], actor: ApiActor) -> SeverityPublic:
    """Classify observations without storing anything (the CLI's `severity` contract)."""
    result = classify_severity(parse_observations(body))
    return SeverityPublic(**result.to_contract(), who_scale=result.who_scale)


@router.get("/subjects", response_model=list[SubjectUnblinded | SubjectPublic])
def list_subjects(
    db: Db, actor: ApiActor, site: str | None = None, status: str | None = None
) -> list[SubjectPublic]:
    return subject_list(db, actor, site_code=site, status=status)


@router.get("/subjects.csv", response_class=Response)
def export_subjects(db: Db, actor: ApiActor, site: str | None = None) -> Response:
    text = export_subjects_csv(db, actor, site_code=site)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="subjects.csv"'},
    )


@router.post("/subjects", response_model=PrescreenPublic, status_code=201)
def prescreen(body: PrescreenRequest, db: Db, actor: ApiActor) -> PrescreenPublic:
    """Enter a patient on the screening log; consent, then ``/screenings``, follow."""
    subject = prescreen_patient(db, actor, body.site, prescreened_on=body.prescreened_on)
    return PrescreenPublic(
        subject_code=subject.subject_code,
        site=body.site.strip().upper(),
        status=subject.status,
        prescreened_on=subject.prescreened_on,
    )


@router.get("/subjects/{code}", response_model=SubjectDetail)
def subject(code: str, db: Db, actor: ApiActor) -> SubjectDetail:
    return subject_detail(db, actor, code)


@router.post("/subjects/{code}/screenings", response_model=ScreeningOutcomePublic)
def screen(code: str, body: ScreenRequest, db: Db, actor: ApiActor) -> ScreeningOutcomePublic:
    """Screen a consented subject (refused before consent, naming ``consent``)."""
    out = screen_subject(
        db,
        actor,
        subject_code_text=code,
        year_of_birth=body.year_of_birth,
        sex=body.sex,
        weight_kg=body.weight_kg,
        observations=body.observations,
        inclusion_met=body.inclusion_met,
        exclusion_present=body.exclusion_present,
        observed_at=body.observed_at,
    )
    return _outcome(db, actor, out)


@router.post("/subjects/{code}/screen-failure", response_model=ScreenFailurePublic)
def screen_failure(code: str, body: ReasonRequest, db: Db, actor: ApiActor) -> ScreenFailurePublic:
    return ScreenFailurePublic.model_validate(record_screen_failure(db, actor, code, body.reason))


@router.post("/subjects/{code}/consents", response_model=ConsentPublic, status_code=201)
def consent(code: str, body: ConsentRequest, db: Db, actor: ApiActor) -> ConsentPublic:
    return ConsentPublic.model_validate(record_consent(db, actor, code, **body.model_dump()))


class RandomiseRequest(Body):
    password: str = Field(description="your password again: the e-signature")


class UnblindRequest(Body):
    reason: str = Field(description="why the blind must be broken (audited, shown to monitors)")
    password: str = Field(description="your password again: the e-signature")


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="a fresh key per act (e.g. a UUID); repeating it returns the first result",
    ),
]


class RandomisationPreviewPublic(BaseModel):
    subject_code: str
    site_code: str
    strata: dict[str, str]
    stratum: str
    told: list[str]


@router.get("/subjects/{code}/randomise", response_model=RandomisationPreviewPublic)
def randomise_preview(code: str, db: Db, actor: ApiActor) -> RandomisationPreviewPublic:
    """What randomising this subject will do (its stratum, who is told); writes nothing."""
    p = randomisation.randomisation_preview(db, actor, code)
    return RandomisationPreviewPublic(
        subject_code=p.subject_code,
        site_code=p.site_code,
        strata=p.strata,
        stratum=p.stratum,
        told=list(p.told),
    )


@router.post("/subjects/{code}/randomise", response_model=AllocationUnblinded | AllocationPublic)
def randomise_subject(
    code: str, body: RandomiseRequest, db: Db, actor: ApiActor, key: IdempotencyKey = None
) -> AllocationPublic:
    view = randomisation.randomise_subject(db, actor, code, password=body.password, request_key=key)
    fields: dict[str, Any] = dict(
        subject_code=code.strip().upper(),
        randomisation_no=view.randomisation_no,
        allocated_at=view.allocated_at,
        allocated_by=view.allocated_by,
    )
    if view.arm is not None:
        return AllocationUnblinded(**fields, arm=view.arm)
    return AllocationPublic(**fields)


@router.post("/subjects/{code}/unblind", response_model=UnblindingResult)
def unblind(
    code: str, body: UnblindRequest, db: Db, actor: ApiActor, key: IdempotencyKey = None
) -> UnblindingResult:
    """Emergency unblinding by the subject's investigator: the one route that returns an arm."""
    result = emergency_unblind(
        db, actor, code, body.reason, password=body.password, request_key=key
    )
    return UnblindingResult.model_validate(result)


@router.get("/unblindings", response_model=list[UnblindingPublic])
def unblindings(db: Db, actor: ApiActor) -> list[UnblindingPublic]:
    return unblinding_list(db, actor)


@router.get("/randomisation", response_model=RandomisationListPublic)
def randomisation_status(db: Db, actor: ApiActor) -> RandomisationListPublic:
    return randomisation_views.randomisation_status(db, actor)


@router.post("/randomisation", response_model=RandomisationListPublic, status_code=201)
def set_up_randomisation(body: SetupRequest, db: Db, actor: ApiActor) -> RandomisationListPublic:
    randomisation.set_up_randomisation(db, actor, seed=body.seed, per_stratum=body.per_stratum)
    return randomisation_views.randomisation_status(db, actor)
