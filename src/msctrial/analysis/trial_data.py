"""The trial's data as the analysis reads them: subjects, form values and adverse events.

Each is read in a few set-based queries (not one per subject), so the whole report of a
10,000-subject trial loads in seconds (bench/analysis.py), and each respects the reader: the
actor's sites only (``visible_sites``, as the casebook's listings), and an arm only through
``randomised_subjects``, the one function of the package that reads an allocation, and only
when the randomisation's own rule (``arm_visible``: the DSMB, the pharmacist, an open-label
trial) lets the reader see it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from msctrial.clinical.randomisation.allocation import arm_visible
from msctrial.clinical.randomisation.tables import Allocation
from msctrial.clinical.safety.tables import AdverseEvent
from msctrial.clinical.subjects.access import list_subjects, protocol_for, visible_sites
from msctrial.clinical.subjects.exit import exit_dates
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core.actors import Actor
from msctrial.core.tables import Site

VALUE_COLUMNS = ["subject", "visit", "visit_date", "form", "item", "value", "text"]
SUBJECT_COLUMNS = [
    "subject", "site", "severity", "year_of_birth", "sex", "weight_kg", "day0", "exit_kind",
    "exit_day",
]  # fmt: skip


def _arms(session: Session, actor: Actor, subjects: list[Subject]) -> dict[int, str]:
    """Subject id → arm, for the subjects of trials whose arms the actor may see; else none."""
    trials: dict[int, Subject] = {}
    for subject in subjects:
        trials.setdefault(subject.trial_id, subject)
    open_to = {
        t for t, s in trials.items() if arm_visible(actor, protocol_for(session, s).protocol)
    }
    ids = [s.id for s in subjects if s.trial_id in open_to]
    if not ids:
        return {}
    stmt = select(Allocation.subject_id, Allocation.arm).where(Allocation.subject_id.in_(ids))
    return {subject_id: arm for subject_id, arm in session.execute(stmt)}


def randomised_subjects(session: Session, actor: Actor, site_code: str | None) -> pd.DataFrame:
    """Randomised subjects (those with a day 0) as the actor may see them; ``arm`` only for a
    reader allowed to see arms."""
    subjects = [s for s in list_subjects(session, actor, site_code=site_code) if s.day0_date]
    sites = dict(session.execute(select(Site.id, Site.code)).tuples().all())
    exits = exit_dates(session, [s.id for s in subjects])
    arms = _arms(session, actor, subjects)
    records = []
    for s in subjects:
        exit_, day0 = exits.get(s.id), s.day0_date
        assert day0 is not None  # only subjects with a day 0 were kept
        record: dict[str, Any] = {
            "subject": s.subject_code, "site": sites[s.site_id], "severity": s.severity,
            "year_of_birth": s.year_of_birth, "sex": s.sex, "weight_kg": s.weight_kg,
            "day0": day0, "exit_kind": exit_.kind if exit_ else None,
            "exit_day": (exit_.exit_date - day0).days if exit_ else float("nan"),
        }  # fmt: skip
        if s.id in arms:
            record["arm"] = arms[s.id]
        records.append(record)
    columns = [*SUBJECT_COLUMNS, "arm"] if arms else SUBJECT_COLUMNS
    return pd.DataFrame.from_records(records, columns=columns)


def _rows(session: Session, stmt: Select) -> list[tuple[Any, ...]]:
    """A select's rows through the driver's own cursor: millions of form values load in a few
    seconds, where SQLAlchemy's per-row result processing takes several times as long. Only
    for columns the driver already returns as wanted (numbers and text)."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.params
    if compiled.positiontup is not None:
        params = [compiled.params[name] for name in compiled.positiontup]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def form_values(session: Session, actor: Actor, site_code: str | None) -> pd.DataFrame:
    """Every live form value the actor may see, the rows of the casebook's values listing
    (``live_values``: live entries of the actor's sites, non-empty values, no arm), read table
    by table and joined here on their ids, ordered by subject, visit date, form and item."""
    scope = visible_sites(actor)
    entries = select(FormEntry.id, FormEntry.visit_id, FormEntry.subject_id, FormEntry.form).where(
        FormEntry.voided_at.is_(None)
    )
    if scope is not None:
        entries = entries.where(FormEntry.site_id.in_(scope))
    if site_code:
        entries = entries.join(Site, Site.id == FormEntry.site_id).where(
            Site.code == site_code.strip().upper()
        )
    entry = pd.DataFrame(session.execute(entries).all(), columns=["entry_id", "visit_id",
                                                                  "subject_id", "form"])  # fmt: skip
    visits = select(VisitRecord.id, VisitRecord.visit_name, VisitRecord.visit_date)
    visit = pd.DataFrame(session.execute(visits).all(), columns=["visit_id", "visit", "visit_date"])
    codes = select(Subject.id, Subject.subject_code)
    subject = pd.DataFrame(session.execute(codes).all(), columns=["subject_id", "subject"])
    values = select(FormValue.entry_id, FormValue.item, FormValue.number, FormValue.text).where(
        FormValue.number.is_not(None) | FormValue.text.is_not(None)
    )
    value = pd.DataFrame(_rows(session, values), columns=["entry_id", "item", "value", "text"])
    frame = (
        value.merge(entry, on="entry_id")
        .merge(visit, on="visit_id")
        .merge(subject, on="subject_id")
    )
    frame["value"] = frame["value"].astype(float)
    frame = frame.sort_values(["subject", "visit_date", "form", "item"], ignore_index=True)
    return frame[VALUE_COLUMNS]


def adverse_events(session: Session, actor: Actor) -> pd.DataFrame:
    """The live adverse events the actor may see (subject, term, grade, serious; no arm), in one
    query with the filters of the safety listing (``list_aes``: live, the actor's sites)."""
    stmt = (
        select(Subject.subject_code, AdverseEvent.term, AdverseEvent.grade, AdverseEvent.serious)
        .join(Subject, Subject.id == AdverseEvent.subject_id)
        .where(AdverseEvent.voided_at.is_(None))
        .order_by(AdverseEvent.onset_date.desc(), AdverseEvent.id.desc())
    )
    scope = visible_sites(actor)
    if scope is not None:
        stmt = stmt.where(AdverseEvent.site_id.in_(scope))
    return pd.DataFrame(
        session.execute(stmt).all(), columns=["subject", "term", "grade", "serious"]
    )
