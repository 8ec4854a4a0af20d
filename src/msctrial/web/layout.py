"""Page rendering: one Jinja2 environment, the base layout and the menu by role."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from msctrial.core.actors import Actor


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: frozenset[str] | None = None  # None: everyone logged in

    def visible_to(self, actor: Actor) -> bool:
        return self.roles is None or actor.has_role(*self.roles)


# The menu. Feature packages append their pages here, in the order of the flow of data.
NAV: list[NavItem] = [
    NavItem("Home", "/"),
    NavItem("Protocol", "/protocol"),
    NavItem("Lots", "/product/lots", frozenset({"qc", "pharmacist"})),
    NavItem("Trace", "/product/trace", frozenset({"qc", "pharmacist", "dsmb"})),
    NavItem("Recalls", "/product/recalls", frozenset({"qc", "pharmacist", "dsmb"})),
    NavItem(
        "Subjects",
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
    NavItem("Pharmacy", "/clinical/pharmacy", frozenset({"pharmacist"})),
    NavItem(
        "Visits",
        "/visits",
        frozenset({"investigator", "coordinator", "monitor", "statistician", "dsmb"}),
    ),
    NavItem("Queries", "/queries", frozenset({"investigator", "coordinator", "monitor"})),
    NavItem(
        "Adverse events",
        "/adverse-events",
        frozenset({"investigator", "coordinator", "monitor", "dsmb", "safety"}),
    ),
    NavItem("SUSARs", "/safety/susars", frozenset({"safety", "dsmb", "monitor"})),
    NavItem(
        "Monitoring",
        "/monitoring",
        frozenset({"investigator", "coordinator", "monitor", "statistician", "dsmb", "admin"}),
    ),
    NavItem("Analysis", "/analysis", frozenset({"statistician", "dsmb"})),
    NavItem("Registry", "/registry"),
    NavItem(
        "Exports",
        "/exports",
        frozenset(
            {"investigator", "coordinator", "pharmacist", "monitor", "statistician", "dsmb"}
            | {"admin", "safety"}
        ),
    ),
    NavItem("Audit trail", "/audit", frozenset({"monitor", "admin", "qc", "dsmb"})),
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


def when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


@functools.cache
def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(resources.files("msctrial.web") / "templates"))
    t.env.add_extension("jinja2.ext.i18n")
    # Templates mark their text with _() and ngettext(); until a locale's catalogue is
    # installed per request, the marked text renders as written (English).
    t.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    t.env.filters["sci"] = sci
    t.env.filters["when"] = when
    t.env.globals["nav_items"] = NAV
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

    ctx = {
        "actor": actor,
        "nav": [n for n in NAV if actor and n.visible_to(actor)],
        "csrf": csrf_token(request),
        "path": request.url.path,
        **(context or {}),
    }
    return templates().TemplateResponse(request, template, ctx, status_code=status, headers=headers)


def render_error(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status": status, "message": message},
        status=status,
        headers=headers,
    )
