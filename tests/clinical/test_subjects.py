"""Screening, screen failures, consent and site isolation through the subject services."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.clinical.subjects.access import get_subject, list_subjects
from msctrial.clinical.subjects.consent import record_consent, require_consent
from msctrial.clinical.subjects.model import SubjectStatus
from msctrial.clinical.subjects.screening import prescreen_patient
from msctrial.core import audit
from msctrial.core.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from tests.clinical.conftest import consent_and_screen

SEVERE = {
    "pneumonia_on_imaging": True,
    "respiratory_rate": 32,
    "spo2_rest_pct": 91,
    "pao2_mmhg": 70,
    "fio2": 0.4,
}


def all_criteria(session):
    from msctrial.protocol.service import get_protocol, only_trial

    elig = get_protocol(session, only_trial(session).code).protocol.eligibility
    return {c: True for c in elig.inclusion}, {c: False for c in elig.exclusion}


def screen(session, actor, site="WUH", obs=SEVERE, **kw):
    inc, exc = all_criteria(session)
    kw.setdefault("inclusion_met", inc)
    kw.setdefault("exclusion_present", exc)
    return consent_and_screen(
        session,
        actor,
        site,
        year_of_birth=1960,
        sex="male",
        weight_kg=70.0,
        observations=obs,
        **kw,
    )


def test_a_screened_patient_gets_the_next_code_of_the_site(session, trial):
    inv = trial.actor("investigator")
    first = screen(session, inv)
    second = screen(session, inv)
    assert [first.subject.subject_code, second.subject.subject_code] == ["WUH-001", "WUH-002"]
    assert first.severity.severity == "severe" and first.eligibility.eligible
    assert first.subject.status == SubjectStatus.screening


def test_an_unmet_exclusion_records_a_screen_failure_with_its_reason(session, trial):
    inc, exc = all_criteria(session)
    exc["Pregnancy or breastfeeding"] = True
    out = screen(session, trial.actor("investigator"), exclusion_present=exc)
    assert out.screen_failure is not None
    assert "Pregnancy or breastfeeding" in out.screen_failure.reason
    assert out.subject.status == SubjectStatus.screen_failure


def test_a_site_user_cannot_see_another_sites_subject(session, trial):
    out = screen(session, trial.actor("investigator"))
    with pytest.raises(NotFound, match=r"subject: no subject 'WUH-001'"):
        get_subject(session, trial.actor("investigator.bjs"), out.subject.subject_code)
    assert list_subjects(session, trial.actor("investigator.bjs")) == []
    assert [s.subject_code for s in list_subjects(session, trial.actor("monitor"))] == ["WUH-001"]


def test_a_site_user_cannot_screen_at_another_site(session, trial):
    with pytest.raises(PermissionDenied, match=r"you need the role investigator or coordinator"):
        screen(session, trial.actor("investigator.bjs"), site="WUH")


def test_consent_by_a_legal_representative_needs_name_and_relationship(session, trial):
    inv = trial.actor("investigator")
    code = screen(session, inv).subject.subject_code
    with pytest.raises(
        InvalidInput, match=r"representative_name: a representative's consent needs their name"
    ) as err:
        record_consent(
            session,
            inv,
            code,
            form_version="2.0",
            consented_at=dt.datetime.now(dt.UTC),
            signer="legal_representative",
        )
    assert err.value.field == "representative_name"
    consent = record_consent(
        session,
        inv,
        code,
        form_version="2.0",
        consented_at=dt.datetime.now(dt.UTC),
        signer="legal_representative",
        representative_name="Li Na",
        representative_relationship="spouse",
    )
    assert consent.signer == "legal_representative"


def test_no_study_procedure_before_consent(session, trial):
    inv = trial.actor("investigator")
    subject = prescreen_patient(session, inv, "WUH")
    with pytest.raises(RuleViolation, match=r"consent: WUH-001 has no informed consent before"):
        require_consent(session, subject)
    now = dt.datetime.now(dt.UTC)
    record_consent(
        session,
        inv,
        subject.subject_code,
        form_version="1.0",
        consented_at=now - dt.timedelta(hours=1),
    )
    assert require_consent(session, subject, now).form_version == "1.0"
    with pytest.raises(RuleViolation, match=r"consent: WUH-001 has no informed consent before"):
        require_consent(session, subject, now - dt.timedelta(hours=2))
    assert audit.verify_chain(session).ok
