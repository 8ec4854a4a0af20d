"""The sponsor's assessment of a suspected SUSAR through the pages and the JSON API (issue 9,
hole 6): the safety officer signs the unblinding of one case; everyone else keeps the blind."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from msctrial.core.tables import AuditEntry
from tests.clinical.test_susar_assessment import CELLS, PLACEBO, suspect
from tests.web.conftest import csrf_of

API = "/api/v1/clinical"


def test_the_safety_officer_signs_the_unblinding_of_a_placebo_case_on_its_page(
    session, trial, login_as, on_arm
):
    ae_id, _ = suspect(session, trial, on_arm[PLACEBO])
    session.rollback()  # end the test's read: on SQLite it would lock the app out
    client = login_as("safety")
    page = client.get(f"/safety/susars/{ae_id}")
    assert page.status_code == 200 and 'id="assess-form"' in page.text
    assert 'data-assessment="pending"' in page.text and 'id="unblinded-arm"' not in page.text
    assert "sponsor assessment complete" in page.text  # who is told what, before signing
    key = re.search(r'name="request_key" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": csrf_of(page.text), "reason": "causality", "request_key": key}
    wrong = client.post(f"/safety/susars/{ae_id}/assess", data={**form, "password": "nope-nope"})
    assert wrong.status_code == 401 and 'role="alert"' in wrong.text
    assert 'data-assessment="pending"' in wrong.text
    signed = {**form, "password": trial.passwords["safety"]}
    r = client.post(f"/safety/susars/{ae_id}/assess", data=signed)
    assert r.status_code == 303 and r.headers["location"] == f"/safety/susars/{ae_id}"
    shown = client.get(r.headers["location"]).text
    assert re.search(r'id="unblinded-arm">Placebo \(placebo\)<', shown)
    assert 'data-conclusion="not_susar_placebo"' in shown and "state-stopped" in shown
    assert 'action="/regulatory-reports/' not in shown  # nothing to file for a stopped clock
    # A reload or a double click re-sends the same key: nothing happens twice.
    session.rollback()
    entries = session.scalar(select(func.count(AuditEntry.seq)))
    session.rollback()  # on SQLite an open read would hold the lock the app needs
    again = client.post(f"/safety/susars/{ae_id}/assess", data=signed)
    assert again.status_code == 303
    session.rollback()
    assert session.scalar(select(func.count(AuditEntry.seq))) == entries


def test_the_site_sees_only_that_the_sponsor_assessment_is_complete(
    session, trial, client, login, on_arm
):
    from msctrial.clinical.safety import susar

    cases = {arm: suspect(session, trial, code)[0] for arm, code in on_arm.items()}
    for ae_id in cases.values():
        susar.assess_susar(
            session, trial.actor("safety"), ae_id, "causality", password=trial.passwords["safety"]
        )
    session.rollback()
    for who in ("investigator", "monitor"):
        client.cookies.clear()
        c = login(who)
        for ae_id in cases.values():
            event = c.get(f"/adverse-events/{ae_id}").text
            assert 'data-assessment="complete"' in event
            assert CELLS not in event and PLACEBO not in event
            assert "regulators" not in event
            assert c.get(f"/safety/susars/{ae_id}").status_code == 403
        listing = c.get("/safety/susars").text
        assert listing.count("sponsor assessment complete") == 2 and "SUSAR:" not in listing
        assert "placebo" not in listing.split("<table", 1)[1].lower()
    client.cookies.clear()
    dsmb = login("dsmb").get("/safety/susars").text
    assert "not a SUSAR: the subject received placebo" in dsmb
    assert "SUSAR: the subject received the investigational product" in dsmb
    summary = client.get("/adverse-events").text
    assert "<th>Not a SUSAR</th>" in summary


def test_the_api_assesses_a_case_once_and_its_officer_files_the_report(
    session, trial, client, token, on_arm
):
    ae_id, _ = suspect(session, trial, on_arm[CELLS])
    session.rollback()
    officer = {**token("safety"), "Idempotency-Key": "api-key-0123456789"}
    body = {"reason": "causality", "password": trial.passwords["safety"]}
    r = client.post(f"{API}/susar-assessments/{ae_id}/assess", json=body, headers=officer)
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["arm"] == CELLS and case["assessment"]["conclusion"] == "susar"
    again = client.post(f"{API}/susar-assessments/{ae_id}/assess", json=body, headers=officer)
    assert again.json()["assessment"] == case["assessment"]
    inv = token("investigator")
    assert client.get(f"{API}/susar-assessments/{ae_id}", headers=inv).status_code == 403
    listed = client.get(f"{API}/susar-assessments", headers=inv).json()
    assert [a["state"] for a in listed] == ["complete"] and "conclusion" not in listed[0]
    dsmb = client.get(f"{API}/susar-assessments", headers=token("dsmb")).json()
    assert dsmb[0]["conclusion"] == "susar"
    (report,) = case["reports"]
    refused = client.post(f"{API}/regulatory-reports/{report['id']}/submit", json={}, headers=inv)
    assert refused.status_code == 403
    filed = client.post(
        f"{API}/regulatory-reports/{report['id']}/submit",
        json={"reference": "EV-2026-001"},
        headers=token("safety"),
    )
    assert filed.status_code == 200 and filed.json()["state"] == "submitted"
    summary = client.get(f"{API}/adverse-events-summary", headers=token("dsmb")).json()
    assert summary["by_arm"][CELLS]["susar"] == 1
