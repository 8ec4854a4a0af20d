"""The subject's record home: one page from screening to the last visit, shared by the
clinical pages of every step (consent, screening, randomisation, dosing, visits, AEs, queries).

A subject action that is refused re-renders the subject page with the message beside the
form; one that succeeds redirects to the page (POST-redirect-GET).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from msctrial.clinical.casebook import service as casebook
from msctrial.clinical.casebook.record import subject_detail
from msctrial.clinical.dosing.infusion import BEDSIDE
from msctrial.clinical.subjects.access import (
    MONITOR_ROLES,
    SITE_STAFF,
    get_subject,
    local_today,
    site_of,
)
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import MsctrialError
from msctrial.web.deps import Db
from msctrial.web.layout import render
from msctrial.web.pages.clinical_forms import site_zone
from msctrial.web.pages.visits_safety import form_labels


def subject_page_with(
    request: Request, db: Db, actor: Actor, code: str, *, status: int = 200, **extra: Any
) -> Response:
    detail = subject_detail(db, actor, code)
    subject = get_subject(db, actor, code)
    site_id = subject.site_id
    now = utcnow()
    book = casebook.casebook(db, actor, code, now=now)
    ctx = {
        "d": detail,
        "s": detail.subject,
        "arm": getattr(detail.subject, "arm", None),
        "can_edit": actor.has_role(*SITE_STAFF, site_id=site_id),
        "is_investigator": actor.has_role("investigator", site_id=site_id),
        "is_pharmacist": actor.has_role("pharmacist", site_id=site_id),
        "at_bedside": actor.has_role(*BEDSIDE, site_id=site_id),
        "now_local": now.astimezone(site_zone(site_of(db, subject).timezone)),
        # Every time on the record is shown at the subject's site, whoever reads it (issue 15).
        "page_zone": site_of(db, subject).timezone,
        "book": book,
        "form_labels": form_labels(book.forms),
        "can_enter": actor.has_role(*SITE_STAFF, site_id=site_id),
        "is_monitor": actor.has_role(*MONITOR_ROLES),
        "today": local_today(db, subject, now),
        **extra,
    }
    return render(request, "clinical/subject.html", ctx, actor=actor, status=status)


def subject_page_or_error(
    request: Request, db: Db, actor: Actor, code: str, action: Any
) -> Response:
    """Run a subject action; on a refusal show the subject page with the message."""
    try:
        action()
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (401, 403, 404):
            raise
        return subject_page_with(
            request, db, actor, code, status=exc.status, error=exc.message, field=exc.field
        )
    return RedirectResponse(f"/clinical/subjects/{code}", status_code=303)
