"""A new adverse event has no default grade, relationship or expectedness (issue 9, hole 7).

A default of grade 1, *not related*, *expected* hides a reportable event: the SUSAR criteria
are never met unless the investigator changes two fields. Each of these is the
investigator's judgement, so the form starts on "choose…" and both doors refuse a missing one
with the field named.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from msctrial.clinical.safety import service as safety
from msctrial.clinical.safety import views as safety_views
from msctrial.clinical.subjects.access import get_subject
from msctrial.core.errors import InvalidInput
from tests.clinical.visits_support import randomised_subject
from tests.web.conftest import csrf_of

API = "/api/v1/clinical"
CHOSEN = ("grade", "relationship_product", "relationship_infusion", "expectedness")


@pytest.fixture
def subject(session, trial, rand_list):
    code = randomised_subject(session, trial, days_ago=6)
    session.rollback()
    return code


def onset(session, trial, code) -> str:
    day0 = get_subject(session, trial.actor("monitor"), code).day0_date
    session.rollback()
    return (day0 + dt.timedelta(days=2)).isoformat()


def full_event(session, trial, code) -> dict[str, object]:
    return {
        "term": "Acute kidney injury",
        "onset_date": onset(session, trial, code),
        "grade": "3",
        "seriousness": ["hospitalisation"],
        "relationship_product": "possible",
        "relationship_infusion": "not_related",
        "expectedness": "unexpected",
        "action_taken": "not_applicable",
        "outcome": "recovering",
    }


@pytest.mark.parametrize("missing", CHOSEN)
def test_the_service_refuses_an_event_without_each_judgement_and_names_it(
    session, trial, subject, missing
):
    data = {k: v for k, v in full_event(session, trial, subject).items() if k != missing}
    with pytest.raises(InvalidInput) as refused:
        safety.report_ae(session, trial.actor("investigator"), subject, data)
    assert refused.value.field == missing
    assert refused.value.message.startswith(f"{missing}: choose")
    assert safety_views.list_aes(session, trial.actor("monitor")) == []


def test_every_missing_judgement_is_named_at_once(session, trial, subject):
    data = {k: v for k, v in full_event(session, trial, subject).items() if k not in CHOSEN}
    with pytest.raises(InvalidInput) as refused:
        safety.report_ae(session, trial.actor("investigator"), subject, data)
    assert [p["field"] for p in refused.value.details["problems"]] == list(CHOSEN)


def test_a_blank_choice_is_as_missing_as_an_absent_one(session, trial, subject):
    data = {**full_event(session, trial, subject), "expectedness": ""}
    with pytest.raises(InvalidInput) as refused:
        safety.report_ae(session, trial.actor("investigator"), subject, data)
    assert refused.value.field == "expectedness"


def test_the_new_event_form_starts_each_judgement_on_choose(session, trial, login_as, subject):
    page = login_as("investigator").get(f"/casebook/{subject}/adverse-events/new")
    assert page.status_code == 200
    for name in CHOSEN:
        select = re.search(rf'<select id="{name}" name="{name}" required>(.*?)</select>', page.text)
        assert select, name
        selected = re.findall(r'<option value="([^"]*)" selected>', select.group(1))
        assert selected == [""], name
        assert '<option value="" selected>choose…</option>' in select.group(1)


@pytest.mark.parametrize("missing", CHOSEN)
def test_the_page_refuses_a_form_left_on_choose_and_names_the_field(
    session, trial, login_as, subject, missing
):
    client = login_as("investigator")
    page = client.get(f"/casebook/{subject}/adverse-events/new")
    data = {**full_event(session, trial, subject), missing: "", "csrf_token": csrf_of(page.text)}
    r = client.post(f"/casebook/{subject}/adverse-events/new", data=data)
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert f"<code>{missing}</code>: choose" in r.text
    # What was typed is kept; the field left empty is still on "choose…".
    assert 'value="Acute kidney injury"' in r.text
    select = re.search(rf'<select id="{missing}" name="{missing}" required>(.*?)</select>', r.text)
    assert select and '<option value="" selected>choose…</option>' in select.group(1)
    session.rollback()
    assert safety_views.list_aes(session, trial.actor("monitor")) == []


@pytest.mark.parametrize("missing", CHOSEN)
def test_the_api_refuses_an_event_without_each_judgement_and_names_it(
    session, trial, client, token, subject, missing
):
    body = {**full_event(session, trial, subject), "subject": subject}
    body.pop(missing)
    r = client.post(f"{API}/adverse-events", json=body, headers=token("investigator"))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == missing and error["message"].startswith(f"{missing}: required")
    assert client.get(f"{API}/adverse-events", headers=token("monitor")).json() == []
