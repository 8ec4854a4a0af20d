"""Malformed input through the API: one error naming the field, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.screening import prescreen_patient
from msctrial.clinical.subjects.tables import Consent, Screening, Subject
from tests.clinical.conftest import criteria, enrol


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"weight_kg": 350}, "weight_kg", "invalid_input"),  # pounds, not kg
        ({"sex": "unknown"}, "sex", "invalid_input"),
        ({"year_of_birth": 1850}, "year_of_birth", "invalid_input"),
        ({"observations": {"pao2_mmhg": 9.3, "fio2": 0.4}}, "pao2_mmhg", "out_of_range"),  # kPa
        ({"observations": {"fio2": 40, "pao2_mmhg": 60}}, "fio2", "out_of_range"),
        ({"observations": {"resp_rate": 20}}, "resp_rate", "invalid_input"),
        ({"inclusion_met": {"Not a criterion": True}}, "inclusion", "invalid_input"),
        ({"observed_at": "2026-13-40T10:00:00Z"}, "observed_at", "invalid_input"),
        ({"observed_at": "2099-01-01T10:00:00Z"}, "observed_at", "invalid_input"),
        ({"observed_at": "2026-03-01T10:00:00"}, "observed_at", "invalid_input"),  # no zone
        ({"colour": "blue"}, "colour", "invalid_input"),
    ],
)
def test_screening_refuses_bad_input_naming_the_field(
    session, trial, client, token, changes, field, code
):
    inc, exc = criteria(session)
    inv = trial.actor("investigator")
    subject = prescreen_patient(session, inv, "WUH")
    record_consent(
        session,
        inv,
        subject.subject_code,
        form_version="1.0",
        consented_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=6),
    )
    session.close()
    body = {
        "year_of_birth": 1960,
        "sex": "male",
        "weight_kg": 70,
        "observations": {"pneumonia_on_imaging": True, "spo2_rest_pct": 92},
        "inclusion_met": inc,
        "exclusion_present": exc,
        **changes,
    }
    r = client.post(
        f"/api/v1/clinical/subjects/{subject.subject_code}/screenings",
        json=body,
        headers=token("investigator"),
    )
    assert r.status_code in (404, 422), r.text
    error = r.json()["error"]
    assert (error["field"], error["code"]) == (field, code)
    assert session.scalar(select(func.count()).select_from(Screening)) == 0
    assert session.scalar(select(Subject.year_of_birth)) is None


def test_the_screening_log_refuses_an_unknown_site(session, trial, client, token):
    session.close()
    r = client.post(
        "/api/v1/clinical/subjects", json={"site": "XYZ"}, headers=token("investigator")
    )
    assert r.status_code == 404 and r.json()["error"]["field"] == "site"
    assert session.scalar(select(func.count()).select_from(Subject)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"form_version": "1.0", "consented_at": "2026-03-01T10:00:00"}, "consented_at"),
        ({"form_version": "", "consented_at": "2026-03-01T10:00:00Z"}, "form_version"),
        ({"form_version": "1.0", "consented_at": "2099-03-01T10:00:00Z"}, "consented_at"),
        ({"form_version": "1.0", "consented_at": "yesterday"}, "consented_at"),
        (
            {"form_version": "1.0", "consented_at": "2026-03-01T10:00:00Z", "signer": "mother"},
            "signer",
        ),
    ],
)
def test_consent_refuses_bad_input(session, trial, client, token, body, field):
    code = enrol(session, trial.actor("investigator"), consent=False)
    session.close()
    r = client.post(
        f"/api/v1/clinical/subjects/{code}/consents", json=body, headers=token("coordinator")
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
    assert session.scalar(select(func.count()).select_from(Consent)) == 0


def test_an_unknown_subject_is_not_found(client, token, trial):
    r = client.get("/api/v1/clinical/subjects/WUH-999", headers=token("monitor"))
    assert r.status_code == 404 and r.json()["error"]["field"] == "subject"
