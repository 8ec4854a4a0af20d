"""Administration of users: list, create with role grants, and edit one account.

Thin: each form calls one service of ``core.users`` or ``core.accounts`` (the same the CLI and
``/api/v1/users`` call), which audits the change and ends the sessions and tokens it must.
A refused form is shown again with the message beside the field it names; nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from msctrial.core import accounts
from msctrial.core.actors import Actor
from msctrial.core.errors import MsctrialError
from msctrial.core.settings import Settings
from msctrial.core.sites import list_sites
from msctrial.core.tables import ROLES
from msctrial.core.users import add_user, get_user, grant_role, load_actor, parse_grant
from msctrial.web.deps import Config, CsrfProtected, Db
from msctrial.web.layout import render
from msctrial.web.pages.admin_forms import (
    AdminActor,
    AdminOnly,
    TokenId,
    grants_from_form,
    new_user_problems,
    problems_of,
)

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected, AdminOnly])

GRANT_ROWS = 3  # grant rows on the new-user form; more are added on the user's own page
Text = Annotated[str, Form()]
Many = Annotated[list[str], Form()]


def _choices(db: Session) -> dict[str, Any]:
    return {"roles": ROLES, "sites": list_sites(db), "grant_rows": range(GRANT_ROWS)}


@router.get("/admin")
def admin_home(request: Request, db: Db, actor: AdminActor, settings: Config) -> Response:
    users = accounts.list_accounts(db, actor)
    return render(
        request,
        "admin/index.html",
        {
            "users": len(users),
            "active": sum(u.active for u in users),
            "sites": len(list_sites(db)),
            "lockouts": len(accounts.lockouts(db, actor, settings)),
        },
        actor=actor,
    )


def _users_page(
    request: Request,
    db: Session,
    actor: Actor,
    settings: Settings,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    ctx = {
        "accounts": accounts.list_accounts(db, actor),
        "lockouts": accounts.lockouts(db, actor, settings),
        "form": form or {},
        "errors": errors or {},
        **_choices(db),
    }
    return render(request, "admin/users.html", ctx, actor=actor, status=status)


@router.get("/admin/users")
def users_page(request: Request, db: Db, actor: AdminActor, settings: Config) -> Response:
    return _users_page(request, db, actor, settings)


@router.post("/admin/users")
def create_user(
    request: Request,
    db: Db,
    actor: AdminActor,
    settings: Config,
    username: Text = "",
    full_name: Text = "",
    email: Text = "",
    password: Text = "",
    role: Many = [],  # noqa: B006 - FastAPI copies a form default
    site: Many = [],  # noqa: B006
) -> Response:
    grants = grants_from_form(role, site)
    known = [s.code for s in list_sites(db)]
    errors = new_user_problems(username, password, grants, known)
    if not errors:
        try:
            user = add_user(
                db,
                actor,
                username,
                password,
                full_name=full_name.strip(),
                email=email.strip() or None,
                grants=grants,
            )
        except MsctrialError as exc:
            db.rollback()
            errors = problems_of(exc)
        else:
            return RedirectResponse(f"/admin/users/{user.username}?done=created", 303)
    form = {"username": username, "full_name": full_name, "email": email, "grants": grants}
    return _users_page(request, db, actor, settings, form=form, errors=errors, status=422)


def _user_page(
    request: Request,
    db: Session,
    actor: Actor,
    settings: Settings,
    username: str,
    *,
    done: str = "",
    failed: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = get_user(db, username)
    grants = load_actor(db, user).grants
    locked = [lk for lk in accounts.lockouts(db, actor, settings) if lk.username == user.username]
    ctx = {
        "user": user,
        "grants": [f"{g.role}@{g.site_code}" if g.site_code else g.role for g in grants],
        "tokens": accounts.list_tokens(db, actor, user.username),
        "lockout": locked[0] if locked else None,
        "done": done,
        "failed": failed,
        "errors": errors or {},
        **_choices(db),
    }
    return render(request, "admin/user.html", ctx, actor=actor, status=status)


@router.get("/admin/users/{username}")
def user_page(
    request: Request, username: str, db: Db, actor: AdminActor, settings: Config, done: str = ""
) -> Response:
    return _user_page(request, db, actor, settings, username, done=done[:100])


def _act(
    request: Request,
    db: Session,
    actor: Actor,
    settings: Settings,
    username: str,
    done: str,
    action: Any,
) -> Response:
    """Run one account service; on refusal show the user's page with the message."""
    get_user(db, username)  # an unknown user is a 404, not a form error
    try:
        action()
    except MsctrialError as exc:
        db.rollback()
        # the user exists (checked above): an unknown site, role or token is a form error
        status = 422 if exc.status == 404 else exc.status
        errors = problems_of(exc)
        return _user_page(
            request, db, actor, settings, username, failed=done, errors=errors, status=status
        )
    return RedirectResponse(f"/admin/users/{username}?done={done}", status_code=303)


@router.post("/admin/users/{username}/roles")
def add_role(
    request: Request,
    username: str,
    db: Db,
    actor: AdminActor,
    settings: Config,
    role: Text = "",
    site: Text = "",
) -> Response:
    def grant() -> None:
        parsed, _ = parse_grant(role)
        grant_role(db, actor, get_user(db, username), parsed, site.strip().upper() or None)

    return _act(request, db, actor, settings, username, "role-added", grant)


@router.post("/admin/users/{username}/roles/remove")
def remove_role(
    request: Request,
    username: str,
    db: Db,
    actor: AdminActor,
    settings: Config,
    grant: Text = "",
    reason: Text = "",
) -> Response:
    def remove() -> None:
        accounts.remove_role(db, actor, username, grant, reason=reason)

    return _act(request, db, actor, settings, username, "role-removed", remove)


@router.post("/admin/users/{username}/deactivate")
def deactivate(
    request: Request, username: str, db: Db, actor: AdminActor, settings: Config, reason: Text = ""
) -> Response:
    def run() -> None:
        accounts.deactivate(db, actor, username, reason=reason)

    return _act(request, db, actor, settings, username, "deactivated", run)


@router.post("/admin/users/{username}/reactivate")
def reactivate(
    request: Request, username: str, db: Db, actor: AdminActor, settings: Config, reason: Text = ""
) -> Response:
    def run() -> None:
        accounts.reactivate(db, actor, username, reason=reason)

    return _act(request, db, actor, settings, username, "reactivated", run)


@router.post("/admin/users/{username}/password")
def reset_password(
    request: Request,
    username: str,
    db: Db,
    actor: AdminActor,
    settings: Config,
    password: Text = "",
    reason: Text = "",
) -> Response:
    def run() -> None:
        accounts.reset_password(db, actor, username, password, reason=reason)

    return _act(request, db, actor, settings, username, "password-reset", run)


@router.post("/admin/users/{username}/unlock")
def unlock(
    request: Request, username: str, db: Db, actor: AdminActor, settings: Config
) -> Response:
    def run() -> None:
        accounts.unlock(db, actor, username)

    return _act(request, db, actor, settings, username, "unlocked", run)


@router.post("/admin/users/{username}/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    username: str,
    token_id: TokenId,
    db: Db,
    actor: AdminActor,
    settings: Config,
    reason: Text = "",
) -> Response:
    def run() -> None:
        accounts.revoke_token(db, actor, username, token_id, reason=reason)

    return _act(request, db, actor, settings, username, "token-revoked", run)
