"""The casebook: a subject's visits × forms, adverse events, queries and post-infusion checks;
the trial's subjects × visits matrix; the list of missing and overdue visits.

Read-only, with site isolation (``subjects.access.visible_sites``). No arm anywhere: the casebook is
the same for every arm, so it is the same for blinded and unblinded readers. "Today" is the
site's calendar day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from msctrial.clinical.casebook.schemas import CasebookPublic, MatrixRow, SubjectHeader, TrialMatrix
from msctrial.clinical.casebook.worklist import administration_label, visit_is_to_do
from msctrial.clinical.data_queries.service import list_queries, open_counts
from msctrial.clinical.data_queries.tables import DataQuery
from msctrial.clinical.dosing.tables import Infusion
from msctrial.clinical.randomisation.tables import PlannedAdministration
from msctrial.clinical.safety.schemas import InfusionCheckPublic
from msctrial.clinical.safety.tables import AdverseEvent, InfusionReactionCheck
from msctrial.clinical.safety.views import list_aes
from msctrial.clinical.subjects.access import (
    get_subject,
    list_subjects,
    local_today,
    protocol_of,
    site_code_of,
)
from msctrial.clinical.subjects.exit import exit_dates
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.forms import get_form
from msctrial.clinical.visits.schemas import FormCell, OverdueVisit, VisitStatusPublic
from msctrial.clinical.visits.tables import FormEntry, VisitRecord
from msctrial.clinical.visits.windows import Recorded, VisitStatus, schedule_status, visit_key
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow

# The expected reactions are asked about within 24 h of an infusion (the reference protocol's
# safety endpoints: "fever within 24 h of infusion"); a check not done by then is overdue.
REACTION_CHECK_DUE = dt.timedelta(hours=24)


@dataclass
class _Entered:
    record: VisitRecord
    entries: dict[str, int] = field(default_factory=dict)  # form → entry id

    def recorded(self) -> Recorded:
        return Recorded(
            self.record.visit_date, frozenset(self.entries), self.record.not_done_reason
        )


def _entered(session: Session, subject_ids: list[int]) -> dict[int, dict[str, _Entered]]:
    out: dict[int, dict[str, _Entered]] = defaultdict(dict)
    if not subject_ids:
        return out
    by_id: dict[int, _Entered] = {}
    for record in session.scalars(
        select(VisitRecord).where(VisitRecord.subject_id.in_(subject_ids))
    ):
        by_id[record.id] = out[record.subject_id][record.visit_name] = _Entered(record)
    rows = session.execute(
        select(FormEntry.id, FormEntry.visit_id, FormEntry.form).where(
            FormEntry.subject_id.in_(subject_ids), FormEntry.voided_at.is_(None)
        )
    )
    for entry_id, visit_id, form in rows:
        by_id[visit_id].entries[form] = entry_id
    return out


def _statuses(
    session: Session,
    subject: Subject,
    entered: dict[str, _Entered],
    left_on: dt.date | None,
    now: dt.datetime,
) -> list[VisitStatus]:
    protocol = protocol_of(session, subject)
    recorded = {name: e.recorded() for name, e in entered.items()}
    return schedule_status(
        protocol.visits,
        subject.day0_date,
        recorded,
        local_today(session, subject, now),
        left_trial_on=left_on,
    )


def _public(
    s: VisitStatus, entered: _Entered | None, queries: dict[int | None, int]
) -> VisitStatusPublic:
    v = s.window.visit
    cells = []
    for form in v.forms:
        entry_id = entered.entries.get(form) if entered else None
        cells.append(
            FormCell(
                form=form,
                label=get_form(form).label,
                entry_id=entry_id,
                open_queries=queries.get(entry_id, 0) if entry_id else 0,
            )
        )
    return VisitStatusPublic(
        visit=v.name,
        key=visit_key(v.name),
        day=v.day,
        window_days=v.window_days,
        target=s.window.target,
        earliest=s.window.earliest,
        latest=s.window.latest,
        state=s.state.value,
        visit_date=s.visit_date,
        out_of_window=s.out_of_window,
        days_overdue=s.days_overdue,
        not_done_reason=entered.record.not_done_reason if entered else None,
        forms=cells,
        forms_missing=list(s.forms_missing),
    )


def subject_schedule(
    session: Session, actor: Actor, subject_code: str, *, now: dt.datetime | None = None
) -> list[VisitStatusPublic]:
    now = now or utcnow()
    subject = get_subject(session, actor, subject_code)
    entered = _entered(session, [subject.id]).get(subject.id, {})
    exit_ = exit_dates(session, [subject.id]).get(subject.id)
    queries = open_counts(session, subject.id)
    statuses = _statuses(session, subject, entered, exit_.exit_date if exit_ else None, now)
    return [_public(s, entered.get(s.name), queries) for s in statuses]


def _infusion_checks(
    session: Session, subject: Subject, now: dt.datetime
) -> list[InfusionCheckPublic]:
    checks = {
        c.infusion_id: c
        for c in session.scalars(
            select(InfusionReactionCheck).where(InfusionReactionCheck.subject_id == subject.id)
        )
    }
    out = []
    for inf, study_day in session.execute(
        select(Infusion, PlannedAdministration.study_day)
        .join(PlannedAdministration, PlannedAdministration.id == Infusion.administration_id)
        .where(Infusion.subject_id == subject.id, Infusion.voided_at.is_(None))
        .order_by(Infusion.started_at)
    ):
        check = checks.get(inf.id)
        reactions = (
            [
                k
                for k in ("fever", "chills", "allergic_reaction", "local_inflammation")
                if getattr(check, k)
            ]
            if check
            else []
        )
        out.append(
            InfusionCheckPublic(
                infusion_id=inf.id,
                label=administration_label(study_day),
                started_at=inf.started_at,
                checked=check is not None,
                checked_at=check.checked_at if check else None,
                reactions=reactions,
                overdue=check is None and now > inf.stopped_at + REACTION_CHECK_DUE,
            )
        )
    return out


def infusion_label(session: Session, infusion_id: int) -> str:
    """The ward's name of an infusion the caller may see ("Day 3 infusion"), never its id."""
    day = session.scalar(
        select(PlannedAdministration.study_day)
        .join(Infusion, Infusion.administration_id == PlannedAdministration.id)
        .where(Infusion.id == infusion_id)
    )
    return administration_label(day) if day is not None else "infusion"


def casebook(
    session: Session, actor: Actor, subject_code: str, *, now: dt.datetime | None = None
) -> CasebookPublic:
    """One subject's whole record: schedule × forms, adverse events, queries, infusion checks."""
    now = now or utcnow()
    subject = get_subject(session, actor, subject_code)
    visits = subject_schedule(session, actor, subject.subject_code, now=now)
    forms = list(dict.fromkeys(f for v in protocol_of(session, subject).visits for f in v.forms))
    return CasebookPublic(
        subject=SubjectHeader(
            code=subject.subject_code,
            site=site_code_of(session, subject.site_id),
            status=subject.status,
            severity=subject.severity,
            day0_date=subject.day0_date,
            sex=subject.sex,
            year_of_birth=subject.year_of_birth,
        ),
        forms=forms,
        visits=visits,
        adverse_events=list_aes(session, actor, subject_code=subject.subject_code),
        queries=list_queries(session, actor, subject_code=subject.subject_code),
        infusions=_infusion_checks(session, subject, now),
    )


def _subjects(session: Session, actor: Actor, site_code: str | None) -> list[Subject]:
    return [
        s
        for s in list_subjects(session, actor, site_code=site_code)
        if s.status != "screen_failure"
    ]


def matrix_size(session: Session, actor: Actor, *, site_code: str | None = None) -> int:
    """How many subjects (rows) the whole matrix has."""
    return len(_subjects(session, actor, site_code))


def trial_matrix(
    session: Session,
    actor: Actor,
    *,
    site_code: str | None = None,
    now: dt.datetime | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> TrialMatrix:
    """Subjects × visits with each visit's state, open queries and adverse events; ``limit``
    subjects from ``offset`` for one page (each row's states cost a walk of its schedule)."""
    now = now or utcnow()
    subjects = _subjects(session, actor, site_code)[
        offset : None if limit is None else offset + limit
    ]
    ids = [s.id for s in subjects]
    entered = _entered(session, ids)
    exits = exit_dates(session, ids)
    queries = _per_subject(
        session, select(DataQuery.subject_id, func.count()).where(DataQuery.status != "closed"), ids
    )
    live_ae = AdverseEvent.voided_at.is_(None)
    aes = _per_subject(session, select(AdverseEvent.subject_id, func.count()).where(live_ae), ids)
    saes = _per_subject(
        session,
        select(AdverseEvent.subject_id, func.count()).where(
            live_ae, AdverseEvent.serious.is_(True)
        ),
        ids,
    )
    names: list[str] = []
    rows = []
    for s in subjects:
        exit_ = exits.get(s.id)
        statuses = _statuses(
            session, s, entered.get(s.id, {}), exit_.exit_date if exit_ else None, now
        )
        for st in statuses:
            if st.name not in names:
                names.append(st.name)
        rows.append(
            MatrixRow(
                subject=s.subject_code,
                site=site_code_of(session, s.site_id),
                status=s.status,
                states={st.name: st.state.value for st in statuses},
                open_queries=queries.get(s.id, 0),
                adverse_events=aes.get(s.id, 0),
                serious_adverse_events=saes.get(s.id, 0),
            )
        )
    return TrialMatrix(visits=names, rows=rows)


def _per_subject(session: Session, stmt: Select[int, int], ids: list[int]) -> dict[int, int]:
    """Counts per subject from ``select(X.subject_id, count()).where(...)``, for ``ids``."""
    if not ids:
        return {}
    subject_id = stmt.selected_columns[0]
    rows = session.execute(stmt.where(subject_id.in_(ids)).group_by(subject_id))
    return {sid: n for sid, n in rows}


def missing_and_overdue(
    session: Session, actor: Actor, *, site_code: str | None = None, now: dt.datetime | None = None
) -> list[OverdueVisit]:
    """Visits whose window has closed with nothing entered (overdue) or forms missing."""
    return _visits_where(session, actor, site_code, now, lambda st: st.state.needs_action)


def visits_to_do(
    session: Session, actor: Actor, *, now: dt.datetime | None = None
) -> list[OverdueVisit]:
    """Visits due today (window open, forms missing) as well as the missing and overdue."""
    return _visits_where(session, actor, None, now, lambda st: visit_is_to_do(st.state.value))


def _visits_where(
    session: Session,
    actor: Actor,
    site_code: str | None,
    now: dt.datetime | None,
    wanted: Callable[[VisitStatus], bool],
) -> list[OverdueVisit]:
    now = now or utcnow()
    subjects = _subjects(session, actor, site_code)
    ids = [s.id for s in subjects]
    entered = _entered(session, ids)
    exits = exit_dates(session, ids)
    out = []
    for s in subjects:
        exit_ = exits.get(s.id)
        for st in _statuses(
            session, s, entered.get(s.id, {}), exit_.exit_date if exit_ else None, now
        ):
            if wanted(st):
                out.append(
                    OverdueVisit(
                        subject=s.subject_code,
                        site=site_code_of(session, s.site_id),
                        visit=st.name,
                        key=visit_key(st.name),
                        state=st.state.value,
                        latest=st.window.latest,
                        days_overdue=st.days_overdue,
                        forms_missing=list(st.forms_missing),
                    )
                )
    return sorted(out, key=lambda o: (-o.days_overdue, o.subject, o.latest or dt.date.min))
