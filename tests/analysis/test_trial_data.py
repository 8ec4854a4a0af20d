"""The analysis' reading of the trial: the same value rows as the casebook's listing, arms only
for a reader the randomisation lets see them, on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest

from msctrial.analysis.trial_data import form_values, randomised_subjects
from msctrial.clinical.casebook.listings import LIVE_VALUE_COLUMNS, live_values
from msctrial.core.actors import Actor, Grant
from msctrial.core.db import make_engine
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import load_settings

STATISTICIAN = Actor(username="stat", grants=(Grant("statistician"),))
DSMB = Actor(username="chair", grants=(Grant("dsmb"),))


@pytest.fixture
def session(trial_db):  # noqa: ANN201
    engine = make_engine(load_settings(database_url=trial_db))
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def _key(subject, visit, form, item, value, text) -> tuple:  # noqa: ANN001
    number = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
    return (subject, visit, form, item, None if number is None else round(float(number), 9),
            text if isinstance(text, str) else None)  # fmt: skip


def test_the_values_are_the_casebook_listings_rows(session):
    at = {name: LIVE_VALUE_COLUMNS.index(name) for name in LIVE_VALUE_COLUMNS}
    listing = sorted(
        _key(r[at["subject"]], r[at["visit"]], r[at["form"]], r[at["item"]], r[at["value"]],
             r[at["text"]])
        for r in session.execute(live_values(None)).all()
    )  # fmt: skip
    frame = form_values(session, STATISTICIAN, None)
    ours = sorted(
        _key(r.subject, r.visit, r.form, r.item, r.value, r.text) for r in frame.itertuples()
    )
    assert len(ours) > 1000 and ours == listing


def test_one_sites_values_are_that_sites_only(session):
    frame = form_values(session, STATISTICIAN, "wuh")
    assert len(frame) > 0 and set(frame["subject"].str.split("-").str[0]) == {"WUH"}


def test_the_arm_is_read_for_the_dsmb_and_never_for_the_statistician(session):
    assert "arm" not in randomised_subjects(session, STATISTICIAN, None).columns
    subjects = randomised_subjects(session, DSMB, None)
    assert set(subjects["arm"].dropna()) == {"UC-MSC", "Placebo"}


def test_the_adverse_events_are_the_safety_listings_live_events(session):
    from msctrial.analysis.trial_data import adverse_events
    from msctrial.clinical.safety.views import list_aes

    listed = sorted(
        (ae.subject, ae.term, ae.grade, ae.serious)
        for ae in list_aes(session, STATISTICIAN)
        if not ae.voided
    )
    frame = adverse_events(session, STATISTICIAN)
    ours = sorted(
        zip(frame["subject"], frame["term"], frame["grade"], frame["serious"], strict=True)
    )
    assert listed and ours == listed
