"""Where the web's exports are kept: a folder per export for the server's life, and each file's
check. Only the user who ran an export may download its files (they are that user's view)."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request

from msctrial.core.actors import Actor
from msctrial.core.errors import NotFound
from msctrial.exchange.checks import FileCheck, check_file
from msctrial.exchange.service import Exported


@dataclass(frozen=True)
class Stored:
    record_id: int
    exported_by: str
    files: dict[str, Path]
    checks: tuple[FileCheck, ...]


def _state(request: Request) -> dict[int, Stored]:
    return _kept(request.app.state)


def _kept(state: Any) -> dict[int, Stored]:
    if not hasattr(state, "exports"):
        state.exports = {}
        state.export_dir = Path(tempfile.mkdtemp(prefix="msctrial-exports-"))
    exports: dict[int, Stored] = state.exports
    return exports


def new_folder(request: Request) -> Path:
    _state(request)
    folder: Path = request.app.state.export_dir / uuid.uuid4().hex
    return folder


def keep(request: Request, actor: Actor, kind: str, result: Exported) -> Stored:
    return keep_in(request.app.state, actor, kind, result)


def stored(state: Any, record_id: int) -> Stored | None:
    return _kept(state).get(record_id)


def keep_in(state: Any, actor: Actor, kind: str, result: Exported) -> Stored:
    """Check each file of ``result`` with its format's validator and keep them for download
    (``state``: the app's, so a background export can keep its files too)."""
    assert result.record_id is not None
    stored = Stored(
        result.record_id,
        actor.audit_name,
        {p.name: p for p in result.files},
        tuple(check_file(p, kind) for p in result.files),
    )
    _kept(state)[result.record_id] = stored
    return stored


def checks_of(request: Request) -> dict[int, tuple[FileCheck, ...]]:
    return {k: v.checks for k, v in _state(request).items()}


def file_of(request: Request, actor: Actor, record_id: int, name: str) -> Path:
    stored = _state(request).get(record_id)
    if stored is None or stored.exported_by != actor.audit_name or name not in stored.files:
        raise NotFound(f"export {record_id} has no file {name!r} for you; run the export again")
    return stored.files[name]


def public(stored: Stored) -> dict[str, Any]:
    return {
        "record_id": stored.record_id,
        "files": [
            {
                "name": c.name,
                "url": f"/api/v1/exports/{stored.record_id}/files/{c.name}",
                "valid": c.ok,
                "validator": c.validator,
                "detail": c.detail,
            }
            for c in stored.checks
        ],
    }
