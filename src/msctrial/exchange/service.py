"""The export use cases: gather what the user may see, map it, write the file, record it.

Each takes the session and the acting user; the scoping and blinding are ``source.gather``'s
(or, for the streamed values, ``values.site_scope``'s), so the command line and the routes get
them alike. A file is written whole or not at all: to a temporary name, then, once the export
is on the audit trail (an ``ExportRecord``, committed), renamed into place.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import visible_sites
from msctrial.clinical.visits.forms import get_form
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput
from msctrial.core.tables import Site
from msctrial.exchange.fhir import bundle
from msctrial.exchange.model import Progress
from msctrial.exchange.odm import odm_bytes
from msctrial.exchange.redcap import unique_event_name
from msctrial.exchange.redcap_export import dictionary_rows, record_rows, records_header
from msctrial.exchange.source import gather, study_meta
from msctrial.exchange.tables import ExportRecord
from msctrial.exchange.tidy import (
    FORMATS,
    LAYOUTS,
    Table,
    long_table,
    wide_table,
    write_table,
)
from msctrial.exchange.tidy import (
    write_csv as write_table_csv,
)
from msctrial.exchange.values import site_scope, value_rows

PROGRESS_EVERY = 5000  # rows between two reports of a streamed export's progress


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the files, how many subjects and rows they hold, and its record."""

    files: tuple[Path, ...]
    subjects: int
    blinded: bool
    rows: int = 0
    record_id: int | None = None


def _partial(path: Path) -> Path:
    """Where ``path`` is written before it is put in place; refuses a folder or a missing one."""
    if path.is_dir():
        raise InvalidInput(f"out: {path} is a folder; give a file name", field="out")
    if not path.parent.is_dir():
        raise InvalidInput(f"out: the folder {path.parent} does not exist", field="out")
    return path.with_name(f".{path.name}.partial")


def write_atomically(path: Path, content: bytes) -> None:
    """``content`` at ``path``, or nothing there if writing fails."""
    partial = _partial(path)
    partial.write_bytes(content)
    os.replace(partial, path)


def _scope_label(session: Session, scope: Iterable[int] | None) -> str:
    if scope is None:
        return "all sites"
    codes = session.scalars(select(Site.code).where(Site.id.in_(list(scope))).order_by(Site.code))
    return ", ".join(codes) or "no site"


def record_export(
    session: Session,
    actor: Actor,
    kind: str,
    *,
    files: Iterable[Path],
    subjects: int,
    rows: int,
    scope: Iterable[int] | None,
    options: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Put the export on the audit trail (who, what, which sites, which files, when); commit."""
    sites = None if scope is None else sorted(scope)
    # The export only read until now; ending that read lets the record's write begin a
    # transaction of its own (a background export reads in a deferred one: core.db).
    session.commit()
    audit.attach(session, actor)
    record = ExportRecord(
        kind=kind,
        options=options or {},
        scope=_scope_label(session, sites),
        site_id=sites[0] if sites is not None and len(sites) == 1 else None,
        blinded=actor.is_blinded,
        files=[p.name for p in files],
        subjects=subjects,
        rows=rows,
        exported_by=actor.audit_name,
        exported_at=now or utcnow(),
    )
    session.add(record)
    session.commit()
    return record.id


def _publish(staged: dict[Path, Path]) -> None:
    for partial, path in staged.items():
        os.replace(partial, path)


def _write_one(
    session: Session,
    actor: Actor,
    kind: str,
    out: Path,
    content: bytes,
    *,
    subjects: int,
    rows: int,
    options: dict[str, Any],
    now: dt.datetime | None,
) -> Exported:
    partial = _partial(out)
    partial.write_bytes(content)
    try:
        scope = visible_sites(actor)
        record = record_export(
            session, actor, kind, files=[out], subjects=subjects, rows=rows, scope=scope,
            options=options, now=now,
        )  # fmt: skip
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _publish({partial: out})
    return Exported((out,), subjects, actor.is_blinded, rows, record)


def export_odm(
    session: Session,
    actor: Actor,
    out: Path,
    *,
    metadata_only: bool = False,
    now: dt.datetime | None = None,
) -> Exported:
    """The study as ODM 1.3.2 at ``out``: metadata, and the clinical data ``actor`` may see."""
    data = gather(session, actor, metadata_only=metadata_only, now=now)
    return _write_one(
        session, actor, "odm", out, odm_bytes(data), subjects=len(data.subjects),
        rows=len(data.values), options={"metadata_only": metadata_only}, now=now,
    )  # fmt: skip


def export_fhir(
    session: Session, actor: Actor, out: Path, *, now: dt.datetime | None = None
) -> Exported:
    """A FHIR R4 collection Bundle at ``out`` of what ``actor`` may see."""
    data = gather(session, actor, now=now)
    resources = bundle(data)
    text = json.dumps(resources, indent=1, ensure_ascii=False)
    return _write_one(
        session, actor, "fhir", out, text.encode("utf-8"), subjects=len(data.subjects),
        rows=len(resources.get("entry", ())), options={}, now=now,
    )  # fmt: skip


def _counting(
    rows: Iterable[tuple[Any, ...]],
    subjects: set[str],
    progress: Callable[[Progress], None] | None = None,
) -> Iterator[tuple[Any, ...]]:
    for n, row in enumerate(rows, 1):
        subjects.add(row[0])
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(Progress("writing", n))
        yield row


def export_values(
    session: Session,
    actor: Actor,
    out: Path,
    *,
    file_format: str = "csv",
    layout: str = "long",
    site_code: str | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Exported:
    """Every form value ``actor`` may see as a tidy CSV or Parquet file, streamed (``progress``
    hears the rows read so far: the total is not known until the end).

    ``long``: one row per value; ``wide``: one row per subject and visit, a column per item.
    """
    if file_format not in FORMATS:
        raise InvalidInput(f"format: {file_format!r}; choose csv or parquet", field="format")
    if layout not in LAYOUTS:
        raise InvalidInput(f"layout: {layout!r}; choose long or wide", field="layout")
    scope = site_scope(session, actor, site_code)
    partial = _partial(out)
    subjects: set[str] = set()
    rows = _counting(value_rows(session, scope), subjects, progress)
    table = long_table(rows) if layout == "long" else wide_table(study_meta(session), rows)
    try:
        count = write_table(table, partial, file_format)
        options = {"format": file_format, "layout": layout, "site": site_code}
        record = record_export(
            session, actor, "values", files=[out], subjects=len(subjects), rows=count,
            scope=scope, options=options, now=now,
        )  # fmt: skip
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _publish({partial: out})
    return Exported((out,), len(subjects), actor.is_blinded, count, record)


def export_redcap(
    session: Session, actor: Actor, out: Path, *, now: dt.datetime | None = None
) -> Exported:
    """A REDCap project's import files in ``out``: the data dictionary, the events and which
    forms each holds, and the records (one row per subject and visit) ``actor`` may see."""
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"out: {out} is a file; give a folder", field="out")
    scope = site_scope(session, actor, None)
    study = study_meta(session)
    forms = [get_form(f.name) for f in study.forms]
    out.mkdir(parents=True, exist_ok=True)
    names = ("data_dictionary.csv", "events.csv", "event_instruments.csv", "records.csv")
    staged = {_partial(out / n): out / n for n in names}
    partial = dict(zip(names, staged, strict=True))
    try:
        with partial["data_dictionary.csv"].open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(dictionary_rows(forms))
        events = [["event_name", "arm_num", "day_offset", "offset_min", "offset_max",
                   "unique_event_name"]]  # fmt: skip
        mapping = [["arm_num", "unique_event_name", "form"]]
        for v in study.visits:
            event = unique_event_name(v.name)
            events.append([v.name, "1", str(v.day), str(v.window_days), str(v.window_days), event])
            mapping += [["1", event, form] for form in v.forms]
        for name, rows in (("events.csv", events), ("event_instruments.csv", mapping)):
            with partial[name].open("w", newline="", encoding="utf-8") as handle:
                csv.writer(handle, lineterminator="\n").writerows(rows)
        subjects: set[str] = set()
        wide = wide_table(study, _counting(value_rows(session, scope), subjects))
        records = Table(
            tuple(records_header(forms)), (), record_rows(wide.rows, wide.columns, forms)
        )
        count = write_table_csv(records, partial["records.csv"])
        record = record_export(
            session, actor, "redcap", files=staged.values(), subjects=len(subjects), rows=count,
            scope=scope, options={}, now=now,
        )  # fmt: skip
    except BaseException:
        for p in staged:
            p.unlink(missing_ok=True)
        raise
    _publish(staged)
    return Exported(tuple(staged.values()), len(subjects), actor.is_blinded, count, record)
