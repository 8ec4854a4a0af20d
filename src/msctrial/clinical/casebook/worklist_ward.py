"""The ward's sections of the home worklist: visits, infusions, queries to answer, SAE report
clocks and patients waiting for consent, screening or randomisation.

Each list comes from the service that guards it (site isolation, blinding), narrowed to the
sites where the user is site staff: a user who is also a trial-wide monitor does not get
other sites' patients as tasks. Nothing here names an arm. Times are the site's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.casebook import worklist as rules
from msctrial.clinical.casebook.record import subject_list
from msctrial.clinical.casebook.service import visits_to_do
from msctrial.clinical.casebook.worklist import Section, WorkItem
from msctrial.clinical.data_queries.service import list_queries
from msctrial.clinical.dosing.bedside import BEDSIDE
from msctrial.clinical.dosing.schedule import administration_schedule
from msctrial.clinical.dosing.tables import Infusion
from msctrial.clinical.randomisation.tables import PlannedAdministration
from msctrial.clinical.safety.views import list_sae_reports
from msctrial.clinical.subjects.access import SITE_STAFF
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.forms import get_form
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput
from msctrial.core.localtime import site_local_date, zone
from msctrial.core.tables import Site


class SiteClock:
    """The sites' zones and calendar days, read once per request."""

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.now = now
        self.sites = {s.code: s for s in session.scalars(select(Site))}

    def local(self, at: dt.datetime, site: str) -> dt.datetime:
        return at.astimezone(zone(self.sites[site].timezone))

    def today(self, site: str) -> dt.date:
        return site_local_date(self.now, self.sites[site])


def form_label(name: str) -> str:
    """A form's own name ("Vital signs"); a form this build does not know reads as its key."""
    try:
        return get_form(name).label
    except InvalidInput:
        return name.replace("_", " ")


def staff_sites(actor: Actor, clock: SiteClock) -> set[str]:
    return {c for c, s in clock.sites.items() if actor.has_role(*SITE_STAFF, site_id=s.id)}


def visits_due(session: Session, actor: Actor, clock: SiteClock, sites: set[str]) -> Section:
    items = []
    for v in visits_to_do(session, actor, now=clock.now):
        if v.site not in sites:
            continue
        first = v.forms_missing[0] if v.forms_missing else None
        href = (
            f"/casebook/{v.subject}/visits/{v.key}/forms/{first}"
            if first
            else f"/clinical/subjects/{v.subject}#visits"
        )
        missing = ", ".join(form_label(f) for f in v.forms_missing)
        items.append(
            WorkItem(
                what=f"{v.visit} visit",
                href=href,
                subject=v.subject,
                site=v.site,
                due=v.latest,
                days_late=v.days_overdue,
                note=f"to enter: {missing}" if missing else "",
            )
        )
    return Section("visits", "Visits due and overdue", rules.by_lateness(items), "No visit is due.")


def _with_a_dose_open(session: Session, clock: SiteClock, sites: set[str]) -> list[tuple[str, str]]:
    """Randomised subjects at ``sites`` with an administration not given whose window may have
    opened by today: one query, so the schedule is read only for the few that have one."""
    site_ids = {clock.sites[c].id: c for c in sites}
    given = select(Infusion.id).where(
        Infusion.administration_id == PlannedAdministration.id, Infusion.voided_at.is_(None)
    )
    rows = session.execute(
        select(Subject.subject_code, Subject.site_id, Subject.day0_date, PlannedAdministration)
        .join(PlannedAdministration, PlannedAdministration.subject_id == Subject.id)
        .where(
            Subject.voided_at.is_(None),
            Subject.status == "randomised",
            Subject.site_id.in_(site_ids),
            Subject.day0_date.is_not(None),
            PlannedAdministration.voided_at.is_(None),
            ~given.exists(),
        )
        .order_by(Subject.subject_code)
    )
    out: dict[str, str] = {}
    for code, site_id, day0, planned in rows:
        site = site_ids[site_id]
        if day0 is None:  # excluded by the query; says so to the type checker
            continue
        opens = day0 + dt.timedelta(days=planned.study_day - planned.window_days)
        if opens <= clock.today(site):
            out[code] = site
    return list(out.items())


def infusions_due(session: Session, actor: Actor, clock: SiteClock, sites: set[str]) -> Section:
    items = []
    for code, site in _with_a_dose_open(session, clock, sites):
        today = clock.today(site)
        for a in administration_schedule(session, actor, code):
            if not rules.administration_is_due(a.state, a.earliest, a.latest, today):
                continue
            ready = a.state == "dispensed"
            bedside = actor.has_role(*BEDSIDE, site_id=clock.sites[site].id)
            href = (
                f"/clinical/subjects/{code}/administrations/{a.number}/infusion"
                if ready and bedside
                else f"/clinical/subjects/{code}#administrations"
            )
            items.append(
                WorkItem(
                    what=rules.administration_label(a.study_day),
                    href=href,
                    subject=code,
                    site=site,
                    due=a.latest,
                    days_late=rules.days_late(a.latest, today),
                    note="dispensed: check at the bedside and infuse"
                    if ready
                    else "waiting for the pharmacy to dispense",
                )
            )
    return Section(
        "administrations",
        "Infusions due",
        rules.by_lateness(items),
        "No infusion is due.",
    )


def queries_to_answer(session: Session, actor: Actor, clock: SiteClock, sites: set[str]) -> Section:
    items = []
    for q in list_queries(session, actor, status="open"):
        if q.site not in sites:
            continue
        where = " · ".join(
            x for x in (q.visit, form_label(q.form) if q.form else None, q.item) if x
        )
        age = rules.query_age_days(q.raised_at, clock.now)
        items.append(
            WorkItem(
                what=f"Query: {q.text}",
                href=f"/queries/{q.id}",
                subject=q.subject,
                site=q.site,
                at=clock.local(q.raised_at, q.site),
                note=f"{where + ', ' if where else ''}raised {rules.days_ago(age)} by {q.raised_by}",
            )
        )
    return Section("queries", "Queries to answer", tuple(items), "No query is waiting for you.")


def sae_clocks(session: Session, actor: Actor, clock: SiteClock, sites: set[str] | None) -> Section:
    items = []
    for r in list_sae_reports(session, actor, state="pending", now=clock.now):
        if (sites is not None and r.site not in sites) or not rules.clock_is_running(
            r.submitted_at
        ):
            continue
        items.append(
            WorkItem(
                what=f"{r.label}: {r.term}",
                href=f"/adverse-events/{r.ae_id}",
                subject=r.subject,
                site=r.site,
                at=clock.local(r.due_at, r.site),
                days_late=1 if r.state == "overdue" else 0,
                note="overdue" if r.state == "overdue" else "clock running",
            )
        )
    return Section(
        "sae-clocks",
        "Serious adverse event reports due",
        tuple(items),
        "No report clock is running.",
    )


def awaiting_enrolment(session: Session, actor: Actor, sites: set[str]) -> list[Section]:
    consent, screen, randomise = [], [], []
    waiting = [
        *subject_list(session, actor, status="prescreening"),
        *subject_list(session, actor, status="screening"),
    ]
    for s in waiting:
        if s.site not in sites:
            continue
        home = f"/clinical/subjects/{s.subject_code}"
        if rules.awaits_consent(s.status):
            note = f"on the screening log since {s.prescreened_on or '—'}"
            consent.append(
                WorkItem(
                    "Record informed consent", f"{home}#consent", s.subject_code, s.site, note=note
                )
            )
        elif rules.awaits_randomisation(s.status, s.eligible, s.consented):
            randomise.append(
                WorkItem(
                    "Randomise",
                    f"{home}/randomise",
                    s.subject_code,
                    s.site,
                    note="eligible and consented",
                )
            )
        elif rules.awaits_screening(s.status, s.eligible, s.consented):
            screen.append(
                WorkItem(
                    "Screen",
                    f"{home}/screen",
                    s.subject_code,
                    s.site,
                    note="consented, not yet screened",
                )
            )
    return [
        Section(
            "consent", "Awaiting consent", tuple(consent), "No patient is waiting for consent."
        ),
        Section(
            "screening",
            "Awaiting screening",
            tuple(screen),
            "No consented patient waits to be screened.",
        ),
        Section(
            "randomisation",
            "Awaiting randomisation",
            tuple(randomise),
            "No eligible patient waits to be randomised.",
        ),
    ]
