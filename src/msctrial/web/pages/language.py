"""The language switch: on the login page and in the header of every page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from msctrial.core.preferences import choose_language
from msctrial.web.deps import CsrfProtected, Db, optional_actor
from msctrial.web.i18n import LANGUAGES
from msctrial.web.layout import render_error
from msctrial.web.pages.auth import _safe_next

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


@router.post("/language")
def switch_language(
    request: Request,
    db: Db,
    language: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Show this browser's pages in ``language``; a logged-in user keeps it on their account."""
    if language not in LANGUAGES:
        offered = ", ".join(LANGUAGES)
        return render_error(
            request, 422, f"language: {language!r} is not offered; choose one of {offered}"
        )
    request.session["locale"] = language
    actor = optional_actor(request, db)
    if actor is not None:
        choose_language(db, actor, language)
    return RedirectResponse(_safe_next(next), status_code=303)
