"""What the administration pages share: the admin-only gate, and reading a form's fields.

No router here: ``admin_users`` and ``admin_sites`` hold the pages. The gate is one dependency
of their routers, so no page or form of the administration can forget it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Path

from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, MsctrialError
from msctrial.core.passwords import password_problems
from msctrial.core.tables import ROLES
from msctrial.core.users import USERNAME
from msctrial.web.deps import page_actor

ADMIN = "admin"


def admin_actor(actor: Annotated[Actor, Depends(page_actor)]) -> Actor:
    """The logged-in administrator; anyone else is refused (403) before the page runs."""
    actor.require(ADMIN, to="use the administration pages")
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]
AdminOnly = Depends(admin_actor)
# A token's id in a path, bounded by PostgreSQL's 32-bit INTEGER: a larger number names no token
# and must be a 422, not the driver's overflow (a 500).
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the token's id")]


def optional_number(text: str, field: str, unit: str) -> float | None:
    """A blank field is no value; anything else must be a number (in ``unit``)."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise InvalidInput(f"{field}: {text!r} is not a number of {unit}", field=field) from None


def problems_of(exc: MsctrialError) -> dict[str, str]:
    """A refusal as the messages shown beside the fields it names (or above the form): every
    field of a refusal that lists its problems, else the one it names."""
    listed = exc.details.get("problems") or []
    out: dict[str, str] = {}
    for p in listed:
        field = p.get("field") or "form"
        out.setdefault(field, f"{p['field']}: {p['message']}" if p.get("field") else p["message"])
    return out or {exc.field or "form": exc.message}


def grants_from_form(roles: Iterable[str], sites: Iterable[str]) -> list[tuple[str, str | None]]:
    """The filled rows of a grant form: (role, site code or None for trial-wide)."""
    out = []
    for role, site in zip(roles, sites, strict=False):
        role, site = role.strip().lower(), site.strip().upper()
        if role:
            out.append((role, site or None))
    return out


def new_user_problems(
    username: str,
    password: str,
    grants: Iterable[tuple[str, str | None]],
    known_sites: Iterable[str],
) -> dict[str, str]:
    """Every problem of a new user's form at once, keyed by field (pure).

    The service checks the same again in its transaction; this is so the form can mark every
    wrong field in one go instead of one per submission.
    """
    problems: dict[str, str] = {}
    if not USERNAME.match(username.strip().lower()):
        problems["username"] = "username: use 2-64 lower-case letters, digits, '.', '_' or '-'"
    found = password_problems(password, username.strip().lower())
    if found:
        problems["password"] = f"password: {'; '.join(found)}"
    sites = set(known_sites)
    for role, site in grants:
        if role not in ROLES:
            problems["role"] = f"role: {role!r} is not a role; allowed: {', '.join(ROLES)}"
        if site is not None and site not in sites:
            known = ", ".join(sorted(sites)) or "none yet"
            problems["site"] = f"site: unknown site code {site!r} (known: {known})"
    return problems
