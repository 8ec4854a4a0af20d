"""The trial simulator: seeded patients run through the real services, as a trial unit would.

``simulate_trial(session, rng, config, today=...)`` enrols ``config.subjects`` patients over the
``config.enrolment_days`` before ``today`` and plays each one's course up to today: screening
(some fail), consent (a legal representative for ventilated patients), randomisation,
dispensing from the product's released lots and infusion with the expected-reaction check,
every scheduled visit with its forms, adverse events (some serious, a few SUSARs) with their
reports, queries raised and answered, withdrawals and deaths. Every write goes through the
services of ``clinical`` and ``product``, so it is validated and on the audit trail. The same
``numpy.random.Generator`` seed and the same ``today`` give the same trial; the treatment
effect is configurable (``patients``).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.randomisation.allocation import allocation_of
from msctrial.clinical.randomisation.service import randomise_subject, set_up_randomisation
from msctrial.clinical.randomisation.tables import RandomisationList
from msctrial.clinical.subjects import exit as study_exit
from msctrial.clinical.subjects.access import get_subject
from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.screening import prescreen_patient, screen_subject
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits import service as visits
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput
from msctrial.core.localtime import local_moment, site_local_date, zone
from msctrial.core.tables import Site
from msctrial.protocol.model import ProductKind, Protocol
from msctrial.protocol.service import get_protocol, only_trial
from msctrial.simulation.config import SimulationConfig, SimulationResult
from msctrial.simulation.events import EventWriter
from msctrial.simulation.faults import NO_PNEUMONIA, SiteBehaviour
from msctrial.simulation.patients import (
    Patient,
    discharge_day,
    draw_patient,
    screening_observations,
    state_on,
)
from msctrial.simulation.staff import Staff, ensure_sites
from msctrial.simulation.typist import Typist


def _ensure_randomisation(
    session: Session,
    staff: Staff,
    rng: np.random.Generator,
    config: SimulationConfig,
    added: list[str],
) -> None:
    trial = only_trial(session)
    if (
        session.scalar(select(RandomisationList.id).where(RandomisationList.trial_id == trial.id))
        is None
    ):
        seed = "sim-" + "".join(f"{int(x):02x}" for x in rng.integers(0, 256, 16))
        # Any one stratum might recruit its whole site's share: twice the expected share of the
        # busiest site leaves room (20 sites alike: 60 places per stratum for 600 patients).
        weights = [w for _, w in config.sites]
        busiest = max(weights) / sum(weights)
        per = max(24, min(config.subjects, math.ceil(2 * busiest * config.subjects)))
        set_up_randomisation(session, staff.admin, seed=seed, per_stratum=per)
    elif added:
        raise InvalidInput(
            f"sites: the randomisation list was made before the sites {', '.join(added)}; "
            "simulate those sites into a trial without a list",
            field="sites",
        )


def simulate_training_trial(
    session: Session, rng: np.random.Generator, config: SimulationConfig | None = None
) -> SimulationResult:
    """Fill an empty trial (a training or test database) with simulated patients.

    Refused when the trial already has subjects: simulated patients must never mix with real
    ones (the demo, which is all simulated, calls ``simulate_trial`` itself).
    """
    if session.scalar(select(Subject.id).limit(1)) is not None:
        raise InvalidInput(
            "db: this trial already has subjects; simulate into an empty trial", field="db"
        )
    return simulate_trial(session, rng, config)


def simulate_trial(
    session: Session,
    rng: np.random.Generator,
    config: SimulationConfig | None = None,
    *,
    today: dt.date | None = None,
) -> SimulationResult:
    """Run ``config.subjects`` simulated patients through the trial's services."""
    config = config or SimulationConfig()
    now = utcnow()
    if today is not None and today < now.date():
        # A simulation of a past day ends that evening: nothing depends on the wall clock,
        # so the same seed and day give the same trial whenever it is run.
        now = dt.datetime.combine(today, dt.time(23, 0), tzinfo=dt.UTC)
    today = today or now.date()
    staff = Staff(session)
    result = SimulationResult()
    protocol = get_protocol(session, only_trial(session).code).protocol
    added = ensure_sites(session, config)
    _ensure_randomisation(session, staff, rng, config, added)
    sites = {s.code: s for s in session.scalars(select(Site))}
    codes = [c for c, _ in config.sites if c in sites]
    weights = np.array([w for c, w in config.sites if c in sites])
    starts = np.sort(rng.uniform(2, config.enrolment_days, config.subjects))[::-1]
    for offset in starts:
        site = sites[str(rng.choice(codes, p=weights / weights.sum()))]
        patient = draw_patient(
            rng, site=site.code, year=today.year, screen_failure_rate=config.screen_failure_rate
        )
        day = today - dt.timedelta(days=int(offset))
        run = _SubjectRun(session, rng, staff, protocol, site, patient, config, result, today, now)
        run.play(day)
    session.commit()
    return result


class _SubjectRun:
    """One patient's way through the trial, written through the services."""

    def __init__(
        self,
        session: Session,
        rng: np.random.Generator,
        staff: Staff,
        protocol: Protocol,
        site: Site,
        patient: Patient,
        config: SimulationConfig,
        result: SimulationResult,
        today: dt.date,
        now: dt.datetime,
    ) -> None:
        self.s, self.rng, self.staff, self.protocol = session, rng, staff, protocol
        self.site, self.p, self.config, self.result = site, patient, config, result
        self.today, self.now = today, now
        self.zone = zone(site.timezone)
        self.inv = staff.investigator(site.code)
        self.behaviour = SiteBehaviour.of(site.code, config.faults)
        self.no_pneumonia = False
        self.coord = staff.coordinator(site.code)
        self.effect = config.treatment_effect
        self.code = ""
        self.randomised_at = now
        self.day0 = today
        self.msc = False
        self.horizon = 0
        self.dies = self.withdraws = False
        self.end_day: int | None = None
        self.discharge: int | None = None

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        return min(local_moment(day, hour, self.site.timezone), self.now - dt.timedelta(minutes=1))

    def play(self, screening_day: dt.date) -> None:
        p, rng = self.p, self.rng
        screen_at = self.at(screening_day, float(rng.uniform(8.5, 14)))
        elig = self.protocol.eligibility
        exclusion = {c: False for c in elig.exclusion}
        if p.screen_failure and elig.exclusion:
            exclusion[elig.exclusion[int(rng.integers(len(elig.exclusion)))]] = True
        pressure = air_of_site(self.site)
        # Consent comes first: the patient is on the screening log (a number), consents, and
        # only then is screened; screen failures have consented too.
        self.code = prescreen_patient(
            self.s, self.coord, self.site.code, prescreened_on=site_local_date(screen_at, self.site)
        ).subject_code
        # An ineligible site's patient: the CT shows no pneumonia, the site ticks it as met.
        self.no_pneumonia = self.behaviour.enrols_without_pneumonia(rng)
        representative = p.severity == "critical"
        consent_at = screen_at - dt.timedelta(minutes=45)
        record_consent(
            self.s,
            self.coord,
            self.code,
            form_version="2.1",
            consented_at=consent_at,
            taken_by=self.inv.full_name or self.inv.username,
            signer="legal_representative" if representative else "subject",
            representative_name="(spouse, name on the paper form)" if representative else None,
            representative_relationship="spouse" if representative else None,
        )
        out = screen_subject(
            self.s,
            self.inv,
            subject_code_text=self.code,
            year_of_birth=p.year_of_birth,
            sex=p.sex,
            weight_kg=p.weight_kg,
            observations=screening_observations(p, rng, pressure),
            inclusion_met={c: True for c in elig.inclusion},
            exclusion_present=exclusion,
            observed_at=screen_at,
        )
        self.result.screened += 1
        if out.screen_failure is not None or not out.eligibility.eligible:
            self.result.screen_failures += 1
            return
        # The same draw as when consent followed screening, so a seed gives the same trial.
        gap = dt.timedelta(hours=float(rng.uniform(0.5, 2.5)))
        self.randomised_at = screen_at + gap + dt.timedelta(hours=float(rng.uniform(0.5, 2)))
        randomise_subject(
            self.s,
            self.staff.signer_for(self.inv),
            self.code,
            password=None,
            at=self.randomised_at,
        )
        self.result.randomised += 1
        subject = get_subject(self.s, self.inv, self.code)
        arm = allocation_of(self.s, subject)
        assert arm is not None and subject.day0_date is not None
        self.day0 = subject.day0_date
        self.msc = (
            next(a for a in self.protocol.arms if a.name == arm.arm).product is ProductKind.cells
        )
        self.horizon = (self.today - self.day0).days
        self.dies = p.dies(self.msc, self.effect)
        self.withdraws = not self.dies and p.withdraw_draw < self.config.dropout_rate
        self.end_day = p.death_day if self.dies else (p.withdraw_day if self.withdraws else None)
        self.discharge = discharge_day(p, self.msc, self.effect)
        events = EventWriter(self)
        events.infusions()
        entries = self.visits(screen_at)
        events.adverse_events()
        self.exit()
        events.queries(entries)

    def alive_on(self, day: int) -> bool:
        return self.end_day is None or day < self.end_day

    def visits(self, screen_at: dt.datetime) -> list[tuple[int, dt.datetime]]:
        """Every visit that has come round, its forms typed in (a few late or missed)."""
        rng, entries = self.rng, []  # (entry id, entered at)
        typist = Typist(rng, self.site.code, air_of_site(self.site))
        for visit in sorted(self.protocol.visits, key=lambda v: v.day):
            study_day = max(visit.day, 0) if visit.day >= 0 else 0
            jitter = int(rng.choice([0, 0, 0, 0, 0, 0, 0, 0, -1, 1])) if visit.window_days else 0
            on = (
                self.day0 + dt.timedelta(days=study_day + jitter)
                if visit.day >= 0
                else screen_at.astimezone(self.zone).date()
            )
            offset = (on - self.day0).days
            if on > self.today or not self.alive_on(offset):
                continue
            recent = (self.today - on).days <= 2
            if recent and rng.random() < 0.5:
                continue  # not entered yet: due, or overdue tomorrow
            if not recent and visit.day > 0 and rng.random() < 0.03:
                visits.mark_visit_not_done(
                    self.s, self.coord, self.code, visit.name, "patient unable to attend"
                )
                continue
            state = state_on(self.p, offset, self.msc, self.effect, rng)
            hospitalised = self.discharge is None or offset < self.discharge
            discharged_on = (
                (self.day0 + dt.timedelta(days=self.discharge)).isoformat()
                if self.discharge is not None
                else None
            )
            when = self.at(on, float(rng.uniform(15, 40)))
            for form in visit.forms:
                late = self.behaviour.entry_delay_days(rng)
                entered = when if late is None else self.at(on, 24 * late)
                if late is not None and entered < local_moment(on, 24 * late, self.site.timezone):
                    continue  # a late site's form not entered yet
                if form not in ("blood_gas", "who_scale", "vital_signs") and rng.random() < 0.03:
                    continue  # a form forgotten: the visit stays incomplete
                values = typist.values(
                    form,
                    self.p,
                    state,
                    offset,
                    hospitalised=hospitalised,
                    discharge_on=discharged_on,
                    msc=self.msc,
                    effect=self.effect,
                )
                if form == "imaging" and visit.day < 0 and self.no_pneumonia:
                    values = {**values, **NO_PNEUMONIA}
                entry = visits.enter_form(
                    self.s,
                    self.coord,
                    self.code,
                    visit.name,
                    form,
                    values,
                    visit_date=on,
                    now=entered,
                )
                entries.append((entry.id, entry.entered_at))
                self.result.forms += 1
        return entries

    def exit(self) -> None:
        if self.withdraws and self.end_day is not None and self.end_day <= self.horizon:
            on = self.day0 + dt.timedelta(days=self.end_day)
            study_exit.record_exit(
                self.s, self.inv, self.code, "withdrawn", on, "consent withdrawn by the patient"
            )
            self.result.withdrawals += 1


def air_of_site(site: Site) -> float:
    """The site's barometric pressure (measured, or from its altitude), mmHg."""
    from msctrial.clinical.subjects.severity import Air

    return Air(site.altitude_m, site.barometric_pressure_mmhg).pressure_mmhg
