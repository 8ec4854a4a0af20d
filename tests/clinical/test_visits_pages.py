"""The visit pages in-process: enter and correct a form, queries, adverse events, site isolation."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from msctrial.clinical.subjects.access import get_subject
from tests.clinical.visits_support import randomised_subject
from tests.web.conftest import csrf_of


@pytest.fixture
def subject(session, trial, rand_list):
    code = randomised_subject(session, trial, days_ago=8)
    session.rollback()
    return code


def day(session, trial, code, n=0):
    day0 = get_subject(session, trial.actor("monitor"), code).day0_date
    session.rollback()
    return (day0 + dt.timedelta(days=n)).isoformat()


VITALS_FORM = {
    "respiratory_rate": "26",
    "respiratory_rate__unit": "1/min",
    "heart_rate": "104",
    "heart_rate__unit": "1/min",
    "temperature": "101.3",
    "temperature__unit": "degF",
    "spo2": "93",
    "spo2__unit": "%",
}


def enter_vitals(client, code, visit_date, **changes):
    page = client.get(f"/casebook/{code}/visits/day-0/forms/vital_signs")
    assert page.status_code == 200
    data = {**VITALS_FORM, "visit_date": visit_date, "csrf_token": csrf_of(page.text), **changes}
    return client.post(f"/casebook/{code}/visits/day-0/forms/vital_signs", data=data)


def test_the_old_casebook_address_leads_to_the_record_home(login, subject):
    client = login("coordinator")
    old = client.get(f"/casebook/{subject}")
    assert old.status_code == 303
    assert old.headers["location"] == f"/clinical/subjects/{subject}#visits"


def test_a_coordinator_enters_vital_signs_from_the_record_home(session, trial, login, subject):
    client = login("coordinator")
    book = client.get(f"/clinical/subjects/{subject}")
    assert book.status_code == 200
    assert f'href="/casebook/{subject}/visits/day-0/forms/vital_signs"' in book.text
    r = enter_vitals(client, subject, day(session, trial, subject))
    assert r.status_code == 303 and r.headers["location"].startswith("/entries/")
    entry = client.get(r.headers["location"]).text
    assert re.search(r'data-item="temperature">.*?38.5 degC.*?101.3 degF', entry, re.S)
    book = client.get(f"/clinical/subjects/{subject}").text
    assert 'class="entered"' in book


def test_a_refused_form_is_shown_again_with_the_message_and_what_was_typed(
    session, trial, login, subject
):
    client = login("coordinator")
    r = enter_vitals(client, subject, day(session, trial, subject), spo2="150")
    assert r.status_code == 422
    assert 'role="alert"' in r.text and "vital_signs.spo2" in r.text
    assert 'value="150"' in r.text and 'value="104"' in r.text


def test_a_correction_on_the_entry_page_needs_a_reason(session, trial, login, subject):
    client = login("coordinator")
    entry_path = enter_vitals(client, subject, day(session, trial, subject)).headers["location"]
    page = client.get(entry_path)
    data = {**VITALS_FORM, "heart_rate": "98", "csrf_token": csrf_of(page.text)}
    r = client.post(f"{entry_path}/change", data={**data, "reason": ""})
    assert r.status_code == 422 and "reason" in r.text
    r = client.post(f"{entry_path}/change", data={**data, "reason": "read from the wrong monitor"})
    assert r.status_code == 303
    assert "version 2" in client.get(entry_path).text


def test_without_the_csrf_token_a_form_is_refused(session, trial, login, subject):
    client = login("coordinator")
    data = {**VITALS_FORM, "visit_date": day(session, trial, subject)}
    r = client.post(f"/casebook/{subject}/visits/day-0/forms/vital_signs", data=data)
    assert r.status_code == 403


def test_a_query_is_raised_answered_and_closed_on_the_pages(session, trial, client, subject):
    from tests.web.conftest import log_in

    def as_user(name):
        client.cookies.clear()
        assert log_in(client, name, trial.passwords[name]).status_code == 303
        return client

    c = as_user("coordinator")
    entry_path = enter_vitals(c, subject, day(session, trial, subject)).headers["location"]
    entry_id = entry_path.rsplit("/", 1)[1]
    m = as_user("monitor")
    page = m.get(entry_path)
    r = m.post(
        "/queries",
        data={
            "csrf_token": csrf_of(page.text),
            "subject": subject,
            "entry_id": entry_id,
            "item": "heart_rate",
            "text": "HR 104 while the nurse chart says 84?",
        },
    )
    query_path = r.headers["location"]
    c = as_user("coordinator")
    page = c.get(query_path)
    assert "HR 104" in page.text and 'action="' + query_path + '/answer"' in page.text
    c.post(
        f"{query_path}/answer",
        data={"csrf_token": csrf_of(page.text), "text": "Chart checked: 104."},
    )
    m = as_user("monitor")
    page = m.get(query_path)
    m.post(f"{query_path}/close", data={"csrf_token": csrf_of(page.text), "text": ""})
    assert 'id="query-status">closed' in m.get(query_path).text
    assert subject in m.get("/queries?status=closed").text


def test_an_adverse_event_is_reported_on_the_page_and_its_report_filed(
    session, trial, login, subject
):
    client = login("investigator")
    page = client.get(f"/casebook/{subject}/adverse-events/new")
    data = {
        "csrf_token": csrf_of(page.text),
        "term": "Atrial fibrillation",
        "onset_date": day(session, trial, subject, 4),
        "grade": "3",
        "seriousness": ["hospitalisation", "important_medical_event"],
        "relationship_product": "possible",
        "relationship_infusion": "not_related",
        "expectedness": "unexpected",
        "action_taken": "not_applicable",
        "outcome": "recovering",
    }
    r = client.post(f"/casebook/{subject}/adverse-events/new", data=data)
    assert r.status_code == 303, r.text
    ae_page = client.get(r.headers["location"]).text
    assert "SUSAR" in ae_page and "SAE report to the sponsor (24 h)" in ae_page
    report_id = re.search(r'action="/sae-reports/(\d+)/submit"', ae_page).group(1)
    client.post(
        f"/sae-reports/{report_id}/submit",
        data={"csrf_token": csrf_of(ae_page), "reference": "SP-001"},
    )
    ae_page = client.get(r.headers["location"]).text
    # The sponsor now knows of a suspected SUSAR: its assessment, not its clocks, is shown.
    assert "SP-001" in ae_page and 'data-assessment="pending"' in ae_page
    assert "SUSAR report to the regulators" not in ae_page
    assert "Atrial fibrillation" in client.get("/adverse-events").text


def test_a_refused_adverse_event_form_keeps_what_was_typed(session, trial, login, subject):
    client = login("investigator")
    page = client.get(f"/casebook/{subject}/adverse-events/new")
    r = client.post(
        f"/casebook/{subject}/adverse-events/new",
        data={
            "csrf_token": csrf_of(page.text),
            "term": "Sepsis",
            "onset_date": day(session, trial, subject, 4),
            "grade": "5",
            "relationship_product": "unlikely",
            "relationship_infusion": "unlikely",
            "expectedness": "unexpected",
            "outcome": "recovering",
        },
    )
    assert r.status_code == 422 and 'role="alert"' in r.text and 'value="Sepsis"' in r.text


def test_the_visits_page_lists_overdue_visits_only_of_the_readers_sites(
    session, trial, client, subject
):
    from tests.web.conftest import log_in

    assert log_in(client, "investigator", trial.passwords["investigator"]).status_code == 303
    page = client.get("/visits").text
    assert (
        f'<a href="/clinical/subjects/{subject}">{subject}</a>' in page and 'id="overdue"' in page
    )
    client.cookies.clear()
    assert (
        log_in(client, "investigator.bjs", trial.passwords["investigator.bjs"]).status_code == 303
    )
    assert subject not in client.get("/visits").text
    assert client.get(f"/clinical/subjects/{subject}").status_code == 404
