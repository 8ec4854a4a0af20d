"""The export use cases: gather what the user may see, map it, write the file.

Each takes the session and the acting user; the scoping and blinding are ``source.gather``'s,
so the command line and any later route get them alike. A file is written whole or not at all
(to a temporary name, then renamed).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput
from msctrial.exchange.define import define_bytes
from msctrial.exchange.fhir import bundle
from msctrial.exchange.odm import odm_bytes
from msctrial.exchange.sdtm import domains
from msctrial.exchange.source import gather
from msctrial.exchange.xpt import check_limits, write_csv, write_xpt

SDTM_FORMATS = ("xpt", "csv")


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the files and how many subjects they hold."""

    files: tuple[Path, ...]
    subjects: int
    blinded: bool


def write_atomically(path: Path, content: bytes) -> None:
    """``content`` at ``path``, or nothing there if writing fails."""
    if path.is_dir():
        raise InvalidInput(f"out: {path} is a folder; give a file name", field="out")
    if not path.parent.is_dir():
        raise InvalidInput(f"out: the folder {path.parent} does not exist", field="out")
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    os.replace(partial, path)


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
    write_atomically(out, odm_bytes(data))
    return Exported((out,), len(data.subjects), data.blinded)


def export_sdtm(
    session: Session,
    actor: Actor,
    out: Path,
    *,
    file_format: str = "xpt",
    now: dt.datetime | None = None,
) -> Exported:
    """DM, EX, AE, LB and VS in ``out`` (XPORT v5 or CSV), with ``define.xml`` describing them."""
    if file_format not in SDTM_FORMATS:
        raise InvalidInput(
            f"format: {file_format!r} is not an SDTM format; choose xpt or csv", field="format"
        )
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"out: {out} is a file; give a folder", field="out")
    data = gather(session, actor, now=now)
    tables = domains(data)
    for domain in tables:
        check_limits(domain)  # refuse before the first file is written
    out.mkdir(parents=True, exist_ok=True)
    files = {d.name: f"{d.name.lower()}.{file_format}" for d in tables}
    writer = write_xpt if file_format == "xpt" else write_csv
    for domain in tables:
        writer(domain, out / files[domain.name])
    define = define_bytes(data.study.code, data.study.title, tables, files, data.exported_at)
    write_atomically(out / "define.xml", define)
    written = (*(out / f for f in files.values()), out / "define.xml")
    return Exported(written, len(tables[0].rows), data.blinded)


def export_fhir(
    session: Session, actor: Actor, out: Path, *, now: dt.datetime | None = None
) -> Exported:
    """A FHIR R4 collection Bundle at ``out`` of what ``actor`` may see."""
    data = gather(session, actor, now=now)
    text = json.dumps(bundle(data), indent=1, ensure_ascii=False)
    write_atomically(out, text.encode("utf-8"))
    return Exported((out,), len(data.subjects), data.blinded)
