"""The exports the doors offer: run one by its kind into a folder, check its files, list them.

The web's Exports page and the ``/api/v1/exports`` routes call these; each export itself is
``service``'s (scoped, blinded, on the audit trail). Who sees which records of past exports:
the trial-wide readers every record, a site user the records of their sites' exports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import visible_sites
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput
from msctrial.exchange.model import Progress
from msctrial.exchange.sdtm_export import export_sdtm
from msctrial.exchange.service import (
    Exported,
    export_fhir,
    export_odm,
    export_redcap,
    export_values,
)
from msctrial.exchange.tables import ExportRecord

KINDS = ("values", "odm", "sdtm", "fhir", "redcap")


def run_export(
    session: Session,
    actor: Actor,
    kind: str,
    folder: Path,
    *,
    file_format: str | None = None,
    layout: str = "long",
    site: str | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Exported:
    """The export ``kind`` into ``folder`` (a file or a sub-folder in it), as ``actor`` may see;
    ``progress`` hears how far it is, where the export can tell (SDTM and the tidy values)."""
    check_kind(kind)
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "values":
        fmt = file_format or "csv"
        return export_values(
            session, actor, folder / f"values_{layout}.{fmt}", file_format=fmt, layout=layout,
            site_code=site, progress=progress,
        )  # fmt: skip
    if kind == "odm":
        return export_odm(session, actor, folder / "study.xml")
    if kind == "sdtm":
        return export_sdtm(
            session, actor, folder / "sdtm", file_format=file_format or "xpt", progress=progress
        )
    if kind == "fhir":
        return export_fhir(session, actor, folder / "bundle.json")
    return export_redcap(session, actor, folder / "redcap")


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"kind: {kind!r}; choose one of {', '.join(KINDS)}", field="kind")


def list_exports(session: Session, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """The latest export records ``actor`` may read, newest first."""
    scope = visible_sites(actor)
    stmt = select(ExportRecord).order_by(ExportRecord.id.desc()).limit(max(1, min(limit, 500)))
    if scope is not None:
        mine = ExportRecord.exported_by == actor.audit_name
        stmt = stmt.where(or_(ExportRecord.site_id.in_(scope), mine))
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "options": r.options,
            "scope": r.scope,
            "blinded": r.blinded,
            "files": r.files,
            "subjects": r.subjects,
            "rows": r.rows,
            "exported_by": r.exported_by,
            "exported_at": r.exported_at,
        }
        for r in session.scalars(stmt)
    ]
