"""The home worklist: each role's waiting work, read through the services that guard it.

Every list comes from a service that already applies site isolation and blinding (subjects,
queries, SAE reports, the pharmacy list, lots); the site staff's sections are narrowed further
to the sites where the user is site staff, so a user who is also a trial-wide monitor does not
get other sites' patients as tasks. Nothing here names an arm. Times are the site's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.casebook import worklist as rules
from msctrial.clinical.casebook.record import subject_list
from msctrial.clinical.casebook.service import missing_and_overdue, visits_to_do
from msctrial.clinical.casebook.worklist import Section, WorkItem
from msctrial.clinical.data_queries.service import list_queries
from msctrial.clinical.dosing.bedside import BEDSIDE
from msctrial.clinical.dosing.schedule import administration_schedule
from msctrial.clinical.dosing.views import pharmacy_worklist
from msctrial.clinical.randomisation.views import unblinding_list
from msctrial.clinical.safety.views import list_sae_reports
from msctrial.clinical.subjects.access import SITE_STAFF
from msctrial.clinical.visits.forms import get_form
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput
from msctrial.core.localtime import site_local_date, zone
from msctrial.core.tables import Site
from msctrial.product.service import list_lots

ENROLMENT_READERS = ("admin", "statistician", "dsmb", "monitor", "safety")


@dataclass(frozen=True)
class Enrolment:
    """Randomised subjects over time, overall and per site, against the protocol's target."""

    target: int | None
    overall: list[tuple[dt.date, int]]
    per_site: dict[str, list[tuple[dt.date, int]]]


@dataclass(frozen=True)
class Worklist:
    sections: list[Section] = field(default_factory=list)
    query_ages: list[tuple[str, int]] | None = None
    enrolment: Enrolment | None = None


class _Clock:
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


def _staff_sites(actor: Actor, clock: _Clock) -> set[str]:
    return {c for c, s in clock.sites.items() if actor.has_role(*SITE_STAFF, site_id=s.id)}


def _visits(session: Session, actor: Actor, clock: _Clock, sites: set[str]) -> Section:
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


def _administrations(session: Session, actor: Actor, clock: _Clock, sites: set[str]) -> Section:
    items = []
    for s in subject_list(session, actor, status="randomised"):
        if s.site not in sites:
            continue
        today = clock.today(s.site)
        for a in administration_schedule(session, actor, s.subject_code):
            if not rules.administration_is_due(a.state, a.earliest, a.latest, today):
                continue
            ready = a.state == "dispensed"
            bedside = actor.has_role(*BEDSIDE, site_id=clock.sites[s.site].id)
            href = (
                f"/clinical/subjects/{s.subject_code}/administrations/{a.number}/infusion"
                if ready and bedside
                else f"/clinical/subjects/{s.subject_code}#administrations"
            )
            items.append(
                WorkItem(
                    what=rules.administration_label(a.study_day),
                    href=href,
                    subject=s.subject_code,
                    site=s.site,
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


def _queries_to_answer(session: Session, actor: Actor, clock: _Clock, sites: set[str]) -> Section:
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


def _sae_clocks(session: Session, actor: Actor, clock: _Clock, sites: set[str] | None) -> Section:
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


def _awaiting(session: Session, actor: Actor, sites: set[str]) -> list[Section]:
    consent, screen, randomise = [], [], []
    for s in subject_list(session, actor):
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


def _doses_to_prepare(session: Session, actor: Actor, clock: _Clock) -> Section:
    items = []
    for t in pharmacy_worklist(session, actor):
        today = clock.today(t.site)
        # prepared the day before at the latest: a thawed dose has hours, not days, of hold
        if t.earliest is None or t.earliest > today + dt.timedelta(days=1):
            continue
        items.append(
            WorkItem(
                what=f"Dose {t.administration_no} to prepare",
                href=f"/clinical/subjects/{t.subject_code}/administrations/{t.administration_no}/dispense",
                subject=t.subject_code,
                site=t.site,
                due=t.latest,
                days_late=rules.days_late(t.latest, today),
                note=f"window {t.earliest} – {t.latest}",
            )
        )
    return Section(
        "doses", "Doses to prepare", rules.by_lateness(items), "No dose is due to be prepared."
    )


def _lots(session: Session, actor: Actor, clock: _Clock, *, qc: bool) -> Section:
    today = clock.now.astimezone(dt.UTC).date()  # a lot expires on its UTC date (inventory)
    items = []
    for lot in list_lots(session, actor, now=clock.now):
        if qc and rules.lot_awaits_qc(lot.status):
            note = "in quarantine: results or the release decision are due"
        elif not qc and rules.lot_is_expiring(lot.status, lot.expires_on, today):
            note = f"{lot.available_units} units in stock"
        else:
            continue
        items.append(
            WorkItem(
                what=f"Lot {lot.code} ({lot.product_name})",
                href=f"/product/lots/{lot.code}",
                due=lot.expires_on,
                note=f"{note}; expires {lot.expires_on}",
            )
        )
    if qc:
        return Section("lots-qc", "Lots awaiting results or release", tuple(items), "No lot waits.")
    return Section("lots-expiring", "Lots expiring soon", tuple(items), "No lot expires soon.")


def _monitor(session: Session, actor: Actor, clock: _Clock) -> tuple[list[Section], list]:
    open_queries = [q for q in list_queries(session, actor) if q.status in ("open", "answered")]
    ages = [rules.query_age_days(q.raised_at, clock.now) for q in open_queries]
    oldest = sorted(zip(ages, open_queries, strict=True), key=lambda p: -p[0])
    queries = tuple(
        WorkItem(
            what=f"Query: {q.text}",
            href=f"/queries/{q.id}",
            subject=q.subject,
            site=q.site,
            at=clock.local(q.raised_at, q.site),
            note=f"{q.status}, raised {rules.days_ago(age)} ({rules.query_age_band(age)})",
        )
        for age, q in oldest
    )
    overdue = tuple(
        WorkItem(
            what=f"{v.visit} visit",
            href=f"/clinical/subjects/{v.subject}#visits",
            subject=v.subject,
            site=v.site,
            due=v.latest,
            days_late=v.days_overdue,
            note=v.state,
        )
        for v in missing_and_overdue(session, actor, now=clock.now)
    )
    unblindings = tuple(
        WorkItem(
            what="Emergency unblinding",
            href="/clinical/unblindings",
            subject=u.subject_code,
            site=u.site_code,
            at=clock.local(u.unblinded_at, u.site_code),
            note=u.reason,
        )
        for u in unblinding_list(session, actor)
    )
    sections = [
        Section("monitor-queries", "Open queries, oldest first", queries, "No query is open."),
        Section("overdue", "Overdue visits", overdue, "No visit is overdue."),
        Section("unblindings", "Emergency unblindings", unblindings, "The blind is intact."),
    ]
    return sections, rules.queries_by_age(ages)


def enrolment(session: Session, actor: Actor, target: int | None) -> Enrolment:
    """Randomised subjects over time; counts and dates only, the same whatever the arms."""
    dates: dict[str, list[dt.date]] = {}
    clock = _Clock(session, utcnow())
    for s in subject_list(session, actor):
        if s.randomised_at is not None:
            dates.setdefault(s.site, []).append(clock.local(s.randomised_at, s.site).date())
    return Enrolment(
        target=target,
        overall=rules.cumulative_enrolment(d for days in dates.values() for d in days),
        per_site={site: rules.cumulative_enrolment(days) for site, days in sorted(dates.items())},
    )


def worklist(
    session: Session, actor: Actor, *, target: int | None = None, now: dt.datetime | None = None
) -> Worklist:
    """The sections of the home page for the actor's roles, in the order of a working day."""
    clock = _Clock(session, now or utcnow())
    sections: list[Section] = []
    sites = _staff_sites(actor, clock)
    if sites:
        sections += [
            _visits(session, actor, clock, sites),
            _administrations(session, actor, clock, sites),
            _queries_to_answer(session, actor, clock, sites),
            _sae_clocks(session, actor, clock, sites),
            *_awaiting(session, actor, sites),
        ]
    if actor.has_role("safety"):
        sections.append(_sae_clocks(session, actor, clock, None))
    if actor.has_role("pharmacist"):
        sections += [
            _doses_to_prepare(session, actor, clock),
            _lots(session, actor, clock, qc=False),
        ]
    if actor.has_role("qc"):
        sections.append(_lots(session, actor, clock, qc=True))
    ages = None
    if actor.has_role("monitor"):
        monitor_sections, ages = _monitor(session, actor, clock)
        sections += monitor_sections
    chart = enrolment(session, actor, target) if actor.has_role(*ENROLMENT_READERS) else None
    return Worklist(sections=sections, query_ages=ages, enrolment=chart)
