"""The web edge: ``create_app(settings)`` builds the FastAPI application.

JSON API under ``/api/v1`` (OpenAPI at ``/api/docs``) and server-rendered pages share the same
services. Each feature package adds ``web/api/<package>.py`` and ``web/pages/<package>.py``,
each exposing ``router``, and names itself in ``PACKAGES``.
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from msctrial import __version__
from msctrial.core.db import make_engine
from msctrial.core.errors import MsctrialError
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.core.validation import problems_of
from msctrial.web.deps import text_policy
from msctrial.web.openapi import install_contract

# Feature packages with web routes, in menu order. A package may have api, pages or both.
# The routers of the two web doors, in this order: a feature's JSON routes and pages, each
# door module of a feature holding an ``APIRouter`` called ``router``.
PACKAGES = [
    "auth",
    "home",
    "protocol",
    "product",
    "clinical",
    "visits",
    "registry",
    "exchange",
    "audit",
]

SESSION_COOKIE = "msctrial_session"


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    settings.require_secret()
    engine = engine or make_engine(settings)
    if settings.migrate_on_start:
        from msctrial.core.migrate import upgrade

        upgrade(engine, settings.keyring())
    app = FastAPI(
        title="msctrial",
        version=__version__,
        description="Clinical research on MSC therapy for COVID-19 and ARDS",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        dependencies=[Depends(text_policy)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine, settings.keyring())
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    app.middleware("http")(_security_headers)
    _install_error_handlers(app)
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("msctrial.web") / "static")),
        name="static",
    )
    for module in _door_modules():
        app.include_router(module.router)
    install_contract(app)
    return app


def _door_modules() -> list[Any]:
    """Every module of ``web.api`` and ``web.pages`` with a router: the features' own first."""
    found = []
    for door in ("api", "pages"):
        package = importlib.import_module(f"msctrial.web.{door}")
        names = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
        names.sort(
            key=lambda n: (
                PACKAGES.index(n.split("_")[0]) if n.split("_")[0] in PACKAGES else len(PACKAGES)
            )
        )
        for name in names:
            module = importlib.import_module(f"msctrial.web.{door}.{name}")
            if hasattr(module, "router"):
                found.append(module)
    return found


async def _security_headers(request: Request, call_next: Any) -> Response:
    response: Response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith("/api/docs"):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
    response.headers.setdefault("Cache-Control", "no-store")
    if request.app.state.settings.secure_cookies:
        # A deployment with secure cookies is served over HTTPS; keep browsers on it.
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods some route of ``app`` answers at ``path``, sorted (HEAD with GET)."""
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        regex = getattr(context, "path_regex", None)
        if context.methods and regex is not None and regex.match(path):
            methods |= context.methods
    return sorted(methods)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _install_error_handlers(app: FastAPI) -> None:
    from msctrial.web.layout import render_error

    def respond(
        request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Response:
        if wants_json(request):
            return JSONResponse({"error": body}, status_code=status, headers=headers)
        return render_error(request, status, body["message"], headers=headers)

    @app.exception_handler(MsctrialError)
    async def _domain(request: Request, exc: MsctrialError) -> Response:
        headers = None
        if exc.status == 401 and not wants_json(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if "retry_after" in exc.details:
            headers = {"Retry-After": str(exc.details["retry_after"])}
        elif exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return respond(request, exc.status, exc.to_dict(), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        found = problems_of(list(exc.errors()))
        problems = [
            {"field": path.removeprefix("query.").removeprefix("path."), "message": msg}
            for path, msg in found
        ]
        message = "; ".join(f"{p['field'] or 'request'}: {p['message']}" for p in problems)
        body: dict[str, Any] = {"code": "invalid_input", "message": message}
        if problems and problems[0]["field"]:
            body["field"] = problems[0]["field"]
        body["details"] = {"problems": problems}
        return respond(request, 422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 403: "permission_denied"}.get(
            exc.status_code, "http_error"
        )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # RFC 9110 §15.5.6: a 405 lists the methods the resource has, over every router.
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
        body = {"code": code, "message": str(exc.detail)}
        return respond(request, exc.status_code, body, headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        import logging

        logging.getLogger("msctrial").exception("unhandled error on %s", request.url.path)
        return respond(
            request, 500, {"code": "internal", "message": "internal error; it has been logged"}
        )
