"""CSV listings: the subjects and every form value, as the actor may see them.

Site-isolated; the subject list has an arm column only for an unblinded reader, and the form
values have none (visit data are the same in every arm).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from msctrial.clinical.casebook.record import subject_list
from msctrial.clinical.dosing.tables import Infusion
from msctrial.clinical.subjects.access import list_subjects, visible_sites
from msctrial.clinical.subjects.schemas import SubjectUnblinded
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core.actors import Actor

SUBJECT_COLUMNS = [
    "subject_code",
    "site",
    "year_of_birth",
    "sex",
    "weight_kg",
    "status",
    "severity",
    "eligible",
    "consented",
    "randomisation_no",
    "randomised_at",
    "day0_date",
    "emergency_unblinded",
    "infusions",
]


def export_subjects_csv(session: Session, actor: Actor, site_code: str | None = None) -> str:
    """The subject list as CSV: the actor's sites only, an arm column only when unblinded."""
    rows = subject_list(session, actor, site_code=site_code)
    columns = list(SUBJECT_COLUMNS)
    if any(isinstance(r, SubjectUnblinded) for r in rows) or (not rows and not actor.is_blinded):
        columns.append("arm")
    visible = {
        subj.subject_code: subj.id for subj in list_subjects(session, actor, site_code=site_code)
    }
    counts = {
        subject_id: n
        for subject_id, n in session.execute(
            select(Infusion.subject_id, func.count(Infusion.id))
            .where(Infusion.voided_at.is_(None), Infusion.subject_id.in_(visible.values()))
            .group_by(Infusion.subject_id)
        )
    }
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        n = counts.get(visible[r.subject_code], 0)
        writer.writerow({**r.model_dump(mode="json"), "infusions": n})
    return buffer.getvalue()


VALUE_COLUMNS = (
    "subject",
    "site",
    "visit",
    "visit_date",
    "form",
    "item",
    "value",
    "unit",
    "text",
    "entered",
    "entered_unit",
    "flag",
    "derived",
    "entry_id",
    "entry_version",
)
# The columns of ``live_values``: the listing's, and the planned study day of the visit.
LIVE_VALUE_COLUMNS = (*VALUE_COLUMNS[:3], "study_day", *VALUE_COLUMNS[3:])


def live_values(scope: Iterable[int] | None) -> Select:
    """The query of every live, non-empty form value of the sites in ``scope`` (None: all),
    one row of ``LIVE_VALUE_COLUMNS`` each; callers add their order and filters. The casebook
    listing and the streamed exports (``exchange.values``) read the same rows through it."""
    from msctrial.core.tables import Site

    stmt = (
        select(
            Subject.subject_code,
            Site.code,
            VisitRecord.visit_name,
            VisitRecord.study_day,
            VisitRecord.visit_date,
            FormEntry.form,
            FormValue.item,
            FormValue.number,
            FormValue.unit,
            FormValue.text,
            FormValue.entered,
            FormValue.entered_unit,
            FormValue.flag,
            FormValue.derived,
            FormEntry.id,
            FormEntry.version,
        )
        .join(FormEntry, FormEntry.id == FormValue.entry_id)
        .join(VisitRecord, VisitRecord.id == FormEntry.visit_id)
        .join(Subject, Subject.id == FormEntry.subject_id)
        .join(Site, Site.id == FormEntry.site_id)
        .where(FormEntry.voided_at.is_(None))
        .where(FormValue.number.is_not(None) | FormValue.text.is_not(None))
    )
    return stmt if scope is None else stmt.where(FormEntry.site_id.in_(scope))


def export_values_csv(session: Session, actor: Actor, *, site_code: str | None = None) -> str:
    """Every live form value the actor may see, one row each (no arm: visit data only)."""
    from msctrial.core.tables import Site

    stmt = live_values(visible_sites(actor)).order_by(
        Site.code, Subject.subject_code, VisitRecord.visit_date, FormEntry.form, FormValue.item
    )
    if site_code:
        stmt = stmt.where(Site.code == site_code.strip().upper())
    study_day = LIVE_VALUE_COLUMNS.index("study_day")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(VALUE_COLUMNS)
    for row in session.execute(stmt):
        writer.writerow(row[:study_day] + row[study_day + 1 :])
    return out.getvalue()
