"""Gather what the scorecard judges from the platform's tables (``scorecard.TrialFacts``).

Blinding: no arm, kit-to-arm or lot-to-subject link leaves this module. The product items
name the subject and infusion, never the lot (a lot's code tells cells from placebo), and
the rules are the same for both arms.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.clinical.dosing.tables import Dispensation, Infusion
from msctrial.clinical.safety.tables import AdverseEvent, SaeReport
from msctrial.clinical.subjects.tables import Consent, Screening, StudyExit, Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core.localtime import site_local_date
from msctrial.core.settings import Settings
from msctrial.core.tables import Site
from msctrial.monitoring import model
from msctrial.monitoring.counts import ENROLLED, Tally, count_sources
from msctrial.monitoring.scorecard import (
    ScorecardConfig,
    TrialFacts,
    Where,
    unit_release_problem,
)
from msctrial.product.tables import Lot, LotSignature, RecallFollowUp, Unit, UnitIssue
from msctrial.protocol.guidance_planning import required_total
from msctrial.protocol.model import Protocol
from msctrial.protocol.service import findings_for, get_protocol, only_trial


class _Gatherer:
    def __init__(self, session: Session, settings: Settings, now: dt.datetime) -> None:
        self.s, self.settings, self.now = session, settings, now
        self.sites = {site.id: site for site in session.scalars(select(Site))}
        self.code = {
            sid: (code, site_id)
            for sid, code, site_id in session.execute(
                select(Subject.id, Subject.subject_code, Subject.site_id).where(
                    Subject.voided_at.is_(None)
                )
            )
        }
        self.protocol: Protocol = get_protocol(session, only_trial(session).code).protocol
        self.facts = TrialFacts(today=now.date())

    def where(self, subject_id: int, what: str = "") -> Where:
        code, site_id = self.code[subject_id]
        return Where(f"{code}{what}", self.sites[site_id].code)

    def today(self, site_id: int) -> dt.date:
        return site_local_date(self.now, self.sites[site_id])

    # --- ethics ---------------------------------------------------------------------------

    def consents(self) -> None:
        f = self.facts
        first_procedure: dict[int, dt.datetime] = {}
        for sid, at in self.s.execute(
            select(Screening.subject_id, func.min(Screening.observed_at)).group_by(
                Screening.subject_id
            )
        ):
            first_procedure[sid] = at
        for sid, collected, entered in self.s.execute(
            select(FormEntry.subject_id, FormEntry.collected_at, FormEntry.entered_at).where(
                FormEntry.voided_at.is_(None)
            )
        ):
            at = collected or entered
            if sid not in first_procedure or at < first_procedure[sid]:
                first_procedure[sid] = at
        consents = list(
            self.s.execute(
                select(
                    Consent.subject_id,
                    Consent.form_version,
                    Consent.consented_at,
                    Consent.signer,
                    Consent.representative_name,
                    Consent.representative_relationship,
                ).where(Consent.voided_at.is_(None))
            )
        )
        first_use: dict[str, dt.datetime] = {}
        for _, version, at, *_ in consents:
            first_use[version] = min(at, first_use.get(version, at))
        earliest: dict[int, dt.datetime] = {}
        for sid, version, at, signer, rep_name, rep_relationship in consents:
            if sid not in self.code:
                continue
            earliest[sid] = min(at, earliest.get(sid, at))
            newer = [v for v, t in first_use.items() if first_use[version] < t < at]
            if newer:
                f.consent_superseded.append(self.where(sid, f" on {version}"))
            if signer == "legal_representative":
                f.representative_consents += 1
                if not (rep_name and rep_relationship):
                    f.representative_unnamed.append(self.where(sid))
        f.consented = len(earliest)
        for sid, at in first_procedure.items():
            if sid not in self.code:
                continue
            if sid not in earliest:
                f.procedures_without_consent.append(self.where(sid))
            elif at < earliest[sid]:
                f.consent_after_procedure.append(self.where(sid))

    # --- design ---------------------------------------------------------------------------

    def design(self) -> None:
        f, p = self.facts, self.protocol
        f.allocation = p.design.allocation.value if p.design.allocation else None
        f.masking = p.design.masking.value if p.design.masking else None
        f.control = p.design.control.value if p.design.control else None
        if p.sample_size is not None:
            f.sample_target = p.sample_size.target
            f.sample_rationale = p.sample_size.rationale
            if p.sample_size.assumptions is not None:
                f.sample_needed = required_total(p.sample_size.assumptions)
        for finding in findings_for(p, self.settings):
            text = f"{finding.rule} ({finding.field}): {finding.message}"
            if finding.level == "deviation":
                f.guidance_deviations.append(text)
            else:
                f.guidance_advice.append(text)

    # --- product --------------------------------------------------------------------------

    def product(self) -> None:
        f = self.facts
        dispensed = {
            did: set(codes)
            for did, codes in self.s.execute(
                select(Dispensation.id, Dispensation.unit_codes).where(
                    Dispensation.voided_at.is_(None)
                )
            )
        }
        issued: dict[str, set[str]] = defaultdict(set)
        for unit_code, subject_code in self.s.execute(
            select(UnitIssue.unit_code, UnitIssue.subject_code).where(UnitIssue.voided_at.is_(None))
        ):
            issued[unit_code].add(subject_code)
        unit_lot = {c: lot for c, lot in self.s.execute(select(Unit.code, Unit.lot_id))}
        expires = {i: e for i, e in self.s.execute(select(Lot.id, Lot.expires_on))}
        signatures: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
        for lot_id, action, at in self.s.execute(
            select(LotSignature.lot_id, LotSignature.action, LotSignature.signed_at)
        ):
            signatures[lot_id].append((action, at))
        rows = self.s.execute(
            select(
                Infusion.id,
                Infusion.subject_id,
                Infusion.site_id,
                Infusion.dispensation_id,
                Infusion.started_at,
                Infusion.scanned_unit_codes,
            ).where(Infusion.voided_at.is_(None))
        )
        for infusion_id, sid, site_id, dispensation_id, started, scanned in rows:
            if sid not in self.code:
                continue
            f.infusions += 1
            label = f" infusion {infusion_id}"
            subject_code = self.code[sid][0]
            codes = set(scanned or [])
            broken = codes != dispensed.get(dispensation_id, set()) or any(
                subject_code not in issued.get(u, set()) for u in codes
            )
            if broken:
                f.identity_breaks.append(self.where(sid, label))
            infused_on = site_local_date(started, self.sites[site_id])
            for unit in sorted(codes):
                f.infused_units += 1
                of_lot = unit_lot.get(unit)
                problem = (
                    "unknown unit"
                    if of_lot is None
                    else unit_release_problem(
                        expires[of_lot], signatures[of_lot], started, infused_on
                    )
                )
                if problem:
                    f.units_not_released.append(self.where(sid, f"{label}: {problem}"))
        for subject_code, site_id, closed_at in self.s.execute(
            select(RecallFollowUp.subject_code, RecallFollowUp.site_id, RecallFollowUp.closed_at)
        ):
            f.recall_follow_ups += 1
            if closed_at is None:
                f.recall_open.append(Where(subject_code, self.sites[site_id].code))

    # --- progress -------------------------------------------------------------------------

    def progress(self) -> dict[int, tuple[int, dt.date, dt.date | None]]:
        """Counts enrolment, visits and retention; returns enrolled subjects' day 0 and exit."""
        f = self.facts
        exits = {
            sid: (kind, date)
            for sid, kind, date in self.s.execute(
                select(StudyExit.subject_id, StudyExit.kind, StudyExit.exit_date)
            )
        }
        enrolled: dict[int, tuple[int, dt.date, dt.date | None]] = {}
        for sid, site_id, day0 in self.s.execute(
            select(Subject.id, Subject.site_id, Subject.day0_date).where(
                Subject.voided_at.is_(None), Subject.status.in_(ENROLLED)
            )
        ):
            if day0 is None:
                continue
            kind, exit_date = exits.get(sid, (None, None))
            enrolled[sid] = (site_id, day0, exit_date)
            if kind == "lost_to_follow_up":
                f.lost_to_follow_up.append(self.where(sid))
        f.randomised = len(enrolled)
        f.first_randomised = min((d0 for _, d0, _ in enrolled.values()), default=None)
        done = {
            (sid, name)
            for sid, name in self.s.execute(
                select(VisitRecord.subject_id, VisitRecord.visit_name).where(
                    VisitRecord.visit_date.is_not(None)
                )
            )
        }
        for sid, (site_id, day0, exit_date) in enrolled.items():
            for visit in self.protocol.visits:
                if visit.day < 0 or not self._due(
                    day0, visit.day, visit.window_days, exit_date, site_id
                ):
                    continue
                f.visits_due += 1
                if (sid, visit.name) not in done:
                    f.visits_missing.append(self.where(sid, f" {visit.name}"))
        return enrolled

    def _due(
        self, day0: dt.date, day: int, window: int, exit_date: dt.date | None, site_id: int
    ) -> bool:
        """The visit's window has closed and the subject was still on study on its day."""
        on_day = day0 + dt.timedelta(days=day)
        closed = on_day + dt.timedelta(days=window) < self.today(site_id)
        return closed and (exit_date is None or exit_date > on_day)

    # --- quality --------------------------------------------------------------------------

    def quality(
        self, config: ScorecardConfig, enrolled: dict[int, tuple[int, dt.date, dt.date | None]]
    ) -> None:
        f = self.facts
        readers = ("administrations", "queries", "entries", "eligibility", "deviations")
        _, tallies = count_sources(self.s, self.now, readers)

        def total(source: str) -> tuple[int, int]:
            t: Tally = tallies[source]
            return int(sum(t.numerator.values())), int(sum(t.denominator.values()))

        f.deviations, _ = total("infusion_deviations")
        f.important_deviations, _ = total("important_deviations")
        f.delayed_queries, f.queries = total("old_queries")
        f.late_entries, f.entries = total("late_entries")
        for report_id, sid, due_at, submitted_at in self.s.execute(
            select(SaeReport.id, AdverseEvent.subject_id, SaeReport.due_at, SaeReport.submitted_at)
            .join(AdverseEvent, AdverseEvent.id == SaeReport.ae_id)
            .where(SaeReport.voided_at.is_(None), SaeReport.kind == "sponsor_initial")
        ):
            late = model.report_is_late(due_at, submitted_at, self.now)
            if late is None or sid not in self.code:
                continue
            f.sae_reports += 1
            if late:
                f.late_sae_reports.append(self.where(sid, f" SAE report {report_id}"))
        self._endpoints(config, enrolled)

    def _endpoints(
        self, config: ScorecardConfig, enrolled: dict[int, tuple[int, dt.date, dt.date | None]]
    ) -> None:
        f = self.facts
        wanted: list[tuple[str, str, str, int]] = []  # measure, form, item, visit day
        for endpoint in self.protocol.endpoints.primary:
            target = config.endpoint_items.get(endpoint.measure.value)
            if target is None:
                continue
            f.primary_endpoints.append(endpoint.name or endpoint.measure.value)
            for day in endpoint.time_points:
                wanted.append((endpoint.measure.value, target[0], target[1], day))
        if not wanted:
            return
        present = {
            (sid, name, form, item)
            for sid, name, form, item in self.s.execute(
                select(
                    VisitRecord.subject_id, VisitRecord.visit_name, FormEntry.form, FormValue.item
                )
                .join(FormEntry, FormEntry.visit_id == VisitRecord.id)
                .join(FormValue, FormValue.entry_id == FormEntry.id)
                .where(
                    FormEntry.voided_at.is_(None),
                    FormEntry.form.in_({form for _, form, _, _ in wanted}),
                    FormValue.item.in_({item for _, _, item, _ in wanted}),
                    (FormValue.number.is_not(None)) | (FormValue.text.is_not(None)),
                )
            )
        }
        visits = {v.day: v for v in self.protocol.visits}
        for sid, (site_id, day0, exit_date) in enrolled.items():
            for _measure, form, item, day in wanted:
                visit = visits.get(day)
                if visit is None or not self._due(day0, day, visit.window_days, exit_date, site_id):
                    continue
                f.endpoint_due += 1
                if (sid, visit.name, form, item) not in present:
                    f.endpoint_missing.append(self.where(sid, f" {visit.name} {item}"))


def gather_facts(
    session: Session, settings: Settings, config: ScorecardConfig, now: dt.datetime
) -> TrialFacts:
    """Everything the scorecard judges, trial-wide, as of ``now``."""
    g = _Gatherer(session, settings, now)
    g.consents()
    g.design()
    g.product()
    enrolled = g.progress()
    g.quality(config, enrolled)
    return g.facts
