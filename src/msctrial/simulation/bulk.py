"""A monitoring-scale simulated trial written in bulk, for the KRIs of hundreds of patients.

``simulate_trial`` plays every patient through the services, which validates and audits every
write but takes about a second a patient; a test of central monitoring needs twenty sites and
six hundred patients in seconds. ``bulk_trial`` draws the same patients (``patients``), with
the same site faults (``faults``), and writes with SQLAlchemy Core only what the monitoring
KRIs read: randomised subjects (day 0, exits: deaths and withdrawals), adverse events (minor
and serious), every visit that has come round with its forms and entry times, the blood count
(for the grade 3+ laboratory KRI) and the screening CT. It writes no arm, no allocation, no
dispensing or infusion, no query and no audit trail: it is a world to monitor, not a trial to
analyse. The same seed, configuration and day give the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from msctrial.clinical.safety.tables import AdverseEvent
from msctrial.clinical.subjects.model import subject_code
from msctrial.clinical.subjects.tables import StudyExit, Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core.localtime import local_moment
from msctrial.core.tables import Site
from msctrial.protocol.service import get_protocol, only_trial
from msctrial.simulation.bulk_forms import VisitForms, is_derived, unit_of
from msctrial.simulation.config import SimulationConfig, SimulationResult
from msctrial.simulation.events import MINOR_TERMS, SERIOUS_TERMS
from msctrial.simulation.faults import SiteBehaviour
from msctrial.simulation.patients import SAE_RISK, Patient, draw_patient, state_on
from msctrial.simulation.staff import ensure_sites
from msctrial.simulation.typist import Typist

BY = "bulk simulator"


class _Rows:
    """The rows of one bulk trial, gathered per table before they are inserted."""

    def __init__(self) -> None:
        self.exits: list[dict[str, Any]] = []
        self.aes: list[dict[str, Any]] = []
        self.visits: list[dict[str, Any]] = []
        # (subject id, visit name) -> [(form, entered at, values)]
        self.forms: dict[tuple[int, str], list[tuple[str, dt.datetime, dict[str, Any]]]] = (
            defaultdict(list)
        )


def bulk_trial(
    session: Session,
    rng: np.random.Generator,
    config: SimulationConfig,
    *,
    today: dt.date,
    every_form: bool = False,
) -> SimulationResult:
    """``config.subjects`` randomised patients over the ``config.enrolment_days`` before
    ``today``, written in bulk (see the module's docstring for what is and is not written).
    ``every_form``: every form of each visit with its derived items, as the services store
    them (``bulk_forms``), for an analysis at scale rather than the KRIs alone."""
    protocol = get_protocol(session, only_trial(session).code).protocol
    trial_id = only_trial(session).id
    ensure_sites(session, config)
    sites = {s.code: s for s in session.scalars(select(Site))}
    codes = config.site_codes
    weights = np.array([w for _, w in config.sites])
    now = dt.datetime.combine(today, dt.time(23, 0), tzinfo=dt.UTC)
    result = SimulationResult()
    seq: dict[str, int] = defaultdict(int)
    subjects: list[dict[str, Any]] = []
    plans: list[tuple[Patient, SiteBehaviour, bool]] = []
    starts = np.sort(rng.uniform(2, config.enrolment_days, config.subjects))[::-1]
    for offset in starts:
        code = str(rng.choice(codes, p=weights / weights.sum()))
        site = sites[code]
        behaviour = SiteBehaviour.of(code, config.faults)
        patient = draw_patient(rng, site=code, year=today.year, screen_failure_rate=0.0)
        no_pneumonia = behaviour.enrols_without_pneumonia(rng)
        seq[code] += 1
        day0 = today - dt.timedelta(days=int(offset))
        subjects.append(
            {
                "trial_id": trial_id,
                "site_id": site.id,
                "sequence": seq[code],
                "subject_code": subject_code(code, seq[code]),
                "year_of_birth": patient.year_of_birth,
                "sex": patient.sex,
                "weight_kg": patient.weight_kg,
                "status": "randomised",
                "severity": patient.severity,
                "eligible": True,  # the site ticked every criterion as met
                "day0_date": day0,
                "created_by": BY,
                "created_at": local_moment(day0, 9, site.timezone),
            }
        )
        plans.append((patient, behaviour, no_pneumonia))
    session.execute(insert(Subject), subjects)
    ids = {code: sid for code, sid in session.execute(select(Subject.subject_code, Subject.id))}
    rows = _Rows()
    by_id = {s.id: s for s in sites.values()}
    code_of = {s.id: s.code for s in sites.values()}
    exited: dict[str, list[int]] = defaultdict(list)
    for row, (patient, behaviour, no_pneumonia) in zip(subjects, plans, strict=True):
        sid = ids[row["subject_code"]]
        site = by_id[row["site_id"]]
        course = _Course(rng, now, today, site, sid, row["day0_date"], patient, behaviour)
        if every_form:
            course.forms = VisitForms(
                Typist(rng, code_of[site.id], 760.0), patient, row["day0_date"]
            )
        exited[course.exit(rows, config.dropout_rate)].append(sid)
        course.adverse_events(rows)
        course.visits(rows, protocol.visits, no_pneumonia)
        result.randomised += 1
    for status, sids in exited.items():
        if status != "randomised":
            session.execute(update(Subject).where(Subject.id.in_(sids)).values(status=status))
    _insert(session, rows, result)
    session.commit()
    result.screened = result.randomised
    return result


class _Course:
    """One patient's course after randomisation, as the rows a site would have entered."""

    def __init__(
        self,
        rng: np.random.Generator,
        now: dt.datetime,
        today: dt.date,
        site: Site,
        subject_id: int,
        day0: dt.date,
        patient: Patient,
        behaviour: SiteBehaviour,
    ) -> None:
        self.rng, self.now, self.site, self.sid = rng, now, site, subject_id
        self.day0, self.p, self.behaviour = day0, patient, behaviour
        self.horizon = (today - day0).days
        # No arm in a monitoring world: every patient fares as the control arm does.
        self.end: int | None = patient.death_day if patient.dies(False, 0.0) else None
        self.number = 0
        self.forms: VisitForms | None = None

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        return local_moment(day, hour, self.site.timezone)

    def exit(self, rows: _Rows, dropout_rate: float) -> str:
        kind = None
        if self.end is not None and self.end <= self.horizon:
            kind, reason = "died", "respiratory failure"
        elif (
            self.end is None
            and self.p.withdraw_draw < dropout_rate
            and self.p.withdraw_day <= self.horizon
        ):
            self.end = self.p.withdraw_day
            kind, reason = "withdrawn", "consent withdrawn by the patient"
        if kind is None or self.end is None:
            return "randomised"
        on = self.day0 + dt.timedelta(days=self.end)
        rows.exits.append(
            {
                "subject_id": self.sid,
                "site_id": self.site.id,
                "kind": kind,
                "exit_date": on,
                "reason": reason,
                "recorded_by": BY,
                "recorded_at": self.at(on, 18),
            }
        )
        return kind

    def _ae(self, rows: _Rows, term: str, grade: int, onset_day: int, serious: bool) -> None:
        if not serious and not self.behaviour.reports_minor_ae(self.rng):
            return  # an under-reporting site never enters it
        self.number += 1
        onset = self.day0 + dt.timedelta(days=onset_day)
        aware = self.at(onset, float(self.rng.uniform(9, 30)))
        rows.aes.append(
            {
                "subject_id": self.sid,
                "site_id": self.site.id,
                "number": self.number,
                "term": term,
                "onset_date": onset,
                "grade": grade,
                "serious": serious,
                "seriousness": ["hospitalisation"] if serious else [],
                "relationship_product": "unlikely",
                "relationship_infusion": "not_related",
                "expectedness": "unexpected",
                "susar": False,
                "action_taken": "not_applicable",
                "outcome": "recovering",
                "awareness_at": aware,
                "reported_by": BY,
                "reported_at": aware,
            }
        )

    def adverse_events(self, rows: _Rows) -> None:
        """As ``events.EventWriter.adverse_events``: minor events, one SAE in four patients."""
        rng = self.rng
        last = min(28, self.horizon - 1, (self.end or 999) - 1)
        if last < 1:
            return
        for _ in range(int(rng.poisson(1.2))):
            grade = int(rng.choice([1, 2, 3], p=[0.6, 0.33, 0.07]))
            day = int(rng.integers(1, last + 1))
            self._ae(rows, str(rng.choice(MINOR_TERMS)), grade, day, serious=False)
        if rng.random() < SAE_RISK:
            grade = int(rng.choice([3, 4], p=[0.7, 0.3]))
            day = int(rng.integers(1, last + 1))
            self._ae(rows, str(rng.choice(SERIOUS_TERMS)), grade, day, serious=True)

    def visits(self, rows: _Rows, schedule: list[Any], no_pneumonia: bool) -> None:
        """Every visit that has come round, each form entered within two days (or late)."""
        rng = self.rng
        for visit in sorted(schedule, key=lambda v: v.day):
            on = self.day0 + dt.timedelta(days=visit.day)
            if visit.day > self.horizon or (self.end is not None and visit.day >= self.end):
                continue
            state = state_on(self.p, max(visit.day, 0), False, 0.0, rng)
            rows.visits.append(
                {
                    "subject_id": self.sid,
                    "site_id": self.site.id,
                    "visit_name": visit.name,
                    "study_day": visit.day,
                    "visit_date": on,
                    "recorded_by": BY,
                    "recorded_at": self.at(on, 15),
                }
            )
            pf: float | None = None
            for form in visit.forms:
                late = self.behaviour.entry_delay_days(rng)
                hours = float(rng.uniform(15, 40)) if late is None else 24 * late
                entered = self.at(on, hours)
                if entered >= self.now:
                    continue  # not entered yet
                values: dict[str, Any] = {}
                if self.forms is not None:
                    # The WHO scale on a ventilator needs the visit's P/F: the blood gas's if
                    # it was entered, else the patient's own (the gas is entered later).
                    values = self.forms.values(form, state, visit.day, pf or state["pf"])
                    pf = values.get("pf_ratio", pf)
                elif form == "cbc":
                    values = {
                        "lymphocytes": round(state["lymphocytes"], 2),
                        "neutrophils": round(state["neutrophils"], 2),
                        "platelets": float(int(np.clip(rng.normal(215, 55), 60, 450))),
                        "haemoglobin": float(int(np.clip(rng.normal(128, 12), 85, 165))),
                    }
                elif form == "imaging" and visit.day < 0:
                    lesion = 0.0 if no_pneumonia else state["lesion"]  # as NO_PNEUMONIA
                    # As the service stores them: numbers in the form's unit, booleans as text.
                    values = {
                        "lesion_proportion": round(float(lesion), 1),
                        "bilateral_opacities": "false" if no_pneumonia else "true",
                    }
                rows.forms[(self.sid, visit.name)].append((form, entered, values))


def _insert(session: Session, rows: _Rows, result: SimulationResult) -> None:
    if rows.exits:
        session.execute(insert(StudyExit), rows.exits)
    if rows.aes:
        session.execute(insert(AdverseEvent), rows.aes)
    result.adverse_events = len(rows.aes)
    result.serious = sum(1 for a in rows.aes if a["serious"])
    result.deaths = sum(1 for e in rows.exits if e["kind"] == "died")
    result.withdrawals = sum(1 for e in rows.exits if e["kind"] == "withdrawn")
    if not rows.visits:
        return
    session.execute(insert(VisitRecord), rows.visits)
    visit_ids = {
        (sid, name): (vid, site_id)
        for vid, sid, name, site_id in session.execute(
            select(
                VisitRecord.id, VisitRecord.subject_id, VisitRecord.visit_name, VisitRecord.site_id
            )
        )
    }
    entries = []
    for key, forms in rows.forms.items():
        vid, site_id = visit_ids[key]
        for form, entered, _ in forms:
            entries.append(
                {
                    "visit_id": vid,
                    "subject_id": key[0],
                    "site_id": site_id,
                    "form": form,
                    "version": 1,
                    "entered_by": BY,
                    "entered_at": entered,
                }
            )
    session.execute(insert(FormEntry), entries)
    result.forms = len(entries)
    entry_ids = {
        (vid, form): eid
        for eid, vid, form in session.execute(
            select(FormEntry.id, FormEntry.visit_id, FormEntry.form)
        )
    }
    values = []
    for key, forms in rows.forms.items():
        vid, site_id = visit_ids[key]
        for form, _, items in forms:
            for item, value in items.items():
                number = value if isinstance(value, float) else None
                unit = unit_of(form, item) if number is not None else None
                derived = is_derived(form, item)
                values.append(
                    {
                        "entry_id": entry_ids[(vid, form)],
                        "site_id": site_id,
                        "item": item,
                        "number": number,
                        "unit": unit,
                        "entered": None if derived else number,
                        "entered_unit": None if derived else unit,
                        "text": None if number is not None else str(value),
                        "derived": derived,
                    }
                )
    if values:
        session.execute(insert(FormValue), values)
