"""What the platform's own tables give each KRI: numerator and denominator per site.

Every count is trial-wide (a site's score is relative to all sites); the service then shows an
actor only the sites they may see. Nothing here reads an arm, a kit or a lot: no column marked
``BLINDED`` is selected, so no count can differ by arm except through what every monitor sees.
Voided records do not count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.data_queries.tables import DataQuery
from msctrial.clinical.dosing.tables import (
    BedsideCheck,
    DispensingRefusal,
    Infusion,
    ProtocolDeviation,
)
from msctrial.clinical.randomisation.tables import EmergencyUnblinding, PlannedAdministration
from msctrial.clinical.safety.tables import AdverseEvent, SaeReport
from msctrial.clinical.subjects.tables import ScreenFailure, StudyExit, Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core.localtime import site_local_date
from msctrial.core.tables import AuditEntry, Site
from msctrial.monitoring import model
from msctrial.monitoring.deviations import derive_deviations
from msctrial.monitoring.labs import GRADED_FORM, ctcae_grade

# Randomised at some time: the status after randomisation (SubjectStatus).
ENROLLED = ("randomised", "completed", "withdrawn", "died")
DISCONTINUED = ("withdrawn", "lost_to_follow_up")


@dataclass
class Tally:
    """Numerator and denominator per site id for one source, and the records behind each
    numerator, named by subject (and record) for the monitor who follows a flag up."""

    numerator: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    denominator: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    records: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, site_id: int, hit: bool, unit: float = 1.0, record: str = "") -> None:
        """One unit of the denominator, and one event of the numerator when ``hit``."""
        self.denominator[site_id] += unit
        if hit:
            self.hit(site_id, record)

    def hit(self, site_id: int, record: str = "") -> None:
        """One event of the numerator alone (a rate's events are counted against exposure)."""
        self.numerator[site_id] += 1
        if record:
            self.records[site_id].append(record)

    def of(self, site_id: int) -> tuple[float, float]:
        return self.numerator.get(site_id, 0.0), self.denominator.get(site_id, 0.0)


@dataclass(frozen=True)
class Enrolled:
    site_id: int
    day0: dt.date
    exit_kind: str | None
    exit_date: dt.date | None
    eligible: bool | None


class Counter:
    """Reads each table once and tallies every source (``config.SOURCES``) per site."""

    def __init__(
        self, session: Session, now: dt.datetime, important: Mapping[str, bool] | None = None
    ) -> None:
        self.s = session
        self.now = now
        # Which deviation kinds are important (the configuration's ``deviations``).
        self.important = important or {}
        self.possibly_ineligible: set[int] = set()
        self.sites = {site.id: site for site in session.scalars(select(Site))}
        self.codes: dict[int, str] = {
            sid: code for sid, code in session.execute(select(Subject.id, Subject.subject_code))
        }
        self.tallies: dict[str, Tally] = defaultdict(Tally)
        self.enrolled: dict[int, Enrolled] = {}

    def today(self, site_id: int) -> dt.date:
        return site_local_date(self.now, self.sites[site_id])

    def code(self, subject_id: int | None) -> str:
        return self.codes.get(subject_id or 0, "?")

    # The readers in order; each later one may use the enrolled subjects the first one reads.
    READERS = (
        "subjects",
        "adverse_events",
        "administrations",
        "queries",
        "entries",
        "values",
        "screening",
        "eligibility",
        "deviations",
        "unblindings",
        "sae_reports",
    )

    def run(self, readers: Iterable[str] = READERS) -> dict[str, Tally]:
        """Tally every source, or only those of the given readers (the subjects are always
        read: the other readers count against them)."""
        wanted = set(readers) | {"subjects"}
        for name in self.READERS:
            if name in wanted:
                getattr(self, f"_{name}")()
        return self.tallies

    def _subjects(self) -> None:
        exits = {
            sid: (kind, date)
            for sid, kind, date in self.s.execute(
                select(StudyExit.subject_id, StudyExit.kind, StudyExit.exit_date)
            )
        }
        rows = self.s.execute(
            select(Subject.id, Subject.site_id, Subject.day0_date, Subject.eligible).where(
                Subject.voided_at.is_(None), Subject.status.in_(ENROLLED)
            )
        )
        t = self.tallies
        for sid, site_id, day0, eligible in rows:
            if day0 is None:
                continue
            kind, exit_date = exits.get(sid, (None, None))
            self.enrolled[sid] = Enrolled(site_id, day0, kind, exit_date, eligible)
            code = self.code(sid)
            days = model.days_on_study(day0, exit_date, self.today(site_id))
            for source in ("ae", "sae", "deviations", "important_deviations"):
                t[source].add(site_id, False, days)
            t["study_discontinuation"].add(site_id, kind in DISCONTINUED, record=f"{code} {kind}")
            death = exit_date if kind == "died" else None
            for source, limit in (("deaths_90", 90), ("deaths_28", 28)):
                died = death is not None and model.died_within(day0, death, limit)
                t[source].add(site_id, died, record=f"{code} died {death}")

    def _adverse_events(self) -> None:
        t = self.tallies
        rows = self.s.execute(
            select(
                AdverseEvent.subject_id,
                AdverseEvent.number,
                AdverseEvent.serious,
                AdverseEvent.infusion_id,
            ).where(AdverseEvent.voided_at.is_(None))
        )
        for sid, number, serious, infusion_id in rows:
            e = self.enrolled.get(sid)
            if e is None:
                continue  # an AE before randomisation has no days on study to count against
            label = f"{self.code(sid)} AE {number}"
            t["ae"].hit(e.site_id, label)
            if serious:
                t["sae"].hit(e.site_id, label)
            if infusion_id is not None:
                t["infusion_reactions"].hit(e.site_id, f"{label} (infusion {infusion_id})")

    def _administrations(self) -> None:
        t = self.tallies
        infused = {
            admin_id: site_id
            for admin_id, site_id in self.s.execute(
                select(Infusion.administration_id, Infusion.site_id).where(
                    Infusion.voided_at.is_(None)
                )
            )
        }
        for site_id, count in _per_site(infused.values()).items():
            for source in ("infusion_deviations", "infusion_reactions", "blocked_dispensings"):
                t[source].denominator[site_id] += count
        # Blocked: a dispensing a rule refused, or a bedside check that refused the units (the
        # stored message is sealed; only the fact and the subject are counted).
        for site_id, sid, number in self.s.execute(
            select(
                DispensingRefusal.site_id,
                DispensingRefusal.subject_id,
                DispensingRefusal.administration_no,
            )
        ):
            t["blocked_dispensings"].hit(site_id, f"{self.code(sid)} dispensing {number} refused")
        for site_id, sid, check_id in self.s.execute(
            select(BedsideCheck.site_id, BedsideCheck.subject_id, BedsideCheck.id).where(
                BedsideCheck.passed.is_(False)
            )
        ):
            t["blocked_dispensings"].hit(
                site_id, f"{self.code(sid)} bedside check {check_id} refused"
            )
        for site_id, sid, kind in self.s.execute(
            select(
                ProtocolDeviation.site_id, ProtocolDeviation.subject_id, ProtocolDeviation.kind
            ).where(ProtocolDeviation.voided_at.is_(None))
        ):
            t["infusion_deviations"].hit(site_id, f"{self.code(sid)} {kind}")
        missed: set[int] = set()
        rows = self.s.execute(
            select(
                PlannedAdministration.id,
                PlannedAdministration.subject_id,
                PlannedAdministration.study_day,
                PlannedAdministration.window_days,
            ).where(
                PlannedAdministration.voided_at.is_(None),
                PlannedAdministration.optional.is_(False),
            )
        )
        for admin_id, sid, study_day, window in rows:
            e = self.enrolled.get(sid)
            if e is None:
                continue
            if model.administration_missed(
                e.day0, study_day, window, admin_id in infused, self.today(e.site_id)
            ):
                missed.add(sid)
        for sid, e in self.enrolled.items():
            t["treatment_discontinuation"].add(e.site_id, sid in missed, record=self.code(sid))

    def _queries(self) -> None:
        t = self.tallies
        rows = self.s.execute(
            select(
                DataQuery.id,
                DataQuery.subject_id,
                DataQuery.site_id,
                DataQuery.raised_at,
                DataQuery.answered_at,
                DataQuery.closed_at,
            )
        )
        for query_id, sid, site_id, raised, answered, closed in rows:
            label = f"{self.code(sid)} query {query_id}"
            t["queries"].hit(site_id, label)
            delayed = model.query_is_delayed(raised, answered, closed, self.now)
            t["old_queries"].add(site_id, delayed, record=label)

    def _entries(self) -> None:
        t = self.tallies
        rows = self.s.execute(
            select(
                FormEntry.site_id,
                FormEntry.subject_id,
                FormEntry.form,
                FormEntry.entered_at,
                VisitRecord.visit_name,
                VisitRecord.visit_date,
            )
            .join(VisitRecord, VisitRecord.id == FormEntry.visit_id)
            .where(FormEntry.voided_at.is_(None), VisitRecord.visit_date.is_not(None))
        )
        for site_id, sid, form, entered_at, visit_name, visit_date in rows:
            if visit_date is None:
                continue
            entered_on = site_local_date(entered_at, self.sites[site_id])
            late = model.entry_is_late(entered_on, visit_date)
            t["late_entries"].add(site_id, late, record=f"{self.code(sid)} {visit_name} {form}")

    def _values(self) -> None:
        t = self.tallies
        changed = {
            entity_id
            for (entity_id,) in self.s.execute(
                select(AuditEntry.entity_id)
                .where(AuditEntry.entity == FormValue.__tablename__, AuditEntry.action != "create")
                .distinct()
            )
        }
        rows = self.s.execute(
            select(
                FormValue.id,
                FormValue.site_id,
                FormValue.item,
                FormValue.number,
                FormEntry.subject_id,
                FormEntry.form,
            )
            .join(FormEntry, FormEntry.id == FormValue.entry_id)
            .where(FormEntry.voided_at.is_(None), FormValue.derived.is_(False))
        )
        for value_id, site_id, item, number, sid, form in rows:
            label = f"{self.code(sid)} {form}.{item}"
            t["changed_values"].add(site_id, str(value_id) in changed, record=label)
            t["queries"].denominator[site_id] += 1
            grade = (
                ctcae_grade(item, number) if form == GRADED_FORM and number is not None else None
            )
            if grade is not None:
                record = f"{label} {number:g} grade {grade}"
                t["lab_abnormalities"].add(site_id, grade >= 3, record=record)

    def _screening(self) -> None:
        t = self.tallies
        failed = self.s.execute(
            select(ScreenFailure.site_id, ScreenFailure.subject_id)
            .join(Subject, Subject.id == ScreenFailure.subject_id)
            .where(Subject.voided_at.is_(None))
        )
        for site_id, sid in failed:
            t["screen_failures"].add(site_id, True, record=self.code(sid))
        for e in self.enrolled.values():
            t["screen_failures"].add(e.site_id, False)

    def _eligibility(self) -> None:
        """Possibly ineligible (gsm kri0014): not eligible at the latest screening, or
        randomised although the casebook's screening CT shows no pneumonia (an inclusion
        criterion of the reference protocol: "Pneumonia on chest CT")."""
        ct: dict[int, dict[str, object]] = defaultdict(dict)
        for sid, item, number, text in self.s.execute(
            select(FormEntry.subject_id, FormValue.item, FormValue.number, FormValue.text)
            .join(FormEntry, FormEntry.id == FormValue.entry_id)
            .join(VisitRecord, VisitRecord.id == FormEntry.visit_id)
            .where(
                FormEntry.voided_at.is_(None),
                FormEntry.form == "imaging",
                VisitRecord.study_day < 0,
                FormValue.item.in_(("lesion_proportion", "bilateral_opacities")),
            )
        ):
            ct[sid][item] = number if number is not None else text
        t = self.tallies
        for sid, e in self.enrolled.items():
            code = self.code(sid)
            if e.eligible is not True:
                why = "not eligible at screening"
            elif sid in ct and model.no_pneumonia_on_ct(ct[sid]):
                why = "screening CT: no pneumonia"
            else:
                t["ineligible"].add(e.site_id, False)
                continue
            self.possibly_ineligible.add(sid)
            t["ineligible"].add(e.site_id, True, record=f"{code} {why}")

    def _deviations(self) -> None:
        """PD and IPD: each deviation against days on study, by the configured class."""
        enrolled = {sid: (e.site_id, e.day0) for sid, e in self.enrolled.items()}
        for d in derive_deviations(self.s, enrolled, self.possibly_ineligible):
            source = "important_deviations" if self.important.get(d.kind, True) else "deviations"
            self.tallies[source].hit(d.site_id, f"{self.code(d.subject_id)} {d.kind}: {d.detail}")

    def _unblindings(self) -> None:
        t = self.tallies
        unblinded = set(self.s.scalars(select(EmergencyUnblinding.subject_id).distinct()))
        for sid, e in self.enrolled.items():
            t["unblindings"].add(e.site_id, sid in unblinded, record=self.code(sid))

    def _sae_reports(self) -> None:
        t = self.tallies
        rows = self.s.execute(
            select(
                SaeReport.id,
                SaeReport.subject_id,
                SaeReport.site_id,
                SaeReport.due_at,
                SaeReport.submitted_at,
            ).where(SaeReport.voided_at.is_(None), SaeReport.kind == "sponsor_initial")
        )
        for report_id, sid, site_id, due_at, submitted_at in rows:
            late = model.report_is_late(due_at, submitted_at, self.now)
            if late is not None:
                label = f"{self.code(sid)} SAE report {report_id}"
                t["late_sae_reports"].add(site_id, late, record=label)


def _per_site(site_ids: Iterable[int]) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for site_id in site_ids:
        out[site_id] += 1
    return out


def count_sources(
    session: Session,
    now: dt.datetime,
    readers: Iterable[str] = Counter.READERS,
    important: Mapping[str, bool] | None = None,
) -> tuple[dict[int, Site], dict[str, Tally]]:
    """Every site, and each source's tally per site id, as of ``now``; ``important`` classes
    the deviation kinds (default: the default configuration's)."""
    if important is None:
        from msctrial.monitoring.config import default_config

        important = default_config().important_deviations
    counter = Counter(session, now, important)
    return counter.sites, counter.run(readers)
