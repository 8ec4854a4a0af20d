"""The home worklist: each role's waiting work, read through the services that guard it.

The ward's sections (site staff) are in ``worklist_ward``; here are the pharmacy's, QC's, the
monitor's and the sponsor's enrolment, and ``worklist`` putting a user's sections together.
Every list comes from a service that applies site isolation and blinding; nothing names an arm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.casebook import worklist as rules
from msctrial.clinical.casebook import worklist_ward as ward
from msctrial.clinical.casebook.service import missing_and_overdue
from msctrial.clinical.casebook.worklist import Section, WorkItem
from msctrial.clinical.casebook.worklist_ward import SiteClock
from msctrial.clinical.data_queries.service import list_queries
from msctrial.clinical.dosing.views import pharmacy_worklist
from msctrial.clinical.randomisation.tables import Allocation
from msctrial.clinical.randomisation.views import unblinding_list
from msctrial.clinical.subjects.access import visible_sites
from msctrial.clinical.subjects.tables import Subject
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
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


def _doses_to_prepare(session: Session, actor: Actor, clock: SiteClock) -> Section:
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


def _lots(session: Session, actor: Actor, clock: SiteClock, *, qc: bool) -> Section:
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


def _monitor(session: Session, actor: Actor, clock: SiteClock) -> tuple[list[Section], list]:
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
    clock = SiteClock(session, utcnow())
    codes = {site.id: code for code, site in clock.sites.items()}
    scope = visible_sites(actor)
    # the allocation's time and site only: its arm is never selected
    stmt = select(Allocation.site_id, Allocation.allocated_at).join(
        Subject, Subject.id == Allocation.subject_id
    )
    stmt = stmt.where(Subject.voided_at.is_(None))
    if scope is not None:
        stmt = stmt.where(Allocation.site_id.in_(scope))
    for site_id, at in session.execute(stmt):
        site = codes[site_id]
        dates.setdefault(site, []).append(clock.local(at, site).date())
    return Enrolment(
        target=target,
        overall=rules.cumulative_enrolment(d for days in dates.values() for d in days),
        per_site={site: rules.cumulative_enrolment(days) for site, days in sorted(dates.items())},
    )


def worklist(
    session: Session, actor: Actor, *, target: int | None = None, now: dt.datetime | None = None
) -> Worklist:
    """The sections of the home page for the actor's roles, in the order of a working day."""
    clock = SiteClock(session, now or utcnow())
    sections: list[Section] = []
    sites = ward.staff_sites(actor, clock)
    if sites:
        sections += [
            ward.visits_due(session, actor, clock, sites),
            ward.infusions_due(session, actor, clock, sites),
            ward.queries_to_answer(session, actor, clock, sites),
            ward.sae_clocks(session, actor, clock, sites),
            *ward.awaiting_enrolment(session, actor, sites),
        ]
    if actor.has_role("safety"):
        sections.append(ward.sae_clocks(session, actor, clock, None))
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
