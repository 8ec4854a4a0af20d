"""No study data before consent (issue 9, hole 4).

Before: the screening form stored birth year, weight and observations, and asked afterwards
whether consent was given. Now the screening log holds an anonymous number and a date, and
identifiable or clinical data are refused until informed consent is recorded.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.model import SubjectStatus
from msctrial.clinical.subjects.screening import (
    prescreen_patient,
    record_screen_failure,
    screen_subject,
)
from msctrial.clinical.subjects.tables import Screening, Subject
from msctrial.core.errors import InvalidInput, RuleViolation
from tests.clinical.conftest import SEVERE, criteria


def test_the_screening_log_holds_a_number_and_a_date_only(session, trial):
    subject = prescreen_patient(session, trial.actor("coordinator"), "wuh")
    assert subject.subject_code == "WUH-001"
    assert subject.status == SubjectStatus.prescreening
    assert (subject.year_of_birth, subject.sex, subject.weight_kg) == (None, None, None)
    assert subject.prescreened_on is not None


def test_screening_data_are_refused_until_consent_and_nothing_is_written(session, trial):
    inv = trial.actor("investigator")
    code = prescreen_patient(session, inv, "WUH").subject_code
    inc, exc = criteria(session)
    fields = dict(
        year_of_birth=1960,
        sex="female",
        weight_kg=70.0,
        observations=SEVERE,
        inclusion_met=inc,
        exclusion_present=exc,
    )
    with pytest.raises(RuleViolation) as err:
        screen_subject(session, inv, subject_code_text=code, **fields)
    assert err.value.field == "consent" and "before any screening data" in err.value.message
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Screening)) == 0
    assert session.scalar(select(Subject.year_of_birth).where(Subject.subject_code == code)) is None
    with pytest.raises(RuleViolation) as err:
        screen_subject(session, inv, subject_code_text=None, **fields)
    assert err.value.field == "subject" and "consent comes first" in err.value.message


def test_consent_opens_screening_and_the_first_screening_records_the_demographics(session, trial):
    inv = trial.actor("investigator")
    code = prescreen_patient(session, inv, "WUH").subject_code
    now = dt.datetime.now(dt.UTC)
    record_consent(session, inv, code, form_version="2.1", consented_at=now - dt.timedelta(hours=1))
    inc, exc = criteria(session)
    with pytest.raises(InvalidInput) as err:
        screen_subject(
            session,
            inv,
            subject_code_text=code,
            observations=SEVERE,
            inclusion_met=inc,
            exclusion_present=exc,
        )
    assert err.value.field == "year_of_birth" and "first screening" in err.value.message
    session.rollback()
    out = screen_subject(
        session,
        inv,
        subject_code_text=code,
        year_of_birth=1960,
        sex="female",
        weight_kg=70.0,
        observations=SEVERE,
        inclusion_met=inc,
        exclusion_present=exc,
    )
    assert out.subject.status == SubjectStatus.screening and out.eligibility.eligible
    assert (out.subject.year_of_birth, out.subject.weight_kg) == (1960, 70.0)


def test_observations_from_before_the_consent_are_refused(session, trial):
    inv = trial.actor("investigator")
    code = prescreen_patient(session, inv, "WUH").subject_code
    now = dt.datetime.now(dt.UTC)
    record_consent(session, inv, code, form_version="2.1", consented_at=now - dt.timedelta(hours=1))
    inc, exc = criteria(session)
    with pytest.raises(RuleViolation) as err:
        screen_subject(
            session,
            inv,
            subject_code_text=code,
            year_of_birth=1960,
            sex="female",
            weight_kg=70.0,
            observations=SEVERE,
            inclusion_met=inc,
            exclusion_present=exc,
            observed_at=now - dt.timedelta(hours=3),
        )
    assert err.value.field == "consent"


def test_a_patient_who_declines_leaves_the_log_with_a_reason(session, trial):
    coord = trial.actor("coordinator")
    code = prescreen_patient(session, coord, "WUH").subject_code
    failure = record_screen_failure(session, coord, code, "declined to take part")
    assert failure.reason == "declined to take part"
    subject = session.scalar(select(Subject).where(Subject.subject_code == code))
    assert subject.status == SubjectStatus.screen_failure and subject.year_of_birth is None


def test_the_api_refuses_identifiable_data_on_the_screening_log(session, trial, client, token):
    session.close()
    headers = token("coordinator")
    r = client.post(
        "/api/v1/clinical/subjects", json={"site": "WUH", "year_of_birth": 1960}, headers=headers
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "year_of_birth"
    r = client.post("/api/v1/clinical/subjects", json={"site": "WUH"}, headers=headers)
    assert r.status_code == 201 and r.json()["status"] == "prescreening"
    code = r.json()["subject_code"]
    inc, exc = criteria(session)
    session.close()
    r = client.post(
        f"/api/v1/clinical/subjects/{code}/screenings",
        json={
            "year_of_birth": 1960,
            "sex": "male",
            "weight_kg": 70,
            "observations": SEVERE,
            "inclusion_met": inc,
            "exclusion_present": exc,
        },
        headers=headers,
    )
    assert r.status_code == 409 or r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "consent"
