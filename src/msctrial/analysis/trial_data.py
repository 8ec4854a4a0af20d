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
from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.casebook.listings import live_values
from msctrial.clinical.randomisation.allocation import arm_visible
from msctrial.clinical.randomisation.tables import Allocation
from msctrial.clinical.safety.views import list_aes
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


def form_values(session: Session, actor: Actor, site_code: str | None) -> pd.DataFrame:
    """Every live form value the actor may see: the casebook listing's rows (``live_values``:
    no arm in them), read straight into a frame, ordered by subject, visit date, form and item
    (sorted here: pandas sorts millions of rows faster than the database's temporary B-tree)."""
    stmt = live_values(visible_sites(actor)).with_only_columns(
        Subject.subject_code, VisitRecord.visit_name, VisitRecord.visit_date, FormEntry.form,
        FormValue.item, FormValue.number, FormValue.text,
    )  # fmt: skip
    if site_code:
        stmt = stmt.where(Site.code == site_code.strip().upper())
    frame = pd.DataFrame.from_records(session.execute(stmt).all(), columns=VALUE_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    order = ["subject", "visit_date", "form", "item"]
    return frame.sort_values(order, kind="stable", ignore_index=True)


def adverse_events(session: Session, actor: Actor) -> pd.DataFrame:
    """The live adverse events the actor may see (subject, term, grade, serious; no arm)."""
    rows = [
        {"subject": ae.subject, "term": ae.term, "grade": ae.grade, "serious": ae.serious}
        for ae in list_aes(session, actor)
        if not ae.voided
    ]
    return pd.DataFrame.from_records(rows, columns=["subject", "term", "grade", "serious"])
