"""JSON API for exports: run one (scoped, blinded and audited as on the command line), list the
records of past ones, download a file of one's own export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from msctrial.exchange.exports import list_exports, run_export
from msctrial.web import exports_store
from msctrial.web.deps import ApiActor, Db, PageSize, RecordId

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])


class ExportRequest(BaseModel):
    format: str | None = None  # values: csv | parquet; sdtm: xpt | csv
    layout: str = "long"  # values: long | wide
    site: str | None = None  # values: one of the user's sites


class FileCheckPublic(BaseModel):
    name: str
    url: str
    valid: bool
    validator: str
    detail: str


class ExportedPublic(BaseModel):
    record_id: int
    kind: str
    subjects: int
    rows: int
    blinded: bool
    files: list[FileCheckPublic]


class ExportRecordPublic(BaseModel):
    id: int
    kind: str
    options: dict[str, Any]
    scope: str
    blinded: bool
    files: list[str]
    subjects: int
    rows: int
    exported_by: str
    exported_at: dt.datetime


@router.get("", response_model=list[ExportRecordPublic])
def exports(db: Db, actor: ApiActor, limit: PageSize = 50) -> list[dict[str, Any]]:
    return list_exports(db, actor, limit=limit)


@router.post("/{kind}", response_model=ExportedPublic, status_code=201)
def export(
    kind: str, body: ExportRequest, request: Request, db: Db, actor: ApiActor
) -> dict[str, Any]:
    result = run_export(
        db, actor, kind, exports_store.new_folder(request), file_format=body.format,
        layout=body.layout, site=body.site,
    )  # fmt: skip
    stored = exports_store.keep(request, actor, kind, result)
    return {
        **exports_store.public(stored),
        "kind": kind,
        "subjects": result.subjects,
        "rows": result.rows,
        "blinded": result.blinded,
    }


@router.get("/{record_id}/files/{name}")
def download(record_id: RecordId, name: str, request: Request, actor: ApiActor) -> FileResponse:
    path = exports_store.file_of(request, actor, record_id, name)
    return FileResponse(path, filename=name)
