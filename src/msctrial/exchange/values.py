"""Every live form value the exporting user may see, streamed from the database in chunks.

The query is the casebook listing's (``casebook.listings.export_values_csv``: the actor's
sites only, and no arm, since visit data are the same in every arm), but read as plain rows
with ``yield_per``, a server-side cursor on PostgreSQL, so that 10,000 subjects never sit in
memory at once. Rows come in schedule order: site, subject, planned study day, form, item,
so the rows of one subject's visit are consecutive (the wide layout relies on it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import visible_sites
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, PermissionDenied
from msctrial.core.tables import Site

LONG_COLUMNS = (
    "subject",
    "site",
    "visit",
    "study_day",
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
# How many rows the database hands over at a time.
CHUNK = 5000


def site_scope(session: Session, actor: Actor, site_code: str | None) -> tuple[int, ...] | None:
    """The site ids an export covers: the actor's sites, narrowed to ``site_code`` if given.

    None means every site. Asking for a site the actor may not see is refused, not emptied.
    """
    scope = visible_sites(actor)
    if not site_code:
        return None if scope is None else tuple(sorted(scope))
    code = site_code.strip().upper()
    site_id = session.scalar(select(Site.id).where(Site.code == code))
    if site_id is None:
        known = ", ".join(session.scalars(select(Site.code).order_by(Site.code)))
        raise InvalidInput(f"site: there is no site {code}; sites: {known}", field="site")
    if scope is not None and site_id not in scope:
        raise PermissionDenied(f"you may not export the data of site {code}")
    return (site_id,)


def value_statement(scope: tuple[int, ...] | None) -> Select:
    """The query of the live values of the sites in ``scope`` (None: all), in schedule order."""
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
        .order_by(
            Site.code,
            Subject.subject_code,
            VisitRecord.study_day,
            VisitRecord.visit_name,
            FormEntry.form,
            FormValue.item,
        )
    )
    return stmt if scope is None else stmt.where(FormEntry.site_id.in_(scope))


def value_rows(
    session: Session, scope: tuple[int, ...] | None, *, chunk: int = CHUNK
) -> Iterator[tuple[Any, ...]]:
    """The live values of the sites in ``scope`` (None: all), one ``LONG_COLUMNS`` tuple each,
    fetched ``chunk`` rows at a time."""
    stmt = value_statement(scope).execution_options(yield_per=chunk)
    for row in session.execute(stmt):
        yield tuple(row)
