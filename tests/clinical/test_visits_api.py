"""Visits, queries and adverse events through the JSON API: status codes, fields, isolation."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.clinical.subjects.access import get_subject
from tests.clinical.visits_support import VITALS, randomised_subject

API = "/api/v1/clinical"


@pytest.fixture
def subject(session, trial, rand_list):
    code = randomised_subject(session, trial, days_ago=8)
    session.rollback()  # SQLite: no transaction of the test may hold the write lock
    return code


def day(session, trial, code, n=0):
    """The date of study day ``n``; the read ends its transaction so the app can write."""
    day0 = get_subject(session, trial.actor("monitor"), code).day0_date
    session.rollback()
    return (day0 + dt.timedelta(days=n)).isoformat()


def test_a_form_is_entered_read_and_corrected_with_a_reason(session, trial, client, token, subject):
    coord = token("coordinator")
    body = {
        "values": {**VITALS, "temperature": {"value": 101.1, "unit": "degF"}},
        "visit_date": day(session, trial, subject),
    }
    r = client.post(f"{API}/visits/{subject}/day-0/forms/vital_signs", json=body, headers=coord)
    assert r.status_code == 201, r.text
    entry = r.json()
    temp = next(v for v in entry["values"] if v["item"] == "temperature")
    assert temp["unit"] == "degC" and temp["value"] == pytest.approx(38.39, abs=0.01)
    assert (temp["entered"], temp["entered_unit"]) == (101.1, "degF")
    assert client.get(f"{API}/entries/{entry['id']}", headers=token("monitor")).json() == entry
    r = client.patch(
        f"{API}/entries/{entry['id']}", json={"values": {"heart_rate": 96}}, headers=coord
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "reason_required"
    r = client.patch(
        f"{API}/entries/{entry['id']}",
        json={"values": {"heart_rate": 96}, "reason": "monitor printout differs"},
        headers=coord,
    )
    assert r.status_code == 200 and r.json()["version"] == 2


@pytest.mark.parametrize(
    ("path", "body", "user", "status", "code", "field"),
    [
        (
            "day-0/forms/vital_signs",
            {"values": {**VITALS, "spo2": 150}},
            "coordinator",
            422,
            "out_of_range",
            "vital_signs.spo2",
        ),
        (
            "day-0/forms/vital_signs",
            {"values": {**VITALS, "spo2": "ninety"}},
            "coordinator",
            422,
            "invalid_input",
            "vital_signs.spo2",
        ),
        (
            "day-0/forms/chemistry",
            {"values": {"crp": {"value": 3, "unit": "mmHg"}}},
            "coordinator",
            422,
            "invalid_input",
            "chemistry.crp",
        ),
        (
            "day-0/forms/vital_signs",
            {"values": VITALS, "visit_date": "2026-02-30"},
            "coordinator",
            422,
            "invalid_input",
            "visit_date",
        ),
        (
            "day-0/forms/vital_signs",
            {"values": VITALS, "extra": 1},
            "coordinator",
            422,
            "invalid_input",
            "extra",
        ),
        ("day-0/forms/vital_signs", {"values": VITALS}, "monitor", 403, "permission_denied", None),
        (
            "day-0/forms/vital_signs",
            {"values": VITALS},
            "investigator.bjs",
            404,
            "not_found",
            "subject",
        ),
        ("day-99/forms/vital_signs", {"values": VITALS}, "coordinator", 404, "not_found", "visit"),
        ("day-0/forms/urine", {"values": {}}, "coordinator", 422, "invalid_input", "form"),
    ],
)
def test_bad_input_and_forbidden_entries_answer_the_documented_errors(
    client, token, subject, path, body, user, status, code, field
):
    r = client.post(f"{API}/visits/{subject}/{path}", json=body, headers=token(user))
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error.get("field") == field


def test_malformed_json_is_a_plain_422(client, token, subject):
    r = client.post(
        f"{API}/visits/{subject}/day-0/forms/cbc",
        content=b"{not json",
        headers={**token("coordinator"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "error" in r.json()


def test_a_query_goes_from_monitor_to_site_and_back_through_the_api(client, token, subject):
    monitor, coord = token("monitor"), token("coordinator")
    r = client.post(
        f"{API}/queries", json={"subject": subject, "text": "Consent copy missing"}, headers=monitor
    )
    assert r.status_code == 201, r.text
    qid = r.json()["id"]
    assert client.post(f"{API}/queries/{qid}/close", json={}, headers=monitor).status_code == 409
    r = client.post(
        f"{API}/queries/{qid}/answer", json={"answer": "Filed in the ISF"}, headers=coord
    )
    assert r.json()["status"] == "answered" and r.json()["answered_at"]
    r = client.post(f"{API}/queries/{qid}/close", json={"note": "seen"}, headers=monitor)
    q = r.json()
    assert q["status"] == "closed" and q["raised_at"] <= q["answered_at"] <= q["closed_at"]
    assert [x["id"] for x in client.get(f"{API}/queries?status=closed", headers=coord).json()] == [
        qid
    ]
    assert client.get(f"{API}/queries", headers=token("investigator.bjs")).json() == []
    assert client.get(f"{API}/queries/{qid}", headers=token("investigator.kmg")).status_code == 404


def test_a_serious_adverse_event_shows_its_overdue_report_to_investigator_and_monitor(
    session, trial, client, token, subject
):
    aware = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=26)).isoformat()
    body = {
        "subject": subject,
        "term": "Pulmonary embolism",
        "onset_date": day(session, trial, subject, 5),
        "grade": 4,
        "seriousness": ["life_threatening", "hospitalisation"],
        "relationship_product": "unlikely",
        "relationship_infusion": "not_related",
        "expectedness": "unexpected",
        "outcome": "recovering",
        "awareness_at": aware,
    }
    r = client.post(f"{API}/adverse-events", json=body, headers=token("investigator"))
    assert r.status_code == 201, r.text
    ae = r.json()
    assert ae["serious"] and not ae["susar"] and ae["reports"][0]["state"] == "overdue"
    for user in ("investigator", "monitor"):
        overdue = client.get(f"{API}/sae-reports?state=overdue", headers=token(user)).json()
        assert [o["ae_id"] for o in overdue] == [ae["id"]]
    assert client.get(f"{API}/sae-reports", headers=token("investigator.bjs")).json() == []
    r = client.post(
        f"{API}/sae-reports/{ae['reports'][0]['id']}/submit", json={}, headers=token("investigator")
    )
    assert r.json()["state"] == "submitted_late"
    bad = {**body, "grade": 5}
    r = client.post(f"{API}/adverse-events", json=bad, headers=token("investigator"))
    assert r.status_code == 422 and "grade" in r.json()["error"]["message"]


def test_the_casebook_schedule_and_overdue_list_keep_to_the_site(
    session, trial, client, token, subject
):
    inv = token("investigator")
    book = client.get(f"{API}/casebook/{subject}", headers=inv)
    assert book.status_code == 200 and book.json()["subject"]["code"] == subject
    overdue = client.get(f"{API}/overdue-visits", headers=inv).json()
    assert {"Screening", "Day 0", "Day 3", "Day 6"} <= {o["visit"] for o in overdue}
    other = token("investigator.bjs")
    for path in ("/casebook/{}", "/schedule/{}"):
        r = client.get(API + path.format(subject), headers=other)
        unknown = client.get(API + path.format("WUH-999"), headers=other)
        # Another site's subject is answered exactly like a code that does not exist.
        assert r.status_code == unknown.status_code == 404
        assert r.text.replace(subject, "WUH-999") == unknown.text
    for path in ("/overdue-visits", "/matrix", "/adverse-events", "/export/form-values.csv"):
        r = client.get(f"{API}{path}", headers=other)
        assert r.status_code == 200 and subject not in r.text


def test_the_form_values_export_is_site_isolated_and_carries_units(
    session, trial, client, token, subject
):
    client.post(
        f"{API}/visits/{subject}/day-0/forms/chemistry",
        json={
            "values": {"crp": {"value": 3.5, "unit": "mg/dL"}},
            "visit_date": day(session, trial, subject),
        },
        headers=token("coordinator"),
    )
    text = client.get(f"{API}/export/form-values.csv", headers=token("investigator")).text
    header, row = text.splitlines()
    assert header.startswith("subject,site,visit,visit_date,form,item,value,unit")
    assert row.startswith(f"{subject},WUH,Day 0,") and ",crp,35.0,mg/L,,3.5,mg/dL," in row
    assert (
        subject
        not in client.get(f"{API}/export/form-values.csv", headers=token("investigator.kmg")).text
    )


def test_the_adverse_event_summary_names_arms_only_for_unblinded_readers(
    session, trial, client, token, subject
):
    body = {
        "subject": subject,
        "term": "Nausea",
        "onset_date": day(session, trial, subject, 1),
        "grade": 1,
        "relationship_product": "possible",
        "relationship_infusion": "possible",
        "expectedness": "unexpected",
        "outcome": "recovered",
        "end_date": day(session, trial, subject, 2),
    }
    assert (
        client.post(f"{API}/adverse-events", json=body, headers=token("coordinator")).status_code
        == 201
    )
    blinded = client.get(f"{API}/adverse-events-summary", headers=token("monitor")).text
    assert "by_arm" not in blinded and "UC-MSC" not in blinded and "Placebo" not in blinded
    dsmb = client.get(f"{API}/adverse-events-summary", headers=token("dsmb")).json()
    assert sum(v["events"] for v in dsmb["by_arm"].values()) == 1
    assert set(dsmb["by_arm"]) <= {"UC-MSC", "Placebo"}


def test_the_form_catalogue_is_published_with_units_and_limits(client, token):
    forms = {f["name"]: f for f in client.get(f"{API}/forms", headers=token("monitor")).json()}
    fio2 = next(i for i in forms["blood_gas"]["items"] if i["name"] == "fio2")
    assert fio2["hard"] == [0.21, 1.0] and "CLINICAL_FACTS §4.3" in fio2["source"]
    assert client.get(f"{API}/forms/nothing", headers=token("monitor")).status_code == 422
    assert client.get(f"{API}/forms").status_code == 401
