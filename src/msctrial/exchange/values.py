"""Every live form value the exporting user may see, streamed from the database in chunks.

The query is the casebook listing's (``casebook.listings.live_values``: the actor's
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

from msctrial.clinical.casebook.listings import LIVE_VALUE_COLUMNS, live_values
from msctrial.clinical.subjects.access import visible_sites
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, PermissionDenied
from msctrial.core.tables import Site
from msctrial.exchange.model import ValueRecord

# One row per value: the casebook listing's columns with the visit's planned study day.
LONG_COLUMNS = LIVE_VALUE_COLUMNS
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
    return live_values(scope).order_by(
        Site.code,
        Subject.subject_code,
        VisitRecord.study_day,
        VisitRecord.visit_name,
        FormEntry.form,
        FormValue.item,
    )


def value_rows(
    session: Session, scope: tuple[int, ...] | None, *, chunk: int = CHUNK
) -> Iterator[tuple[Any, ...]]:
    """The live values of the sites in ``scope`` (None: all), one ``LONG_COLUMNS`` tuple each,
    fetched ``chunk`` rows at a time."""
    stmt = value_statement(scope).execution_options(yield_per=chunk)
    for row in session.execute(stmt):
        yield tuple(row)


def value_record(row: tuple[Any, ...]) -> ValueRecord:
    """A ``LONG_COLUMNS`` row as the ``ValueRecord`` the SDTM findings map."""
    subject, _site, visit, _day, visit_date, form, item, number, unit, text = row[:10]
    return ValueRecord(subject, visit, visit_date, form, item, number, unit, text)
