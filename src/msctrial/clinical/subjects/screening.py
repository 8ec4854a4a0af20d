"""Screening a patient: the screening log, severity, eligibility, screen failures.

``prescreen_patient`` enters a patient on the site's log under the next code (WUH-001, ...):
an anonymous number and a date. After informed consent, ``screen_subject`` records the
demographics and observations, classifies severity (``severity``), checks eligibility
(``eligibility``), and records a screen failure when a criterion is not met.
``record_screen_failure`` records one for another reason (e.g. the patient declined).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import (
    SITE_STAFF,
    check_time,
    get_subject,
    site_of,
    trial_for,
)
from msctrial.clinical.subjects.consent import require_consent
from msctrial.clinical.subjects.eligibility import EligibilityResult, age_at, check_eligibility
from msctrial.clinical.subjects.model import Sex, SubjectStatus, subject_code
from msctrial.clinical.subjects.severity import (
    SeverityResult,
    classify_severity,
    parse_observations,
)
from msctrial.clinical.subjects.tables import ScreenFailure, Screening, Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput, NotFound, RuleViolation
from msctrial.core.localtime import site_local_date
from msctrial.core.tables import Site
from msctrial.protocol.service import get_protocol
from msctrial.protocol.tables import Trial

MIN_YEAR_OF_BIRTH = 1900


@dataclass(frozen=True)
class ScreeningOutcome:
    subject: Subject
    screening: Screening
    severity: SeverityResult
    eligibility: EligibilityResult
    screen_failure: ScreenFailure | None


def _check_demographics(year_of_birth: int, sex: str, weight_kg: float, year: int) -> None:
    if not isinstance(year_of_birth, int) or not MIN_YEAR_OF_BIRTH <= year_of_birth <= year:
        raise InvalidInput(
            f"year_of_birth: give a year between {MIN_YEAR_OF_BIRTH} and {year}",
            field="year_of_birth",
        )
    if sex not in Sex.__members__:
        raise InvalidInput(f"sex: {sex!r}; allowed: {', '.join(Sex)}", field="sex")
    from msctrial.protocol.dosing import _check_weight

    _check_weight(weight_kg)


def _next_sequence(session: Session, trial_id: int, site: Site) -> int:
    # Lock the site row so two coordinators at one site never draw the same number (PostgreSQL;
    # SQLite serialises writers with BEGIN IMMEDIATE already).
    session.execute(select(Site.id).where(Site.id == site.id).with_for_update())
    last = session.scalar(
        select(func.max(Subject.sequence)).where(
            Subject.trial_id == trial_id, Subject.site_id == site.id
        )
    )
    return (last or 0) + 1


def prescreen_patient(
    session: Session,
    actor: Actor,
    site_code: str | None,
    *,
    prescreened_on: dt.date | None = None,
    trial_code: str | None = None,
) -> Subject:
    """Enter a patient on the site's screening log: an anonymous number and the date, no more.

    GCP allows nothing identifiable or clinical before informed consent (ICH E6(R2) 4.8.8), so
    the log holds only what a site must keep of everyone it approached: the number, the date,
    and (``record_screen_failure``) the reason a patient was not enrolled.
    """
    if not site_code:
        raise InvalidInput("site: name the site that screens the patient", field="site")
    trial = trial_for(session, trial_code)
    site = session.scalar(select(Site).where(Site.code == site_code.strip().upper()))
    if site is None:
        raise NotFound(f"site: unknown site code {site_code!r}", field="site")
    actor.require(*SITE_STAFF, site_id=site.id, to="enter patients on the screening log")
    today = site_local_date(utcnow(), site)
    day = prescreened_on or today
    if day > today:
        raise InvalidInput(
            f"prescreened_on: {day} is in the future (today is {today} at {site.code})",
            field="prescreened_on",
        )
    audit.attach(session, actor)
    seq = _next_sequence(session, trial.id, site)
    subject = Subject(
        trial_id=trial.id,
        site_id=site.id,
        sequence=seq,
        subject_code=subject_code(site.code, seq),
        status=SubjectStatus.prescreening.value,
        prescreened_on=day,
        created_by=actor.audit_name,
    )
    session.add(subject)
    session.commit()
    return subject


def _screenable(
    session: Session, actor: Actor, code: str | None, trial_code: str | None
) -> Subject:
    if not code:
        raise RuleViolation(
            "subject: consent comes first: enter the patient on the screening log, record "
            "informed consent, then screen that subject",
            field="subject",
        )
    subject = get_subject(session, actor, code, trial_code=trial_code, for_update=True)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="screen patients")
    if subject.status == SubjectStatus.prescreening:
        raise RuleViolation(
            f"consent: {subject.subject_code} has not consented; record informed consent "
            "before any screening data",
            field="consent",
        )
    if subject.status != SubjectStatus.screening:
        raise RuleViolation(
            f"subject: {subject.subject_code} is {subject.status}; only a subject still in "
            "screening can be screened",
            field="subject",
        )
    return subject


def _demographics(
    subject: Subject,
    year_of_birth: int | None,
    sex: str | None,
    weight_kg: float | None,
    year: int,
) -> None:
    """Set a first screening's demographics; a re-screen keeps those recorded."""
    if subject.year_of_birth is not None:
        return
    given = (("year_of_birth", year_of_birth), ("sex", sex), ("weight_kg", weight_kg))
    missing = [n for n, v in given if v is None]
    if missing:
        raise InvalidInput(f"{missing[0]}: required at the first screening", field=missing[0])
    assert year_of_birth is not None and sex is not None and weight_kg is not None
    _check_demographics(year_of_birth, sex, weight_kg, year)
    subject.year_of_birth, subject.sex, subject.weight_kg = year_of_birth, sex, float(weight_kg)


def screen_subject(
    session: Session,
    actor: Actor,
    *,
    observations: Mapping[str, Any],
    subject_code_text: str | None,
    year_of_birth: int | None = None,
    sex: str | None = None,
    weight_kg: float | None = None,
    inclusion_met: Mapping[str, bool] | None = None,
    exclusion_present: Mapping[str, bool] | None = None,
    observed_at: dt.datetime | None = None,
    trial_code: str | None = None,
) -> ScreeningOutcome:
    """Screen a consented subject: classify severity and check eligibility.

    The first screening also records year of birth, sex and weight; all of it is refused
    until informed consent covers the time of the observations. The site's altitude and
    pressure fill the P/F altitude correction unless the observations give them.
    """
    observed = check_time(observed_at, "observed_at")
    subject = _screenable(session, actor, subject_code_text, trial_code)
    require_consent(session, subject, observed)
    audit.attach(session, actor)
    site = site_of(session, subject)
    trial = session.get(Trial, subject.trial_id)
    assert trial is not None
    first = subject.year_of_birth is None
    with audit.because(session, "screened" if first else "re-screened", action="screen"):
        _demographics(subject, year_of_birth, sex, weight_kg, observed.year)
    protocol = get_protocol(session, trial.code).protocol
    data = dict(observations)
    if site.altitude_m is not None:
        data.setdefault("altitude_m", site.altitude_m)
    if site.barometric_pressure_mmhg is not None:
        data.setdefault("barometric_pressure_mmhg", site.barometric_pressure_mmhg)
    yob = subject.year_of_birth
    assert yob is not None
    age = age_at(yob, observed.year)
    if "age_years" in data and data["age_years"] is not None:
        if isinstance(data["age_years"], int | float) and abs(data["age_years"] - age) > 1:
            raise InvalidInput(
                f"age_years: {data['age_years']} does not match the year of birth {yob}",
                field="age_years",
            )
    else:
        data["age_years"] = age
    obs = parse_observations(data)
    result = classify_severity(obs)
    elig = check_eligibility(
        protocol.eligibility,
        age_years=int(obs.age_years) if obs.age_years is not None else age,
        severity=result.severity,
        inclusion_met=inclusion_met,
        exclusion_present=exclusion_present,
    )
    with audit.because(session, "screened" if first else "re-screened", action="screen"):
        subject.severity = result.severity.value
        subject.eligible = elig.eligible
    screening = Screening(
        subject_id=subject.id,
        site_id=subject.site_id,
        observed_at=observed,
        observations=obs.model_dump(mode="json", exclude_none=True),
        severity=result.severity.value,
        pf_ratio=result.pf_ratio,
        pf_ratio_corrected=result.pf_ratio_corrected,
        ards_berlin=result.ards_berlin,
        who_scale=result.who_scale,
        reasons=list(result.reasons),
        progressing_basis=result.progressing_basis,
        eligible=elig.eligible,
        criteria=[c.to_dict() for c in elig.criteria],
        recorded_by=actor.audit_name,
    )
    session.add(screening)
    session.flush()
    failure = None
    if elig.failed:
        failure = _fail(
            session, actor, subject, elig.failure_reason(), [c.to_dict() for c in elig.unmet]
        )
    session.commit()
    return ScreeningOutcome(subject, screening, result, elig, failure)


def _fail(
    session: Session, actor: Actor, subject: Subject, reason: str, unmet: list[dict[str, Any]]
) -> ScreenFailure:
    failure = ScreenFailure(
        subject_id=subject.id,
        site_id=subject.site_id,
        reason=reason,
        unmet_criteria=unmet,
        recorded_by=actor.audit_name,
    )
    session.add(failure)
    with audit.because(session, f"screen failure: {reason}", action="screen_failure"):
        subject.status = SubjectStatus.screen_failure.value
    return failure


def record_screen_failure(
    session: Session, actor: Actor, subject_code_text: str, reason: str | None
) -> ScreenFailure:
    """Record that a patient on the screening log will not be enrolled, and why (e.g. declined)."""
    subject = get_subject(session, actor, subject_code_text, for_update=True)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="record screen failures")
    why = audit.require_reason(reason, "record a screen failure")
    if subject.status not in (SubjectStatus.prescreening, SubjectStatus.screening):
        raise RuleViolation(
            f"subject: {subject.subject_code} is {subject.status}, not in screening",
            field="subject",
        )
    audit.attach(session, actor)
    failure = _fail(session, actor, subject, why, [])
    session.commit()
    return failure


def latest_screening(session: Session, subject: Subject) -> Screening | None:
    return session.scalar(
        select(Screening)
        .where(Screening.subject_id == subject.id)
        .order_by(Screening.observed_at.desc(), Screening.id.desc())
        .limit(1)
    )


def screen_failure_of(session: Session, subject: Subject) -> ScreenFailure | None:
    return session.scalar(select(ScreenFailure).where(ScreenFailure.subject_id == subject.id))
