"""The SDTM export: DM, EX and AE from the reader's records, LB and VS streamed, define.xml.

LB and VS hold a row per numeric value, millions in a large trial, so they never sit in
memory: the scoped value query (``values.value_rows``) is read twice, in chunks. The first
pass measures each text variable's longest value (XPORT v5 fixes each column's width in the
header, before the first row) and checks every value against version 5's limits, so a
refusal comes before any file is written; the second writes the rows, chunk by chunk. Peak
memory is one chunk and the subject-level records, whatever the number of values.

Files are written under temporary names and put in place once the export is on the audit
trail; on any failure none is left.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from msctrial.clinical.visits.tables import FormEntry, FormValue
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput
from msctrial.exchange.define import define_bytes
from msctrial.exchange.model import Progress
from msctrial.exchange.sdtm import LB_FORMS, VS_FORM, Domain, ae, dm, ex, findings_rows, lb, vs
from msctrial.exchange.service import Exported, record_export
from msctrial.exchange.source import gather
from msctrial.exchange.values import site_scope, value_record, value_statement
from msctrial.exchange.xpt import CHUNK, Lengths, measure, open_writer

SDTM_FORMATS = ("xpt", "csv")
Report = Callable[[Progress], None]


def _quiet(_: Progress) -> None:
    return None


def _stream(session: Session, actor: Actor, study: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The LB and VS rows of the values ``actor`` may see, from one streamed query of the
    numeric values of the laboratory and vital-sign forms only."""
    stmt = (
        value_statement(site_scope(session, actor, None))
        .where(FormEntry.form.in_((*LB_FORMS, VS_FORM)))
        .where(FormValue.number.is_not(None))
    )
    # Core rows, not ORM ones: a server-side cursor on PostgreSQL, in chunks on SQLite.
    result = session.connection().execute(stmt.execution_options(yield_per=CHUNK))
    return findings_rows(study, (value_record(tuple(r)) for r in result))


def _measure_streamed(
    stream: Iterator[tuple[str, dict[str, Any]]], lengths: dict[str, Lengths], report: Report
) -> int:
    """Pass one: the lengths of LB and VS, every value checked; how many rows they hold."""
    rows = 0
    for chunk in _chunks(stream):
        for name, domain_rows in chunk.items():
            lengths[name].see_all(domain_rows)
            rows += len(domain_rows)
        report(Progress("checking", rows))
    return rows


def _chunks(
    stream: Iterator[tuple[str, dict[str, Any]]],
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The stream a chunk at a time, each chunk's rows by domain."""
    chunk: dict[str, list[dict[str, Any]]] = {"LB": [], "VS": []}
    count = 0
    for name, row in stream:
        chunk[name].append(row)
        count += 1
        if count == CHUNK:
            yield chunk
            chunk, count = {"LB": [], "VS": []}, 0
    if count:
        yield chunk


def export_sdtm(
    session: Session,
    actor: Actor,
    out: Path,
    *,
    file_format: str = "xpt",
    now: dt.datetime | None = None,
    progress: Report | None = None,
) -> Exported:
    """DM, EX, AE, LB and VS in ``out`` (XPORT v5 or CSV), with ``define.xml`` describing them."""
    if file_format not in SDTM_FORMATS:
        raise InvalidInput(
            f"format: {file_format!r} is not an SDTM format; choose xpt or csv", field="format"
        )
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"out: {out} is a file; give a folder", field="out")
    report = progress or _quiet
    report(Progress("reading", 0))
    data = gather(session, actor, values=False, now=now)
    small = (dm(data), ex(data), ae(data))
    streamed = (lb(data), vs(data))  # their variables; the rows come from the stream
    tables: tuple[Domain, ...] = (*small, *streamed)
    lengths = {d.name: measure(d) for d in small} | {d.name: Lengths(d) for d in streamed}
    total = sum(len(d.rows) for d in small)
    total += _measure_streamed(_stream(session, actor, data.study), lengths, report)
    out.mkdir(parents=True, exist_ok=True)
    files = {d.name: f"{d.name.lower()}.{file_format}" for d in tables}
    staged = {out / f".{name}.partial": out / name for name in (*files.values(), "define.xml")}
    partial = {path.name: p for p, path in staged.items()}
    try:
        _write_domains(session, actor, data, tables, files, partial, lengths, file_format,
                       Progress("writing", 0, total, 0, len(staged)), report)  # fmt: skip
        longest = {name: ln.longest for name, ln in lengths.items()}
        define = define_bytes(data.study.code, data.study.title, tables, files, data.exported_at,
                              longest)  # fmt: skip
        partial["define.xml"].write_bytes(define)
        record = record_export(
            session, actor, "sdtm", files=staged.values(), subjects=lengths["DM"].rows,
            rows=total, scope=site_scope(session, actor, None), options={"format": file_format},
            now=now,
        )  # fmt: skip
    except BaseException:
        for p in staged:
            p.unlink(missing_ok=True)
        raise
    for p, path in staged.items():
        os.replace(p, path)
    report(Progress("done", total, total, len(staged), len(staged)))
    return Exported(tuple(staged.values()), lengths["DM"].rows, data.blinded, total, record)


def _write_domains(
    session: Session,
    actor: Actor,
    data: Any,
    tables: tuple[Domain, ...],
    files: dict[str, str],
    partial: dict[str, Path],
    lengths: dict[str, Lengths],
    file_format: str,
    at: Progress,
    report: Report,
) -> None:
    """Pass two: every domain's rows, the small ones at once, LB and VS chunk by chunk."""
    mode = "w" if file_format == "csv" else "wb"
    handles = {d.name: partial[files[d.name]].open(mode) for d in tables}
    try:
        writers = {
            d.name: open_writer(
                file_format, handles[d.name], d, lengths[d.name], data.exported_at
            )  # fmt: skip
            for d in tables
        }
        rows = 0
        report(at)
        for d in tables:
            if d.rows:
                writers[d.name].write(d.rows)
                rows += len(d.rows)
        try:
            for chunk in _chunks(_stream(session, actor, data.study)):
                for name, domain_rows in chunk.items():
                    writers[name].write(domain_rows)
                    rows += len(domain_rows)
                report(Progress("writing", rows, at.total, at.files, at.of_files))
        except ValueError as exc:  # a value grew between the passes
            raise InvalidInput(
                f"sdtm: the data changed while they were exported ({exc}); run it again",
                field="sdtm",
            ) from None
        for w in writers.values():
            w.close()
    finally:
        for h in handles.values():
            h.close()
