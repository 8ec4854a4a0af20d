"""Log in and log out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from msctrial.core.errors import NotAuthenticated, TooManyAttempts
from msctrial.core.users import authenticate
from msctrial.core.web_sessions import end_session, start_session
from msctrial.web.deps import Config, CsrfProtected, Db
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login form cannot bounce a user to another site."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "auth/login.html", {"next": _safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    db: Db,
    settings: Config,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    ip = request.client.host if request.client else ""
    try:
        actor = authenticate(db, settings, username, password, ip)
    except (NotAuthenticated, TooManyAttempts) as exc:
        headers = (
            {"Retry-After": str(exc.details["retry_after"])}
            if "retry_after" in exc.details
            else None
        )
        return render(
            request,
            "auth/login.html",
            {"error": exc.message, "username": username, "next": _safe_next(next)},
            status=exc.status,
            headers=headers,
        )
    language = request.session.get("locale")
    request.session.clear()  # a fresh session (and CSRF token) at every login
    if language:  # the language chosen on the login page stays
        request.session["locale"] = language
    if actor.user_id is None:  # authenticate always names a stored user
        raise NotAuthenticated("log in as a user of this trial")
    request.session["sid"] = start_session(db, actor.user_id)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, db: Db) -> Response:
    end_session(db, request.session.get("sid"))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
