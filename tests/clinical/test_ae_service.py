"""Adverse events through the service: SAE clocks, SUSARs, the post-infusion check, exits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from msctrial.clinical.dosing.tables import Infusion
from msctrial.clinical.randomisation.allocation import allocation_of
from msctrial.clinical.safety import service as safety
from msctrial.clinical.safety import susar
from msctrial.clinical.safety import views as safety_views
from msctrial.clinical.subjects.access import get_subject
from msctrial.clinical.subjects.tables import StudyExit
from msctrial.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from tests.clinical.test_dispensing import dispense, infuse, units_for
from tests.clinical.visits_support import consented_subject, randomised_subject


def event(onset: dt.date, **changes):
    data = {
        "term": "Acute kidney injury",
        "onset_date": onset.isoformat(),
        "grade": 3,
        "seriousness": ["hospitalisation"],
        "relationship_product": "possible",
        "relationship_infusion": "not_related",
        "expectedness": "unexpected",
        "outcome": "recovering",
    }
    return {**data, **changes}


@pytest.fixture
def subject(session, trial, rand_list):
    return randomised_subject(session, trial, days_ago=4)


def onset(session, trial, code, days=2):
    return get_subject(session, trial.actor("monitor"), code).day0_date + dt.timedelta(days=days)


def test_a_serious_event_is_due_to_the_sponsor_24_hours_after_awareness(session, trial, subject):
    aware = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
    ae = safety.report_ae(
        session,
        trial.actor("coordinator"),
        subject,
        event(onset(session, trial, subject), awareness_at=aware.isoformat()),
    )
    (report,) = ae.reports
    assert report.kind == "sponsor_initial" and report.due_at == aware + dt.timedelta(hours=24)
    assert report.state == "overdue"
    # The investigator and the monitors see the overdue report; another site does not.
    for who in ("investigator", "coordinator", "monitor"):
        assert [
            r.id for r in safety_views.list_sae_reports(session, trial.actor(who), state="overdue")
        ] == [report.id]
    assert safety_views.list_sae_reports(session, trial.actor("investigator.bjs")) == []


def test_a_non_serious_event_starts_no_clock(session, trial, subject):
    ae = safety.report_ae(
        session,
        trial.actor("coordinator"),
        subject,
        event(onset(session, trial, subject), seriousness=[]),
    )
    assert not ae.serious and ae.reports == []


def test_filing_the_sponsor_report_of_a_susar_starts_its_15_day_clock(session, trial, subject):
    inv, officer = trial.actor("investigator"), trial.actor("safety")
    aware = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    data = event(onset(session, trial, subject), awareness_at=aware.isoformat())
    ae = safety.report_ae(session, inv, subject, data)
    assert ae.susar
    with pytest.raises(InvalidInput):  # before the investigator even knew
        safety.submit_report(
            session, inv, ae.reports[0].id, submitted_at=aware - dt.timedelta(hours=1)
        )
    sent = aware + dt.timedelta(hours=2)
    filed = safety.submit_report(
        session, inv, ae.reports[0].id, submitted_at=sent, reference="SP-1"
    )
    assert filed.state == "submitted"
    # The clock to the regulators is the sponsor's, kept from the blinded site (issue 9, hole 6).
    seen = safety_views.get_ae(session, inv, ae.id)
    assert [r.kind for r in seen.reports] == ["sponsor_initial"]
    assert seen.sponsor_assessment == "pending"
    (clock,) = susar.susar_case(session, officer, ae.id).reports
    assert clock.kind == "susar" and clock.due_at == sent + dt.timedelta(days=15)
    with pytest.raises(PermissionDenied):  # the sponsor's safety officer files regulatory reports
        susar.file_regulatory_report(session, inv, clock.id)


def test_a_life_threatening_susar_owes_a_7_day_and_a_15_day_report(session, trial, subject):
    inv = trial.actor("investigator")
    data = event(onset(session, trial, subject), seriousness=["life_threatening"], grade=4)
    ae = safety.report_ae(session, inv, subject, data)
    sent = dt.datetime.now(dt.UTC)
    safety.submit_report(session, inv, ae.reports[0].id, submitted_at=sent)
    due = {
        r.kind: r.due_at for r in susar.susar_case(session, trial.actor("safety"), ae.id).reports
    }
    assert due["susar_initial"] == sent + dt.timedelta(days=7)
    assert due["susar_complete"] == sent + dt.timedelta(days=15)


def test_an_event_found_unrelated_later_voids_its_pending_susar_reports(session, trial, subject):
    inv = trial.actor("investigator")
    ae = safety.report_ae(session, inv, subject, event(onset(session, trial, subject)))
    safety.submit_report(session, inv, ae.reports[0].id)
    changed = safety.update_ae(
        session,
        inv,
        ae.id,
        event(onset(session, trial, subject), relationship_product="not_related"),
        reason="nephrotoxic antibiotic identified as the cause",
    )
    assert not changed.susar and [r.kind for r in changed.reports] == ["sponsor_initial"]


def test_an_event_that_becomes_serious_starts_the_sponsor_clock_on_change(session, trial, subject):
    inv = trial.actor("investigator")
    ae = safety.report_ae(
        session, inv, subject, event(onset(session, trial, subject), seriousness=[])
    )
    with pytest.raises(InvalidInput):
        safety.update_ae(session, inv, ae.id, event(onset(session, trial, subject)), reason=None)
    before = dt.datetime.now(dt.UTC)
    changed = safety.update_ae(
        session, inv, ae.id, event(onset(session, trial, subject)), reason="admitted to ICU"
    )
    (report,) = changed.reports
    assert (
        report.clock_start_at >= before
        and report.due_at == report.clock_start_at + dt.timedelta(hours=24)
    )


def test_a_fatal_event_ends_the_subjects_follow_up(session, trial, subject):
    inv = trial.actor("investigator")
    day = onset(session, trial, subject, 3)
    safety.report_ae(
        session,
        inv,
        subject,
        event(
            day,
            term="Respiratory failure",
            grade=5,
            outcome="fatal",
            end_date=day.isoformat(),
            seriousness=["death"],
            relationship_product="unlikely",
        ),
    )
    exit_ = session.scalar(select(StudyExit))
    assert (exit_.kind, exit_.exit_date) == ("died", day)
    assert get_subject(session, inv, subject).status == "died"


def test_an_event_before_consent_is_medical_history_and_refused(session, trial, rand_list):
    code = consented_subject(session, trial, days_ago=2)
    before = dt.date.today() - dt.timedelta(days=10)
    with pytest.raises(RuleViolation) as err:
        safety.report_ae(session, trial.actor("coordinator"), code, event(before))
    assert err.value.field == "consent"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"onset_date": "2999-01-01"}, "onset_date"),
        ({"onset_date": "yesterday"}, "onset_date"),
        ({"grade": 0}, "grade"),
        ({"relationship_product": "maybe"}, "relationship_product"),
    ],
)
def test_bad_adverse_event_input_names_the_field(session, trial, subject, changes, field):
    with pytest.raises(InvalidInput) as err:
        safety.report_ae(
            session,
            trial.actor("coordinator"),
            subject,
            event(onset(session, trial, subject), **changes),
        )
    assert err.value.field == field


def test_other_sites_and_non_site_roles_cannot_report(session, trial, subject):
    data = event(onset(session, trial, subject))
    with pytest.raises(NotFound):
        safety.report_ae(session, trial.actor("investigator.kmg"), subject, data)
    with pytest.raises(PermissionDenied):
        safety.report_ae(session, trial.actor("monitor"), subject, data)


def test_a_voided_event_drops_its_pending_reports(session, trial, subject):
    inv = trial.actor("investigator")
    ae = safety.report_ae(session, inv, subject, event(onset(session, trial, subject)))
    voided = safety.void_ae(session, inv, ae.id, "duplicate of AE 1")
    assert voided.voided and voided.reports == []
    assert safety_views.list_aes(session, inv, subject_code=subject) == []
    with pytest.raises(Conflict):
        safety.update_ae(session, inv, ae.id, event(onset(session, trial, subject)), reason="x")


def test_the_ae_summary_is_per_arm_only_for_unblinded_readers(session, trial, subject):
    safety.report_ae(
        session, trial.actor("investigator"), subject, event(onset(session, trial, subject))
    )
    blinded = safety_views.ae_summary(session, trial.actor("monitor"))
    assert "by_arm" not in blinded and blinded["total"]["serious"] == 1
    unblinded = safety_views.ae_summary(session, trial.actor("dsmb"))
    arm = allocation_of(session, get_subject(session, trial.actor("dsmb"), subject)).arm
    assert unblinded["by_arm"][arm]["events"] == 1


# --- the post-infusion check of the expected reactions --------------------------------------


@pytest.fixture
def infusion_id(session, trial, rand_list, stock):
    code = randomised_subject(session, trial)
    arm = allocation_of(session, get_subject(session, trial.actor("dsmb"), code)).arm
    units = units_for(arm, stock)
    dispense(session, trial, code, units, thawed_minutes=90, minutes_ago=80)
    infuse(session, trial, code, units, minutes_ago=20)
    return session.scalar(select(Infusion.id))


def test_each_expected_reaction_after_an_infusion_becomes_a_graded_adverse_event(
    session, trial, infusion_id
):
    events = safety.record_reaction_check(
        session,
        trial.actor("coordinator"),
        infusion_id,
        {"fever": True, "max_temperature_c": 39.4, "chills": True, "grades": {"chills": 1}},
    )
    by_term = {e.term: e for e in events}
    assert set(by_term) == {"Fever", "Chills"}
    assert by_term["Fever"].grade == 2  # > 39.0-40.0 °C (CTCAE v5)
    assert all(e.infusion_id == infusion_id and e.expectedness == "expected" for e in events)
    with pytest.raises(Conflict):
        safety.record_reaction_check(session, trial.actor("coordinator"), infusion_id, {})


def test_no_reaction_after_an_infusion_is_recorded_as_such(session, trial, infusion_id):
    assert safety.record_reaction_check(session, trial.actor("investigator"), infusion_id, {}) == []


@pytest.mark.parametrize(
    "answers",
    [
        {"fever": True},  # no temperature
        {"fever": True, "max_temperature_c": 37.6},  # not a fever
        {"max_temperature_c": 38.6},  # a fever not ticked
        {"chills": True},  # no grade
        {"allergic_reaction": True, "grades": {"allergic_reaction": 5}},
        {"grades": {"chills": 2}},  # graded, not ticked
        {"rash": True},
    ],
)
def test_an_inconsistent_reaction_check_is_refused(session, trial, infusion_id, answers):
    with pytest.raises(InvalidInput):
        safety.record_reaction_check(session, trial.actor("coordinator"), infusion_id, answers)


def test_a_serious_infusion_reaction_starts_the_sponsor_clock(session, trial, infusion_id):
    (ae,) = safety.record_reaction_check(
        session,
        trial.actor("investigator"),
        infusion_id,
        {
            "allergic_reaction": True,
            "grades": {"allergic_reaction": 3},
            "serious": {"allergic_reaction": ["hospitalisation"]},
        },
    )
    assert ae.serious and ae.reports[0].kind == "sponsor_initial" and not ae.susar
