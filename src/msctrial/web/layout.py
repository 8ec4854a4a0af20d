"""Page rendering: one Jinja2 environment, the base layout and the menu by role."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from msctrial.core.actors import Actor
from msctrial.web import formats, i18n
from msctrial.web.paging import page_link


def N_(message: str) -> str:
    """Marks text for the catalogue that is translated where it is shown (the menu)."""
    return message


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: frozenset[str] | None = None  # None: everyone logged in

    def visible_to(self, actor: Actor) -> bool:
        return self.roles is None or actor.has_role(*self.roles)


# The menu. Feature packages append their pages here, in the order of the flow of data.
NAV: list[NavItem] = [
    NavItem(N_("Home"), "/"),
    NavItem(N_("Protocol"), "/protocol"),
    NavItem(N_("Lots"), "/product/lots", frozenset({"qc", "pharmacist"})),
    NavItem(N_("Trace"), "/product/trace", frozenset({"qc", "pharmacist", "dsmb"})),
    NavItem(N_("Recalls"), "/product/recalls", frozenset({"qc", "pharmacist", "dsmb"})),
    NavItem(
        N_("Subjects"),
        "/clinical",
        frozenset(
            {
                "investigator",
                "coordinator",
                "pharmacist",
                "monitor",
                "statistician",
                "dsmb",
                "admin",
            }
        ),
    ),
    NavItem(N_("Pharmacy"), "/clinical/pharmacy", frozenset({"pharmacist"})),
    NavItem(
        N_("Visits"),
        "/visits",
        frozenset({"investigator", "coordinator", "monitor", "statistician", "dsmb"}),
    ),
    NavItem(N_("Queries"), "/queries", frozenset({"investigator", "coordinator", "monitor"})),
    NavItem(
        N_("Adverse events"),
        "/adverse-events",
        frozenset({"investigator", "coordinator", "monitor", "dsmb", "safety"}),
    ),
    NavItem(N_("SUSARs"), "/safety/susars", frozenset({"safety", "dsmb", "monitor"})),
    NavItem(
        N_("Monitoring"),
        "/monitoring",
        frozenset({"investigator", "coordinator", "monitor", "statistician", "dsmb", "admin"}),
    ),
    NavItem(N_("Analysis"), "/analysis", frozenset({"statistician", "dsmb"})),
    NavItem(N_("Registry"), "/registry"),
    NavItem(
        N_("Exports"),
        "/exports",
        frozenset(
            {"investigator", "coordinator", "pharmacist", "monitor", "statistician", "dsmb"}
            | {"admin", "safety"}
        ),
    ),
    NavItem(N_("Audit trail"), "/audit", frozenset({"monitor", "admin", "qc", "dsmb"})),
    NavItem(N_("Users and sites"), "/admin", frozenset({"admin"})),
]


def sci(value: float | None, digits: int = 3) -> str:
    """1.5e6 → '1.5×10^6' for doses and cell counts."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    exp = int(f"{value:e}".split("e")[1])
    mant = value / 10**exp
    return f"{mant:.{digits}g}×10<sup>{exp}</sup>"


@functools.cache
def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(resources.files("msctrial.web") / "templates"))
    t.env.add_extension("jinja2.ext.i18n")
    # Templates mark their text with _() and ngettext(); they translate through the catalogue
    # ``render`` sets for the request's language (web.i18n), English as written by default.
    t.env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext_, i18n.ngettext_, newstyle=True
    )
    t.env.filters["sci"] = sci
    t.env.filters["when"] = formats.when
    t.env.filters["day"] = formats.day
    t.env.filters["number"] = formats.number
    t.env.filters["term"] = i18n.term
    t.env.filters["message"] = i18n.message
    t.env.globals["languages"] = i18n.LANGUAGES
    t.env.globals["nav_items"] = NAV
    t.env.globals["page_link"] = page_link
    return t


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    actor: Actor | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    from msctrial.web.deps import csrf_token

    language = request_language(request)
    zones: dict[str, str] = getattr(request.state, "site_zones", None) or {}
    own_sites = (
        frozenset(g.site_code for g in actor.grants if g.site_code) if actor else frozenset()
    )
    ctx = {
        "actor": actor,
        "nav": [n for n in NAV if actor and n.visible_to(actor)],
        "csrf": csrf_token(request),
        "path": request.url.path,
        "locale": language,
        "site_zones": zones,
        "page_zone": formats.page_zone(own_sites, zones),
        **(context or {}),
    }
    token = i18n.CURRENT.set(i18n.translations(language))
    try:  # the template renders here, in the constructor
        return templates().TemplateResponse(
            request, template, ctx, status_code=status, headers=headers
        )
    finally:
        i18n.CURRENT.reset(token)


def request_language(request: Request) -> str:
    """The user's stored language (read with the user, ``web.deps``), the one chosen on this
    browser before login, else the browser's ``Accept-Language``."""
    return i18n.choose_language(
        user_choice=getattr(request.state, "user_locale", None),
        session_choice=request.session.get("locale"),
        header=request.headers.get("accept-language"),
    )


def render_error(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    language = request_language(request)
    return render(
        request,
        "error.html",
        # the language switch returns home: an error page's path may name what was refused
        {"status": status, "message": i18n.translate(message, language), "error_page": True},
        status=status,
        headers=headers,
    )
