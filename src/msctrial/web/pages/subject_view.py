"""The subject page, shared by the clinical pages of every step (screening to infusion).

A subject action that is refused re-renders the subject page with the message beside the
form; one that succeeds redirects to the page (POST-redirect-GET).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from msctrial.clinical.casebook.record import subject_detail
from msctrial.clinical.dosing.infusion import BEDSIDE
from msctrial.clinical.subjects.access import SITE_STAFF, get_subject, site_of
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import MsctrialError
from msctrial.web.deps import Db
from msctrial.web.layout import render
from msctrial.web.pages.clinical_forms import site_zone


def subject_page_with(
    request: Request, db: Db, actor: Actor, code: str, *, status: int = 200, **extra: Any
) -> Response:
    detail = subject_detail(db, actor, code)
    subject = get_subject(db, actor, code)
    site_id = subject.site_id
    ctx = {
        "d": detail,
        "s": detail.subject,
        "arm": getattr(detail.subject, "arm", None),
        "can_edit": actor.has_role(*SITE_STAFF, site_id=site_id),
        "is_investigator": actor.has_role("investigator", site_id=site_id),
        "is_pharmacist": actor.has_role("pharmacist", site_id=site_id),
        "at_bedside": actor.has_role(*BEDSIDE, site_id=site_id),
        "now_local": utcnow().astimezone(site_zone(site_of(db, subject).timezone)),
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
