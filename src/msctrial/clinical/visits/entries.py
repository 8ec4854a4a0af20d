"""Form entries as stored rows and as their public shape; the lookups the visit services share.

A stored entry is a ``FormEntry`` with one ``FormValue`` row per item (canonical value and unit,
and what was typed). ``load_entry`` applies site isolation: an entry of a site the actor cannot
see is NotFound, like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import visible_sites
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.edit_checks import Value
from msctrial.clinical.visits.forms import get_form
from msctrial.clinical.visits.schemas import EntryPublic, FormPublic, ItemPublic, ValuePublic
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.clinical.visits.windows import visit_key
from msctrial.core.actors import Actor
from msctrial.core.errors import NotFound


def get_entry(session: Session, actor: Actor, entry_id: int) -> EntryPublic:
    entry, subject, record = load_entry(session, actor, entry_id)
    return entry_public(session, entry, subject, record)


def entry_public(
    session: Session,
    entry: FormEntry,
    subject: Subject,
    record: VisitRecord,
    raised: list[int] | None = None,
) -> EntryPublic:
    form = get_form(entry.form)
    rows = {r.item: r for r in entry.rows}
    values = []
    for item in form.items:
        row = rows.get(item.name)
        if row is None or (row.number is None and row.text is None):
            continue
        values.append(
            ValuePublic(
                item=item.name,
                label=item.label,
                value=row.number,
                unit=row.unit,
                text=row.text,
                entered=row.entered,
                entered_unit=row.entered_unit,
                flag=row.flag,
                derived=row.derived,
                note=row.note,
            )
        )
    return EntryPublic(
        id=entry.id,
        subject=subject.subject_code,
        visit=record.visit_name,
        visit_key=visit_key(record.visit_name),
        form=entry.form,
        form_label=form.label,
        visit_date=record.visit_date,
        collected_at=entry.collected_at,
        version=entry.version,
        entered_by=entry.entered_by,
        entered_at=entry.entered_at,
        voided=entry.voided_at is not None,
        void_reason=entry.void_reason,
        values=values,
        queries_raised=raised or [],
    )


def live_entry(session: Session, visit_id: int, form: str) -> FormEntry | None:
    return session.scalar(
        select(FormEntry).where(
            FormEntry.visit_id == visit_id, FormEntry.form == form, FormEntry.voided_at.is_(None)
        )
    )


def has_live_entries(session: Session, visit_id: int) -> bool:
    return (
        session.scalar(
            select(FormEntry.id)
            .where(FormEntry.visit_id == visit_id, FormEntry.voided_at.is_(None))
            .limit(1)
        )
        is not None
    )


def visit_pf(session: Session, record: VisitRecord) -> float | None:
    """The P/F of the visit's blood gas, which the WHO scale needs on a ventilator."""
    return session.scalar(
        select(FormValue.number)
        .join(FormEntry, FormEntry.id == FormValue.entry_id)
        .where(
            FormEntry.visit_id == record.id,
            FormEntry.form == "blood_gas",
            FormEntry.voided_at.is_(None),
            FormValue.item == "pf_ratio",
        )
    )


def value_rows(site_id: int, values: Any) -> list[FormValue]:
    """Stored rows for checked values; attach them to an entry (``FormEntry.rows``)."""
    return [
        FormValue(
            site_id=site_id,
            item=v.item,
            number=v.number,
            unit=v.unit,
            text=v.text,
            entered=v.entered,
            entered_unit=v.entered_unit,
            flag=v.flag,
            derived=v.derived,
            note=v.note,
        )
        for v in values
    ]


def apply_value(row: FormValue, new: Value | None) -> bool:
    """Copy a checked value onto a stored row; True when anything changed."""
    fields = {
        "number": new.number if new else None,
        "unit": new.unit if new else row.unit,
        "text": new.text if new else None,
        "entered": new.entered if new else None,
        "entered_unit": new.entered_unit if new else None,
        "flag": new.flag if new else None,
        "note": new.note if new else None,
    }
    changed = False
    for key, value in fields.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def as_input(row: FormValue) -> Any:
    """A stored value as it would be entered again (the original number and unit)."""
    if row.entered is not None:
        return {"value": row.entered, "unit": row.entered_unit}
    if row.number is not None:
        return {"value": row.number, "unit": row.unit}
    return row.text


def stored_rows(session: Session, entry_id: int) -> dict[str, FormValue]:
    return {
        r.item: r for r in session.scalars(select(FormValue).where(FormValue.entry_id == entry_id))
    }


def load_entry(
    session: Session, actor: Actor, entry_id: int
) -> tuple[FormEntry, Subject, VisitRecord]:
    scope = visible_sites(actor)
    entry = session.get(FormEntry, entry_id)
    if entry is None or (scope is not None and entry.site_id not in scope):
        raise NotFound(f"entry: no form entry {entry_id}", field="entry")
    subject = session.get(Subject, entry.subject_id)
    record = session.get(VisitRecord, entry.visit_id)
    assert subject is not None and record is not None
    return entry, subject, record


def form_public(name: str) -> FormPublic:
    """A form's definition: items, units, limits and their sources (for clients and pages)."""
    form = get_form(name)

    def limits(lim: Any) -> list[float | None] | None:
        return None if lim is None else [lim.low, lim.high]

    return FormPublic(
        name=form.name,
        label=form.label,
        items=[
            ItemPublic(
                name=i.name,
                label=i.label,
                kind=i.kind.value,
                unit=i.unit,
                units=list(i.accepted_units),
                hard=limits(i.hard),
                soft=limits(i.soft),
                reference=i.reference,
                choices=list(i.choices),
                required=i.required,
                derived=i.derived,
                scale=i.scale,
                source=i.source,
                help=i.help,
            )
            for i in form.items
        ],
    )
