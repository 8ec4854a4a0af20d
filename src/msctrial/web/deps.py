"""Request dependencies: the database session, the settings and the acting user."""

from __future__ import annotations

import contextlib
import hmac
import json
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.errors import NotAuthenticated, PermissionDenied
from msctrial.core.settings import Settings
from msctrial.core.sites import site_zones
from msctrial.core.users import actor_for_token, load_actor
from msctrial.core.validation import MAX_RECORD_ID, find_text_problem
from msctrial.core.web_sessions import session_user

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def get_db(request: Request) -> Iterator[Session]:
    session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        session.close()


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


Db = Annotated[Session, Depends(get_db)]
Config = Annotated[Settings, Depends(get_settings)]

# Every integer a route reads from its path or query is bounded, so that a number too large for
# the database's INTEGER is a 422 naming the parameter rather than a driver overflow (a 500).
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="a record's id")]
Ordinal = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="a number counted from 1")]
OptionalRecordId = Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)]
PageSize = Annotated[int, Query(ge=1, le=1000, description="how many rows, at most 1,000")]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, supplied: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not supplied or not hmac.compare_digest(expected, supplied):
        raise PermissionDenied(
            "the form has expired or did not come from this site; reload the page and try again"
        )


async def csrf_protect(request: Request) -> None:
    """Every unsafe request of a page carries the session's CSRF token (form field or header).

    A router-level dependency of every page router, so it runs before the route's own form
    fields are validated: a forged post is refused (403) before it can learn anything (422).
    """
    if request.method not in UNSAFE:
        return
    supplied = request.headers.get("x-csrf-token")
    if not supplied:
        form = await request.form()
        value = form.get("csrf_token")
        supplied = value if isinstance(value, str) else None
    check_csrf(request, supplied)


CsrfProtected = Depends(csrf_protect)


async def text_policy(request: Request) -> None:
    """The one text input policy (``core.validation.text_problem``) over every text a request
    sends: path, query, form fields and JSON body. An app-level dependency, so no route can
    miss it; a refusal is a 422 naming the field, the same on SQLite and PostgreSQL. A page's
    forged post is refused (403) first, as its router would, so it learns nothing (422)."""
    if request.method in UNSAFE and not request.url.path.startswith("/api/"):
        await csrf_protect(request)
    parts: list[tuple[str, object]] = [
        ("path", dict(request.path_params)),
        ("query", dict(request.query_params.multi_items())),
    ]
    if request.method in UNSAFE:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            parts.append(("form", {k: v for k, v in form.multi_items() if isinstance(v, str)}))
        elif kind.endswith("json"):
            body = await request.body()
            # the standard library, as FastAPI: it reads a lone surrogate's escape as text;
            # a body that is not JSON at all is the route's own validation to refuse
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                parts.append(("body", json.loads(body)))
    for where, value in parts:
        found = find_text_problem(value)
        if found is not None:
            field, problem = found
            raise RequestValidationError(
                [{"loc": (where, *field.split(".")), "msg": problem, "type": "text_policy"}]
            )


def _session_actor(request: Request, db: Session) -> Actor | None:
    """The user of the browser's server-side session (``core.web_sessions``), if still valid."""
    sid = request.session.get("sid")
    if sid is None:
        return None
    user = session_user(db, request.app.state.settings, sid)
    if user is None:
        request.session.clear()
        return None
    # What the pages need beside the user: their language and each site's zone (web.formats).
    request.state.user_locale = user.locale
    request.state.site_zones = site_zones(db)
    return load_actor(db, user)


def _end_read(db: Session) -> None:
    """End the read that identified the user before the route runs.

    Otherwise the request holds a pooled connection (and on SQLite the write lock of its
    BEGIN IMMEDIATE) while it waits for a worker thread; under many concurrent requests the
    waiting requests exhaust the pool and the running ones cannot get a connection.
    """
    db.rollback()


def api_actor(request: Request, db: Db) -> Actor:
    """Bearer token, or the browser's session cookie with the CSRF header on writes."""
    try:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            days = get_settings(request).token_max_age_days
            return actor_for_token(db, auth[7:].strip(), max_age_days=days)
        actor = _session_actor(request, db)
        if actor is None:
            raise NotAuthenticated("log in, or send an API token as 'Authorization: Bearer …'")
        if request.method in UNSAFE:
            check_csrf(request, request.headers.get("x-csrf-token"))
        return actor
    finally:
        _end_read(db)


def optional_actor(request: Request, db: Session) -> Actor | None:
    """The logged-in user, or None, for a page that also serves visitors (the language)."""
    try:
        return _session_actor(request, db)
    finally:
        _end_read(db)


def page_actor(request: Request, db: Db) -> Actor:
    try:
        actor = _session_actor(request, db)
        if actor is None:
            raise NotAuthenticated("log in to continue")
        return actor
    finally:
        _end_read(db)


ApiActor = Annotated[Actor, Depends(api_actor)]
PageActor = Annotated[Actor, Depends(page_actor)]
