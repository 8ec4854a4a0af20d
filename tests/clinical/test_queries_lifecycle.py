"""Queries: a monitor raises, the site answers, the monitor closes; with timestamps and roles."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.clinical.data_queries import service as queries
from msctrial.clinical.subjects.access import get_subject
from msctrial.clinical.visits import service as vs
from msctrial.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.clinical.visits_support import CBC, VITALS, randomised_subject


@pytest.fixture
def entry(session, trial, rand_list):
    code = randomised_subject(session, trial)
    d0 = get_subject(session, trial.actor("monitor"), code).day0_date
    return vs.enter_form(
        session, trial.actor("coordinator"), code, "Day 0", "cbc", CBC, visit_date=d0
    )


def test_a_query_is_raised_answered_and_closed_with_who_and_when(session, trial, entry):
    t = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    monitor, coord = trial.actor("monitor"), trial.actor("coordinator")
    q = queries.raise_query(
        session,
        monitor,
        subject_code=entry.subject,
        entry_id=entry.id,
        item="lymphocytes",
        text="Lymphocytes 0.8 while the lab printout says 1.8; please check.",
        now=t,
    )
    assert (q.status, q.raised_by, q.raised_at, q.visit, q.form) == (
        "open",
        "monitor",
        t,
        "Day 0",
        "cbc",
    )
    q = queries.answer_query(
        session, coord, q.id, "Printout checked: 0.8 is right.", now=t + dt.timedelta(hours=5)
    )
    assert (q.status, q.answered_by, q.answered_at) == (
        "answered",
        "coordinator",
        t + dt.timedelta(hours=5),
    )
    q = queries.close_query(session, monitor, q.id, now=t + dt.timedelta(days=1))
    assert (q.status, q.closed_by, q.closed_at) == ("closed", "monitor", t + dt.timedelta(days=1))
    assert [m.action for m in queries.get_query(session, coord, q.id).messages] == [
        "raise",
        "answer",
        "close",
    ]


def test_a_monitor_not_satisfied_reopens_the_query(session, trial, entry):
    monitor, coord = trial.actor("monitor"), trial.actor("coordinator")
    q = queries.raise_query(session, monitor, subject_code=entry.subject, text="Date of sample?")
    queries.answer_query(session, coord, q.id, "Same day")
    q = queries.reopen_query(session, monitor, q.id, "Which time of day?")
    assert q.status == "open"
    q = queries.answer_query(session, coord, q.id, "08:10")
    assert [m.action for m in q.messages] == ["raise", "answer", "reopen", "answer"]


@pytest.mark.parametrize(
    ("step", "role", "error"),
    [
        ("raise", "coordinator", PermissionDenied),
        ("raise", "investigator", PermissionDenied),
        ("answer", "monitor", PermissionDenied),
        ("answer", "investigator.bjs", NotFound),
        ("close_open", "monitor", Conflict),  # nothing answered yet
        ("close", "coordinator", PermissionDenied),
        ("answer_twice", "coordinator", Conflict),
    ],
)
def test_each_step_belongs_to_its_role_and_its_state(session, trial, entry, step, role, error):
    monitor, coord = trial.actor("monitor"), trial.actor("coordinator")
    actor = trial.actor(role)
    if step == "raise":
        with pytest.raises(error, match=r"you need the role monitor to raise"):
            queries.raise_query(session, actor, subject_code=entry.subject, text="?")
        return
    q = queries.raise_query(session, monitor, subject_code=entry.subject, text="Please check")
    with pytest.raises(error):
        if step == "answer":
            queries.answer_query(session, actor, q.id, "ok")
        elif step == "close_open":
            queries.close_query(session, actor, q.id)
        elif step == "close":
            queries.answer_query(session, coord, q.id, "ok")
            queries.close_query(session, actor, q.id)
        else:
            queries.answer_query(session, coord, q.id, "ok")
            queries.answer_query(session, actor, q.id, "again")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": "  "}, "text"),
        ({"text": "x", "entry_id": 99999}, "entry_id"),
        ({"text": "x", "item": "wbc"}, "entry_id"),
        ({"text": "x", "ae_id": 99999}, "ae_id"),
    ],
)
def test_a_query_needs_text_and_must_point_at_the_subjects_own_data(
    session, trial, entry, kwargs, field
):
    with pytest.raises((InvalidInput, NotFound)) as err:
        queries.raise_query(session, trial.actor("monitor"), subject_code=entry.subject, **kwargs)
    assert err.value.field == field


def test_a_query_on_an_item_the_form_does_not_have_is_refused(session, trial, entry):
    with pytest.raises(InvalidInput, match=r"item: 'crp' is not an item of"):
        queries.raise_query(
            session,
            trial.actor("monitor"),
            subject_code=entry.subject,
            entry_id=entry.id,
            item="crp",
            text="?",
        )


def test_correcting_a_queried_value_answers_its_edit_check_query(session, trial, rand_list):
    code = randomised_subject(session, trial)
    coord = trial.actor("coordinator")
    d0 = get_subject(session, coord, code).day0_date
    entry = vs.enter_form(
        session, coord, code, "Day 0", "vital_signs", {**VITALS, "heart_rate": 190}, visit_date=d0
    )
    (qid,) = entry.queries_raised
    vs.change_form(session, coord, entry.id, {"heart_rate": 90}, reason="typed 190 for 90")
    q = queries.get_query(session, coord, qid)
    assert q.status == "answered" and "typed 190 for 90" in q.messages[-1].text
    assert queries.close_query(session, trial.actor("monitor"), qid).status == "closed"


def test_voiding_an_entry_closes_its_queries(session, trial, rand_list):
    code = randomised_subject(session, trial)
    coord = trial.actor("coordinator")
    d0 = get_subject(session, coord, code).day0_date
    entry = vs.enter_form(
        session, coord, code, "Day 0", "vital_signs", {**VITALS, "spo2": 65}, visit_date=d0
    )
    vs.void_form(session, coord, entry.id, "wrong patient")
    (q,) = queries.list_queries(session, coord, subject_code=code)
    assert q.status == "closed"


def test_site_staff_list_only_their_sites_queries(session, trial, rand_list):
    monitor = trial.actor("monitor")
    wuh = randomised_subject(session, trial, "WUH")
    bjs = randomised_subject(session, trial, "BJS")
    for code in (wuh, bjs):
        queries.raise_query(session, monitor, subject_code=code, text=f"about {code}")
    assert {q.subject for q in queries.list_queries(session, monitor)} == {wuh, bjs}
    assert {q.subject for q in queries.list_queries(session, trial.actor("investigator"))} == {wuh}
    assert {
        q.subject
        for q in queries.list_queries(session, trial.actor("investigator.bjs"), status="open")
    } == {bjs}
    with pytest.raises(InvalidInput, match=r"status: 'pending'; allowed: open, answered, closed"):
        queries.list_queries(session, monitor, status="pending")
