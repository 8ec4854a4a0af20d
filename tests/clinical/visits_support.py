"""Helpers for the visit, query and adverse-event tests: a randomised subject and the clock."""

from __future__ import annotations

import datetime as dt

from msctrial.clinical.randomisation.service import randomise_subject
from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.screening import prescreen_patient, screen_subject
from tests.clinical.conftest import SEVERE, criteria

VITALS = {"respiratory_rate": 24, "heart_rate": 92, "temperature": 37.4, "spo2": 94}
BLOOD_GAS = {"pao2": 80, "fio2": 0.4}
CBC = {"wbc": 6.0, "neutrophils": 4.8, "lymphocytes": 0.8}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def later(days: float) -> dt.datetime:
    return now() + dt.timedelta(days=days)


def consented_subject(session, trial, site: str = "WUH", *, days_ago: float = 0) -> str:
    """A screened, eligible, consented subject (not randomised); screened ``days_ago`` ago."""
    actor = trial.actor("investigator" if site == "WUH" else f"investigator.{site.lower()}")
    inc, exc = criteria(session)
    start = now() - dt.timedelta(days=days_ago, hours=3)
    code = prescreen_patient(session, actor, site).subject_code
    record_consent(
        session, actor, code, form_version="1.0", consented_at=start - dt.timedelta(hours=1)
    )
    screen_subject(
        session,
        actor,
        subject_code_text=code,
        year_of_birth=1962,
        sex="male",
        weight_kg=72.0,
        observations=SEVERE,
        inclusion_met=inc,
        exclusion_present=exc,
        observed_at=start,
    )
    return code


def randomised_subject(session, trial, site: str = "WUH", *, days_ago: float = 0) -> str:
    """A consented subject randomised ``days_ago`` days ago (its day 0 is that day).

    Needs the ``rand_list`` fixture (a randomisation list).
    """
    code = consented_subject(session, trial, site, days_ago=days_ago)
    actor = trial.actor("investigator" if site == "WUH" else f"investigator.{site.lower()}")
    at = now() - dt.timedelta(days=days_ago, hours=1)
    randomise_subject(session, actor, code, password=trial.passwords[actor.username], at=at)
    return code
