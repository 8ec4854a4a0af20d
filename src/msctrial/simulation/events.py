"""The simulator's events around the visits: infusions, adverse events, deaths and queries.

Written through the services, like everything the simulator does (``trial.py``). Rates
are realistic for MSC trials in COVID-19: fever after an infusion in about one in ten, serious
adverse events in about a quarter of patients in both arms and almost never related
(Monsel 2022, CLINICAL_FACTS §8.1), and most SAE reports filed within the 24 h (§6.2).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session

from msctrial.clinical.data_queries import service as queries
from msctrial.clinical.dosing import schedule
from msctrial.clinical.dosing.bedside import verify_at_bedside
from msctrial.clinical.dosing.dispensing import dispense_administration, plan_dispensing
from msctrial.clinical.dosing.infusion import record_infusion
from msctrial.clinical.safety import service as safety
from msctrial.clinical.safety import susar
from msctrial.clinical.subjects.access import get_subject
from msctrial.core.actors import Actor
from msctrial.core.tables import Site
from msctrial.protocol.model import Protocol as TrialProtocol
from msctrial.simulation.config import SimulationResult
from msctrial.simulation.faults import SiteBehaviour
from msctrial.simulation.patients import SAE_RISK, Patient
from msctrial.simulation.staff import Staff

# Expected reactions per infusion, cells vs placebo (the seed's safety follow-up, DOMAIN §4);
# rates are msctrial's illustration, not published figures.
REACTION_RATES = {
    "fever": (0.12, 0.05),
    "chills": (0.06, 0.03),
    "allergic_reaction": (0.01, 0.005),
    "local_inflammation": (0.02, 0.02),
}


# CTCAE v5 terms common in hospitalised COVID-19 patients.
MINOR_TERMS = (
    "Hypokalemia",
    "Alanine aminotransferase increased",
    "Diarrhea",
    "Insomnia",
    "Anemia",
    "Hyperglycemia",
    "Constipation",
    "Headache",
    "Nausea",
)


SERIOUS_TERMS = (
    "Lung infection",
    "Pneumothorax",
    "Thromboembolic event",
    "Acute kidney injury",
    "Sepsis",
)


VITALS = {
    "heart_rate": 92,
    "systolic_bp": 124,
    "diastolic_bp": 76,
    "respiratory_rate": 24,
    "temperature_c": 37.1,
    "spo2_pct": 94,
}


class SubjectRun(Protocol):
    """What the events need of one simulated patient's course (``trial._SubjectRun``)."""

    s: Session
    rng: np.random.Generator
    staff: Staff
    protocol: TrialProtocol
    site: Site
    p: Patient
    result: SimulationResult
    now: dt.datetime
    code: str
    inv: Actor
    coord: Actor
    day0: dt.date
    randomised_at: dt.datetime
    horizon: int
    msc: bool
    dies: bool
    end_day: int | None
    behaviour: SiteBehaviour

    def at(self, day: dt.date, hour: float) -> dt.datetime: ...

    def alive_on(self, day: int) -> bool: ...


class EventWriter:
    """Writes a patient's infusions, adverse events, death and queries through the services."""

    def __init__(self, run: SubjectRun) -> None:
        self.run = run
        self.rng = run.rng

    def _u(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    # --- infusions ----------------------------------------------------------------------------

    def infusions(self) -> None:
        r, rng = self.run, self.rng
        subject = get_subject(r.s, r.inv, r.code)
        pharmacist = r.staff.pharmacist(r.site.code)
        for adm in schedule.administrations_of(r.s, subject):
            day = adm.study_day
            on = r.day0 + dt.timedelta(days=day)
            dispensed_at = r.at(on, self._u(9, 11))
            if day == 0:  # the first dose follows randomisation on the same day
                dispensed_at = r.randomised_at + dt.timedelta(hours=self._u(1, 2.5))
            stop = dispensed_at + dt.timedelta(minutes=25 + self._u(30, 50))
            if day > r.horizon or not r.alive_on(day) or stop >= r.now:
                continue
            # The service sizes the administration (the same units and volume in both arms)
            # and proposes the first-expiry units.
            plan = plan_dispensing(r.s, pharmacist, r.code, adm.number, now=dispensed_at)
            if len(plan.proposed) < plan.units:
                r.result.notes.append(
                    f"{r.code}: no {plan.kind} units left for administration {adm.number}"
                )
                return
            units = list(plan.proposed)
            dispense_administration(
                r.s,
                pharmacist,
                r.code,
                adm.number,
                unit_codes=units,
                thawed_at=dispensed_at - dt.timedelta(minutes=20),
                now=dispensed_at,
            )
            started = dispensed_at + dt.timedelta(minutes=25)
            check = verify_at_bedside(
                r.s,
                r.coord,
                r.code,
                adm.number,
                scanned_unit_codes=units,
                now=started - dt.timedelta(minutes=5),
            )
            reactions = [
                k
                for k, (msc, placebo) in REACTION_RATES.items()
                if rng.random() < (msc if r.msc else placebo)
            ]
            # An under-reporting site leaves most reactions off the record.
            reactions = [k for k in reactions if r.behaviour.reports_minor_ae(rng)]
            infusion = record_infusion(
                r.s,
                r.coord,
                r.code,
                adm.number,
                bedside_check_id=check.id,
                started_at=started,
                stopped_at=stop,
                volume_ml=plan.volume_ml,
                vitals_before=VITALS,
                vitals_after={**VITALS, "temperature_c": 38.4 if "fever" in reactions else 37.2},
                reactions=reactions,
            )
            r.result.infusions += 1
            checked = stop + dt.timedelta(hours=self._u(2, 20))
            if checked < r.now:
                safety.record_reaction_check(
                    r.s, r.coord, infusion.id, self._answers(reactions), now=checked
                )
                r.result.adverse_events += len(reactions)

    def _answers(self, reactions: list[str]) -> dict[str, Any]:
        answers: dict[str, Any] = {k: True for k in reactions}
        if "fever" in reactions:
            answers["max_temperature_c"] = round(self._u(38.1, 39.6), 1)
        answers["grades"] = {
            k: 1 if self.rng.random() < 0.8 else 2 for k in reactions if k != "fever"
        }
        return answers

    # --- adverse events -----------------------------------------------------------------------

    def _report(self, data: dict[str, Any], onset_day: int) -> None:
        r = self.run
        if not data.get("seriousness") and not r.behaviour.reports_minor_ae(self.rng):
            return  # an under-reporting site never enters it
        onset = r.day0 + dt.timedelta(days=onset_day)
        aware = r.at(onset, self._u(9, 30))
        # An event already over is entered once it ended (a real site would update it then).
        end = data.get("end_date")
        reported = max(aware, r.at(dt.date.fromisoformat(end), 18) if end else aware)
        ae = safety.report_ae(
            r.s,
            r.inv,
            r.code,
            {**data, "onset_date": onset.isoformat(), "awareness_at": aware},
            now=reported,
        )
        r.result.adverse_events += 1
        if not ae.serious:
            return
        r.result.serious += 1
        draw = self.rng.random()
        hours = self._u(2, 20) if draw < 0.85 else self._u(25, 48) if draw < 0.95 else None
        if hours is None or aware + dt.timedelta(hours=hours) >= r.now:
            return
        sent = aware + dt.timedelta(hours=hours)
        safety.submit_report(
            r.s,
            r.inv,
            ae.reports[0].id,
            submitted_at=sent,
            reference=f"SAE-{r.code}-{ae.number}",
            now=sent,
        )
        if not ae.susar:
            return
        # The sponsor's safety officer unblinds the case a day or two later; a SUSAR's reports
        # to the regulators are filed within the week, a placebo case's clocks stop.
        assessed = sent + dt.timedelta(days=self._u(0.5, 2))
        if assessed >= r.now:
            return
        officer = r.staff.signer_for(r.staff.safety)
        case = susar.assess_susar(
            r.s, officer, ae.id, "suspected SUSAR: assess causality", password=None, now=assessed
        )
        for report in case.reports:
            filed = assessed + dt.timedelta(days=self._u(1, 5))
            if report.state in ("due", "overdue") and filed < r.now and self.rng.random() < 0.9:
                susar.file_regulatory_report(r.s, officer, report.id, submitted_at=filed, now=filed)

    def _related(self, p_possible: float) -> str:
        draw = self.rng.random()
        return "possible" if draw < p_possible else "unlikely" if draw < 0.5 else "not_related"

    def adverse_events(self) -> None:
        r, rng = self.run, self.rng
        last = min(28, r.horizon - 1, (r.end_day or 999) - 1)
        if last < 1:
            return
        for _ in range(int(rng.poisson(1.2))):
            onset_day = int(rng.integers(1, last + 1))
            end_day = onset_day + int(rng.integers(1, 9))
            ended = end_day < r.horizon and r.alive_on(end_day)
            end = (r.day0 + dt.timedelta(days=end_day)).isoformat() if ended else None
            self._report(
                {
                    "term": str(rng.choice(MINOR_TERMS)),
                    "grade": int(rng.choice([1, 2, 3], p=[0.6, 0.33, 0.07])),
                    "relationship_product": self._related(0.15),
                    "relationship_infusion": self._related(0.1),
                    "expectedness": "unexpected",
                    "action_taken": "dose_not_changed",
                    "outcome": "recovered" if end else "recovering",
                    "end_date": end,
                },
                onset_day,
            )
        if rng.random() < SAE_RISK:
            grade = int(rng.choice([3, 4], p=[0.7, 0.3]))
            self._report(
                {
                    "term": str(rng.choice(SERIOUS_TERMS)),
                    "grade": grade,
                    "seriousness": ["hospitalisation"]
                    + (["life_threatening"] if grade == 4 else []),
                    "relationship_product": self._related(0.1),
                    "relationship_infusion": "not_related",
                    "expectedness": "unexpected",
                    "action_taken": "not_applicable",
                    "outcome": "recovering",
                },
                int(rng.integers(1, last + 1)),
            )
        if r.dies and r.end_day is not None and r.end_day <= r.horizon:
            death = (r.day0 + dt.timedelta(days=r.end_day)).isoformat()
            self._report(
                {
                    "term": "Respiratory failure",
                    "grade": 5,
                    "seriousness": ["death"],
                    "relationship_product": "unlikely",
                    "relationship_infusion": "not_related",
                    "expectedness": "unexpected",
                    "outcome": "fatal",
                    "end_date": death,
                },
                max(r.end_day - int(rng.integers(0, 3)), 0),
            )
            r.result.deaths += 1

    # --- queries ------------------------------------------------------------------------------

    def queries(self, entries: list[tuple[int, dt.datetime]]) -> None:
        r, rng = self.run, self.rng
        if entries and rng.random() < 0.3:
            entry_id, entered = entries[int(rng.integers(len(entries)))]
            raised = entered + dt.timedelta(days=self._u(1, 10))
            if raised < r.now:
                queries.raise_query(
                    r.s,
                    r.staff.monitor,
                    subject_code=r.code,
                    entry_id=entry_id,
                    text="The source document shows a different sample date; please check the visit date.",
                    now=raised,
                )
        for q in queries.list_queries(r.s, r.staff.monitor, subject_code=r.code, status="open"):
            r.result.queries += 1
            answered = q.raised_at + dt.timedelta(hours=self._u(2, 72))
            if answered >= r.now or rng.random() > 0.75:
                continue
            queries.answer_query(
                r.s,
                r.coord,
                q.id,
                "Checked against the source document: the value is correct.",
                now=answered,
            )
            closed = answered + dt.timedelta(hours=self._u(2, 96))
            if closed < r.now and rng.random() < 0.8:
                queries.close_query(r.s, r.staff.monitor, q.id, now=closed)
