"""The casebook, the trial matrix and the list of missing and overdue visits."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.clinical.casebook import service as casebook
from msctrial.clinical.data_queries import service as queries
from msctrial.clinical.safety import service as safety
from msctrial.clinical.subjects import exit as study_exit
from msctrial.clinical.subjects.access import get_subject
from msctrial.clinical.visits import service as vs
from msctrial.core.errors import Conflict, InvalidInput, NotFound
from tests.clinical.visits_support import BLOOD_GAS, CBC, VITALS, randomised_subject

DAY0_FORMS = {
    "vital_signs": VITALS,
    "blood_gas": BLOOD_GAS,
    "cbc": CBC,
    "lymphocyte_subsets": {"cd4": 300, "cd8": 150},
    "cytokines": {"il6": 35},
    "chemistry": {"crp": 60},
    "who_scale": {"hospitalised": True, "oxygen_support": "mask_or_prongs"},
}


def day(session, trial, code, n):
    return get_subject(session, trial.actor("monitor"), code).day0_date + dt.timedelta(days=n)


@pytest.fixture
def ten_days_in(session, trial, rand_list):
    """A WUH subject randomised 10 days ago: Day 0 complete, Day 3 half entered, nothing else."""
    code = randomised_subject(session, trial, days_ago=10)
    coord = trial.actor("coordinator")
    for form, values in DAY0_FORMS.items():
        vs.enter_form(
            session, coord, code, "Day 0", form, values, visit_date=day(session, trial, code, 0)
        )
    vs.enter_form(
        session, coord, code, "Day 3", "cbc", CBC, visit_date=day(session, trial, code, 3)
    )
    return code


def test_overdue_and_incomplete_visits_are_listed_with_their_missing_forms(
    session, trial, ten_days_in
):
    rows = {r.visit: r for r in casebook.missing_and_overdue(session, trial.actor("investigator"))}
    assert set(rows) == {"Screening", "Day 3", "Day 6"}  # Day 0 complete; Day 10 still open
    assert rows["Day 3"].state == "incomplete" and "vital_signs" in rows["Day 3"].forms_missing
    assert "cbc" not in rows["Day 3"].forms_missing
    assert (rows["Day 6"].state, rows["Day 6"].days_overdue) == (
        "overdue",
        3,
    )  # window closed day 7
    assert rows["Screening"].days_overdue == 10


def test_a_visit_declared_not_done_leaves_the_list(session, trial, ten_days_in):
    coord = trial.actor("coordinator")
    with pytest.raises(InvalidInput, match=r"a reason is required to declare a"):
        vs.mark_visit_not_done(session, coord, ten_days_in, "Day 6", reason="")
    vs.mark_visit_not_done(
        session, coord, ten_days_in, "Day 6", reason="patient transferred for 48 h"
    )
    visits = {r.visit for r in casebook.missing_and_overdue(session, coord)}
    assert "Day 6" not in visits
    with pytest.raises(Conflict, match=r"visit: Day 0 has entered forms; void"):
        vs.mark_visit_not_done(session, coord, ten_days_in, "Day 0", reason="forms entered")


def test_after_a_withdrawal_later_visits_are_not_expected(session, trial, ten_days_in):
    inv = trial.actor("investigator")
    study_exit.record_exit(
        session,
        inv,
        ten_days_in,
        "withdrawn",
        day(session, trial, ten_days_in, 6),
        "consent withdrawn",
    )
    schedule = {v.visit: v.state for v in casebook.subject_schedule(session, inv, ten_days_in)}
    assert schedule["Day 6"] == "overdue"  # its window opened before the withdrawal
    assert schedule["Day 10"] == schedule["Day 180"] == "not_expected"
    assert get_subject(session, inv, ten_days_in).status == "withdrawn"
    with pytest.raises(Conflict, match=r"subject: WUH-001 has already left the trial"):
        study_exit.record_exit(
            session, inv, ten_days_in, "died", day(session, trial, ten_days_in, 7), "x"
        )


def test_the_casebook_has_every_visit_by_form_with_queries_and_adverse_events(
    session, trial, ten_days_in
):
    monitor = trial.actor("monitor")
    book = casebook.casebook(session, trial.actor("investigator"), ten_days_in)
    day0 = next(v for v in book.visits if v.visit == "Day 0")
    assert day0.state == "complete" and all(c.entry_id for c in day0.forms)
    cbc = next(c for c in day0.forms if c.form == "cbc")
    queries.raise_query(
        session, monitor, subject_code=ten_days_in, entry_id=cbc.entry_id, text="Check the lab date"
    )
    safety.report_ae(
        session,
        trial.actor("investigator"),
        ten_days_in,
        {
            "term": "Headache",
            "onset_date": day(session, trial, ten_days_in, 2).isoformat(),
            "grade": 1,
            "relationship_product": "unlikely",
            "relationship_infusion": "unlikely",
            "expectedness": "unexpected",
            "outcome": "recovering",
        },
    )
    book = casebook.casebook(session, monitor, ten_days_in)
    day0 = next(v for v in book.visits if v.visit == "Day 0")
    assert next(c for c in day0.forms if c.form == "cbc").open_queries == 1
    assert [a.term for a in book.adverse_events] == ["Headache"]
    assert [q.text for q in book.queries] == ["Check the lab date"]
    assert book.forms[:3] == ["vital_signs", "blood_gas", "cbc"]
    text = book.model_dump_json()
    assert "UC-MSC" not in text and "Placebo" not in text and "arm" not in text


def test_the_trial_matrix_and_lists_keep_to_the_readers_sites(session, trial, ten_days_in):
    bjs = randomised_subject(session, trial, "BJS", days_ago=1)
    monitor_rows = casebook.trial_matrix(session, trial.actor("monitor")).rows
    assert {r.subject for r in monitor_rows} == {ten_days_in, bjs}
    wuh = casebook.trial_matrix(session, trial.actor("investigator"))
    (row,) = wuh.rows
    assert (
        row.subject == ten_days_in
        and row.states["Day 0"] == "complete"
        and row.states["Day 6"] == "overdue"
    )
    assert wuh.visits[0] == "Screening"
    assert casebook.missing_and_overdue(session, trial.actor("investigator.kmg")) == []
    with pytest.raises(NotFound, match=r"subject: no subject 'WUH-001'"):
        casebook.casebook(session, trial.actor("investigator.bjs"), ten_days_in)
