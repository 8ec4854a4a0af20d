"""Exports the web runs in the background, so the Exports page can show how far each one is.

A job is one export started from the page: it runs in a thread of its own, on a database
session of its own, as its user may see the data (the service scopes and blinds it, and puts
it on the audit trail as from the command line); its progress is what the service reports.
Only the user who started a job may see it: its counts are their view of the data. Jobs live
as long as the server, like the files they keep (``exports_store``).
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from msctrial.core.actors import Actor
from msctrial.core.db import READ_ONLY
from msctrial.core.errors import MsctrialError, NotFound
from msctrial.exchange.exports import check_kind, run_export
from msctrial.exchange.model import Progress
from msctrial.web import exports_store

log = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    kind: str
    owner: str
    progress: Progress = field(default_factory=lambda: Progress("queued", 0))
    state: str = "running"  # running | done | failed
    record_id: int | None = None
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, progress: Progress) -> None:
        with self.lock:
            self.progress = progress

    def public(self) -> dict[str, Any]:
        """The job as the status route and the page show it."""
        with self.lock:
            p = self.progress
            return {
                "id": self.id,
                "kind": self.kind,
                "state": self.state,
                "stage": p.stage,
                "rows": p.rows,
                "total": p.total,
                "percent": 100 if self.state == "done" else p.percent,
                "files": p.files,
                "of_files": p.of_files,
                "record_id": self.record_id,
                "error": self.error,
            }


def _jobs(state: Any) -> dict[str, Job]:
    if not hasattr(state, "export_jobs"):
        state.export_jobs = {}
    jobs: dict[str, Job] = state.export_jobs
    return jobs


def _run(state: Any, job: Job, actor: Actor, folder: Path, options: dict[str, Any]) -> None:
    try:
        with state.sessionmaker() as session:
            # Its reads must not hold SQLite's write lock for minutes: the refreshing page and
            # every other user go on while it runs (the record is written after, on its own).
            session.connection(execution_options={READ_ONLY: True})
            result = run_export(session, actor, job.kind, folder, progress=job.update, **options)
        stored = exports_store.keep_in(state, actor, job.kind, result)
        with job.lock:
            job.state, job.record_id = "done", stored.record_id
    except MsctrialError as exc:
        with job.lock:
            job.state, job.error = "failed", str(exc)
    except Exception:  # the thread's last word: the user is told, the log has the cause
        log.exception("export %s (%s) failed", job.id, job.kind)
        with job.lock:
            job.state, job.error = "failed", "the export failed unexpectedly; try it again"


def start(request: Request, actor: Actor, kind: str, **options: Any) -> Job:
    """Start the export ``kind`` in the background as ``actor``; the job to follow it by."""
    check_kind(kind)
    job = Job(uuid.uuid4().hex[:12], kind, actor.audit_name)
    state = request.app.state
    _jobs(state)[job.id] = job
    folder = exports_store.new_folder(request)
    threading.Thread(
        target=_run, args=(state, job, actor, folder, options), daemon=True, name=f"export-{job.id}"
    ).start()
    return job


def job_of(request: Request, actor: Actor, job_id: str) -> Job:
    """The job ``job_id`` if ``actor`` started it; anyone else is told there is none."""
    job = _jobs(request.app.state).get(job_id)
    if job is None or job.owner != actor.audit_name:
        raise NotFound(f"there is no export {job_id!r} of yours; start one on the Exports page")
    return job
