"""The sponsor's assessment of a suspected SUSAR through the service (issue 9, hole 6).

A serious, related, unexpected event opens the sponsor's assessment when the sponsor first
knows of it (day 0 of the 7/15-day clocks, ICH E2A). The sponsor's safety officer unblinds that
one case, signed: on cells it is a SUSAR and is reported; on placebo it is not, and its clock
stops with that reason. The investigator and blinded staff learn only that the assessment is
complete — in the views, the summary and the audit trail.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from msctrial.clinical.safety import service as safety
from msctrial.clinical.safety import susar
from msctrial.clinical.safety import views as safety_views
from msctrial.clinical.subjects.access import get_subject
from msctrial.core import audit
from msctrial.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ReasonRequired,
    RuleViolation,
)
from msctrial.core.tables import AuditEntry
from tests.clinical.test_ae_service import event

CELLS, PLACEBO = "UC-MSC", "Placebo"  # the arms of the demo protocol; ``on_arm`` in conftest


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def suspect(session, trial, code, **changes) -> tuple[int, dt.datetime]:
    """A suspected SUSAR reported 5 h ago, whose SAE report reached the sponsor 2 h ago."""
    inv = trial.actor("investigator")
    onset = get_subject(session, inv, code).day0_date + dt.timedelta(days=2)
    data = event(onset, awareness_at=(now() - dt.timedelta(hours=5)).isoformat(), **changes)
    ae = safety.report_ae(session, inv, code, data)
    assert ae.susar
    sent = now() - dt.timedelta(hours=2)
    safety.submit_report(session, inv, ae.reports[0].id, submitted_at=sent)
    return ae.id, sent


def assess(session, trial, ae_id, **kw):  # noqa: ANN201
    kw.setdefault("password", trial.passwords["safety"])
    return susar.assess_susar(session, trial.actor("safety"), ae_id, "causality", **kw)


def test_the_sponsors_assessment_opens_when_the_sponsor_learns_of_the_event(session, trial, on_arm):
    inv = trial.actor("investigator")
    onset = get_subject(session, inv, on_arm[CELLS]).day0_date + dt.timedelta(days=2)
    data = event(onset, awareness_at=(now() - dt.timedelta(hours=20)).isoformat())
    ae = safety.report_ae(session, inv, on_arm[CELLS], data)
    # Until the sponsor knows of it, the sponsor assesses nothing and no clock runs to them.
    assert ae.sponsor_assessment is None
    with pytest.raises(NotFound):
        susar.susar_case(session, trial.actor("safety"), ae.id)
    sent = now() - dt.timedelta(hours=3)
    safety.submit_report(session, inv, ae.reports[0].id, submitted_at=sent)
    case = susar.susar_case(session, trial.actor("safety"), ae.id)
    # Day 0 is the sponsor's first knowledge, not the investigator's awareness (ICH E2A).
    assert case.assessment.state == "pending" and case.assessment.sponsor_aware_at == sent
    assert [(r.kind, r.clock_start_at, r.due_at) for r in case.reports] == [
        ("susar", sent, sent + dt.timedelta(days=15))
    ]
    assert case.arm is None and case.assessment.conclusion is None
    assert safety_views.get_ae(session, inv, ae.id).sponsor_assessment == "pending"


def test_a_fatal_or_life_threatening_case_owes_7_and_15_days_from_day_0(session, trial, on_arm):
    ae_id, sent = suspect(session, trial, on_arm[CELLS], seriousness=["life_threatening"], grade=4)
    case = susar.susar_case(session, trial.actor("safety"), ae_id)
    assert {r.kind: r.due_at for r in case.reports} == {
        "susar_initial": sent + dt.timedelta(days=7),
        "susar_complete": sent + dt.timedelta(days=15),
    }


def test_a_case_on_placebo_is_not_a_susar_and_its_clock_stops_with_that_reason(
    session, trial, on_arm
):
    ae_id, _ = suspect(session, trial, on_arm[PLACEBO])
    case = assess(session, trial, ae_id)
    assert case.arm == PLACEBO and case.product == "placebo"
    assert case.assessment.conclusion == "not_susar_placebo"
    (report,) = case.reports
    assert report.state == "stopped" and report.submitted_at is None
    assert report.stop_reason == "not a SUSAR: the subject received placebo"
    with pytest.raises(Conflict):  # nothing is filed for a stopped clock
        susar.file_regulatory_report(session, trial.actor("safety"), report.id)
    # Days later, the clock is still stopped, never overdue.
    later = susar.susar_case(session, trial.actor("safety"), ae_id, now=now() + dt.timedelta(30))
    assert later.reports[0].state == "stopped"


def test_a_case_on_cells_is_a_susar_whose_reports_the_safety_officer_files(session, trial, on_arm):
    ae_id, sent = suspect(session, trial, on_arm[CELLS])
    officer = trial.actor("safety")
    (pending,) = susar.susar_case(session, officer, ae_id).reports
    with pytest.raises(RuleViolation):  # only a case assessed a SUSAR is reported
        susar.file_regulatory_report(session, officer, pending.id)
    case = assess(session, trial, ae_id)
    assert case.arm == CELLS and case.assessment.conclusion == "susar"
    (report,) = case.reports
    assert report.state == "due" and report.due_at == sent + dt.timedelta(days=15)
    for who in ("investigator", "monitor", "dsmb"):
        with pytest.raises(PermissionDenied):
            susar.file_regulatory_report(session, trial.actor(who), report.id)
    filed = susar.file_regulatory_report(session, officer, report.id, reference="EV-1")
    assert filed.state == "submitted" and filed.submitted_by == "safety"


def test_only_the_safety_role_unblinds_a_case(session, trial, on_arm):
    ae_id, _ = suspect(session, trial, on_arm[CELLS])
    for who in ("investigator", "coordinator", "monitor", "statistician", "admin", "dsmb"):
        with pytest.raises(PermissionDenied):
            susar.assess_susar(
                session, trial.actor(who), ae_id, "causality", password=trial.passwords[who]
            )
        with pytest.raises(PermissionDenied):
            susar.susar_case(session, trial.actor(who), ae_id)
    assert susar.susar_case(session, trial.actor("safety"), ae_id).assessment.state == "pending"


def test_unblinding_a_case_is_signed_with_the_password_and_a_reason(session, trial, on_arm):
    ae_id, _ = suspect(session, trial, on_arm[PLACEBO])
    officer = trial.actor("safety")
    with pytest.raises(NotAuthenticated):
        susar.assess_susar(session, officer, ae_id, "causality", password="wrong-password")
    session.rollback()
    with pytest.raises(ReasonRequired):
        susar.assess_susar(session, officer, ae_id, "  ", password=trial.passwords["safety"])
    session.rollback()
    case = susar.susar_case(session, officer, ae_id)
    assert case.assessment.state == "pending" and case.reports[0].state == "due"


def test_a_repeated_request_key_unblinds_once(session, trial, on_arm):
    ae_id, _ = suspect(session, trial, on_arm[CELLS])
    first = assess(session, trial, ae_id, request_key="key-0123456789")
    entries = session.scalar(select(func.count(AuditEntry.seq)))
    again = assess(session, trial, ae_id, request_key="key-0123456789")
    assert again == first and session.scalar(select(func.count(AuditEntry.seq))) == entries
    with pytest.raises(Conflict):  # a new key for a case already assessed
        assess(session, trial, ae_id, request_key="key-9876543210")


def test_the_investigator_and_blinded_staff_learn_only_that_the_assessment_is_complete(
    session, trial, on_arm
):
    cases = {arm: suspect(session, trial, code)[0] for arm, code in on_arm.items()}
    for ae_id in cases.values():
        assess(session, trial, ae_id)
    for who in ("investigator", "coordinator", "monitor", "statistician", "admin", "safety"):
        actor = trial.actor(who)
        seen = {}
        for arm, ae_id in cases.items():
            ae = safety_views.get_ae(session, actor, ae_id)
            assert ae.sponsor_assessment == "complete"
            assert [r.kind for r in ae.reports] == ["sponsor_initial"]
            seen[arm] = ae.model_dump(
                mode="json", exclude={"id", "subject", "number", "onset_date", "reports"}
            )
            seen[arm].pop("awareness_at"), seen[arm].pop("reported_at")
        # The two events, one per arm, look exactly alike to a blinded reader.
        assert seen[CELLS] == seen[PLACEBO], who
        listed = susar.list_assessments(session, actor)
        assert {a.state for a in listed} == {"complete"} and len(listed) == 2
        text = json.dumps([a.model_dump(mode="json") for a in listed])
        assert "conclusion" not in text and "placebo" not in text.lower(), who
    dsmb = {a.ae_id: a for a in susar.list_assessments(session, trial.actor("dsmb"))}
    assert dsmb[cases[PLACEBO]].conclusion == "not_susar_placebo"
    assert dsmb[cases[CELLS]].conclusion == "susar"


def test_the_audit_trail_shows_a_blinded_reader_the_same_for_either_arm(session, trial, on_arm):
    written = {}
    cases = {}
    start = session.scalar(select(func.max(AuditEntry.seq)))
    for arm, code in on_arm.items():
        cases[arm] = suspect(session, trial, code)[0]
        before = session.scalar(select(func.max(AuditEntry.seq)))
        assess(session, trial, cases[arm])
        written[arm] = session.scalar(select(func.max(AuditEntry.seq))) - before
    # As many entries on cells as on placebo: a gap in the sequence tells nothing.
    assert written[CELLS] == written[PLACEBO]
    monitor = audit.read_trail(session, trial.actor("monitor"), limit=1000)
    assert "regulatory_report" not in {e["entity"] for e in monitor}
    assessed = [e for e in monitor if e["entity"] == "susar_assessment" and e["action"] == "assess"]
    assert len(assessed) == 2
    for e in assessed:
        assert e["changes"]["conclusion"] == [None, audit.SEALED]
        assert e["changes"]["reason"] == [None, audit.SEALED]
        assert "sealed_changes" not in e
    # Nothing written since the events were reported names an arm (the protocol's design does).
    since = [e for e in monitor if e["seq"] > start]
    assert "placebo" not in json.dumps(since, default=str).lower()
    dsmb = audit.read_trail(session, trial.actor("dsmb"), limit=1000)
    assert "regulatory_report" in {e["entity"] for e in dsmb}
    found = {
        e["sealed_changes"]["conclusion"][1]
        for e in dsmb
        if e["entity"] == "susar_assessment" and e["action"] == "assess"
    }
    assert found == {"susar", "not_susar_placebo"}


def test_the_dsmb_summary_never_counts_a_placebo_case_as_a_susar(session, trial, on_arm):
    cases = {arm: suspect(session, trial, code)[0] for arm, code in on_arm.items()}
    blinded = safety_views.ae_summary(session, trial.actor("monitor"))
    assert blinded["total"]["suspected_susar"] == 2 and blinded["total"]["sponsor_assessed"] == 0
    for ae_id in cases.values():
        assess(session, trial, ae_id)
    blinded = safety_views.ae_summary(session, trial.actor("monitor"))
    assert "by_arm" not in blinded and blinded["total"]["sponsor_assessed"] == 2
    assert "susar" not in blinded["total"] and "not_susar" not in blinded["total"]
    by_arm = safety_views.ae_summary(session, trial.actor("dsmb"))["by_arm"]
    assert (by_arm[PLACEBO]["susar"], by_arm[PLACEBO]["not_susar"]) == (0, 1)
    assert (by_arm[CELLS]["susar"], by_arm[CELLS]["not_susar"]) == (1, 0)


def test_an_event_no_longer_suspected_withdraws_its_pending_assessment(session, trial, on_arm):
    code = on_arm[CELLS]
    ae_id, _ = suspect(session, trial, code)
    inv = trial.actor("investigator")
    onset = get_subject(session, inv, code).day0_date + dt.timedelta(days=2)
    changed = safety.update_ae(
        session,
        inv,
        ae_id,
        event(onset, relationship_product="not_related"),
        reason="nephrotoxic antibiotic identified as the cause",
    )
    assert not changed.susar and changed.sponsor_assessment is None
    assert susar.list_assessments(session, trial.actor("dsmb")) == []
    with pytest.raises(NotFound):
        susar.susar_case(session, trial.actor("safety"), ae_id)


def test_the_case_is_unblinded_to_its_safety_officer_alone(session, trial, on_arm):
    from msctrial.core.users import add_user, load_actor

    ae_id, _ = suspect(session, trial, on_arm[PLACEBO])
    assess(session, trial, ae_id)
    other = add_user(
        session, trial.actor("admin"), "safety.two", "another-pass-0", grants=[("safety", None)]
    )
    colleague = load_actor(session, other)
    case = susar.susar_case(session, colleague, ae_id)
    assert case.assessment.state == "complete" and case.assessment.completed_by == "safety"
    assert case.arm is None and case.assessment.conclusion is None and case.reports == []
    (report,) = susar.susar_case(session, trial.actor("safety"), ae_id).reports
    with pytest.raises(PermissionDenied):
        susar.file_regulatory_report(session, colleague, report.id)
