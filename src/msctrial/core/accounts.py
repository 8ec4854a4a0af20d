"""Managing accounts: deactivate, reactivate, reset or change a password, remove a role, revoke
a token, and see who is locked out.

Each change is audited with its reason, and ends what it must at once: deactivation ends the
user's browser sessions and revokes their tokens; a password reset or change ends the sessions
(and, when an administrator resets it, the tokens, since the account may be in other hands); a
removed role ends the sessions, so no page keeps showing what the role allowed. Tokens also
expire (``token_max_age_days``, checked where they are used).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import Conflict, NotAuthenticated, NotFound
from msctrial.core.settings import Settings
from msctrial.core.tables import ApiToken, LoginAttempt, RoleGrant, Site, User
from msctrial.core.users import (
    get_user,
    hash_password,
    load_actor,
    parse_grant,
    verify_password,
)
from msctrial.core.web_sessions import end_sessions_of


@dataclass(frozen=True)
class Account:
    username: str
    full_name: str
    active: bool
    roles: tuple[str, ...]
    live_tokens: int


@dataclass(frozen=True)
class TokenInfo:
    id: int
    label: str
    created_at: dt.datetime
    revoked: bool


@dataclass(frozen=True)
class Lockout:
    username: str
    failures: int
    last_failure: dt.datetime


def _admin(actor: Actor, what: str) -> None:
    actor.require("admin", to=what)


def _not_oneself(actor: Actor, user: User, what: str) -> None:
    """An administrator cannot lock themself out: the trial could be left with no admin."""
    if actor.user_id is not None and actor.user_id == user.id:
        raise Conflict(f"username: you cannot {what}; ask another administrator", field="username")


def _revoke_tokens(session: Session, user: User, reason: str) -> int:
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.voided_at.is_(None))
    ).all()
    for token in tokens:
        token.voided_at = utcnow()
        token.void_reason = reason
    return len(tokens)


def list_accounts(session: Session, actor: Actor) -> list[Account]:
    """Every user with their live roles and how many live tokens they hold."""
    _admin(actor, "list users")
    users = session.scalars(select(User).order_by(User.username)).all()
    out = []
    for u in users:
        grants = load_actor(session, u).grants
        tokens = session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == u.id, ApiToken.voided_at.is_(None))
        )
        roles = tuple(f"{g.role}@{g.site_code}" if g.site_code else g.role for g in grants)
        out.append(Account(u.username, u.full_name, u.active, roles, int(tokens or 0)))
    return out


def deactivate(session: Session, actor: Actor, username: str, *, reason: str) -> User:
    """The user can no longer log in; their sessions end and their tokens are revoked."""
    _admin(actor, "deactivate users")
    reason = audit.require_reason(reason, "deactivate a user")
    user = get_user(session, username)
    _not_oneself(actor, user, "deactivate your own account")
    if not user.active:
        raise Conflict(f"user: {user.username!r} is already deactivated", field="username")
    audit.attach(session, actor)
    with audit.because(session, reason, action="deactivate"):
        user.active = False
        _revoke_tokens(session, user, reason)
    session.commit()
    end_sessions_of(session, user.id, "deactivated")
    return user


def reactivate(session: Session, actor: Actor, username: str, *, reason: str) -> User:
    _admin(actor, "reactivate users")
    reason = audit.require_reason(reason, "reactivate a user")
    user = get_user(session, username)
    if user.active:
        raise Conflict(f"user: {user.username!r} is active", field="username")
    audit.attach(session, actor)
    with audit.because(session, reason, action="reactivate"):
        user.active = True
    session.commit()
    return user


def reset_password(
    session: Session, actor: Actor, username: str, new_password: str, *, reason: str
) -> User:
    """An administrator sets a new password: the sessions end and the tokens are revoked."""
    _admin(actor, "reset passwords")
    reason = audit.require_reason(reason, "reset a password")
    user = get_user(session, username)
    digest = hash_password(new_password, user.username)
    audit.attach(session, actor)
    with audit.because(session, reason, action="reset password"):
        user.password_hash = digest
        _revoke_tokens(session, user, f"password reset: {reason}")
    session.commit()
    end_sessions_of(session, user.id, "password reset")
    return user


def change_password(session: Session, actor: Actor, old_password: str, new_password: str) -> None:
    """A user changes their own password, proving the old one; their sessions end."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or not verify_password(user.password_hash, old_password or ""):
        raise NotAuthenticated("password: the current password is wrong", field="old_password")
    digest = hash_password(new_password, user.username)
    audit.attach(session, actor)
    with audit.because(session, "changed by the user", action="change password"):
        user.password_hash = digest
    session.commit()
    end_sessions_of(session, user.id, "password changed")


def remove_role(session: Session, actor: Actor, username: str, grant: str, *, reason: str) -> None:
    """Void one grant (``investigator@WUH`` or ``monitor``); the user's sessions end."""
    _admin(actor, "remove roles")
    reason = audit.require_reason(reason, "remove a role")
    role, site_code = parse_grant(grant)
    user = get_user(session, username)
    if role == "admin":
        _not_oneself(actor, user, "remove your own admin role")
    stmt = select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role, RoleGrant.voided_at.is_(None)
    )
    if site_code:
        stmt = stmt.join(Site, Site.id == RoleGrant.site_id).where(Site.code == site_code)
    else:
        stmt = stmt.where(RoleGrant.site_id.is_(None))
    row = session.scalar(stmt)
    if row is None:
        raise NotFound(f"role: {user.username!r} does not hold {grant!r}", field="role")
    audit.attach(session, actor)
    with audit.because(session, reason, action="remove role"):
        row.voided_at = utcnow()
        row.void_reason = reason
    session.commit()
    end_sessions_of(session, user.id, "role removed")


def _own_or_admin(session: Session, actor: Actor, username: str, what: str) -> User:
    """The named user, if it is the actor themself or the actor is an administrator."""
    user = get_user(session, username)
    if actor.user_id != user.id:
        _admin(actor, what)
    return user


def list_tokens(session: Session, actor: Actor, username: str) -> list[TokenInfo]:
    user = _own_or_admin(session, actor, username, "see other users' tokens")
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    )
    return [TokenInfo(t.id, t.label, t.created_at, t.voided_at is not None) for t in rows]


def revoke_token(
    session: Session, actor: Actor, username: str, token_id: int, *, reason: str
) -> None:
    """Revoke one token of a user (their own, or anyone's for an administrator)."""
    user = _own_or_admin(session, actor, username, "revoke other users' tokens")
    reason = audit.require_reason(reason, "revoke a token")
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"token: {user.username!r} has no token {token_id}", field="token")
    if token.voided_at is not None:
        raise Conflict(f"token: {token_id} is already revoked", field="token")
    audit.attach(session, actor)
    with audit.because(session, reason, action="revoke token"):
        token.voided_at = utcnow()
        token.void_reason = reason
    session.commit()


def lockouts(session: Session, actor: Actor, settings: Settings) -> list[Lockout]:
    """Usernames with at least the allowed failures since their last success in the window.

    What an administrator checks when someone says they cannot log in: a user can be kept out
    by someone else's wrong passwords, and must not be without anyone seeing it.
    """
    _admin(actor, "see lockouts")
    since = utcnow() - dt.timedelta(seconds=settings.login_window_s)
    last_ok = (
        select(LoginAttempt.username, func.max(LoginAttempt.at).label("ok_at"))
        .where(LoginAttempt.success.is_(True))
        .group_by(LoginAttempt.username)
        .subquery()
    )
    rows = session.execute(
        select(LoginAttempt.username, func.count(), func.max(LoginAttempt.at))
        .outerjoin(last_ok, last_ok.c.username == LoginAttempt.username)
        .where(
            LoginAttempt.success.is_(False),
            LoginAttempt.at > since,
            (last_ok.c.ok_at.is_(None)) | (LoginAttempt.at > last_ok.c.ok_at),
            LoginAttempt.username != "",
        )
        .group_by(LoginAttempt.username)
        .having(func.count() >= settings.login_max_failures)
        .order_by(LoginAttempt.username)
    )
    return [Lockout(u, int(n), at) for u, n, at in rows]


def unlock(session: Session, actor: Actor, username: str) -> None:
    """Let a locked-out user try again now.

    The failures are kept; an unlock is recorded as a successful attempt from the address
    ``admin:<who unlocked>``, which is where the throttle starts counting again.
    """
    _admin(actor, "unlock users")
    user = get_user(session, username)
    session.add(
        LoginAttempt(
            username=user.username, ip=f"admin:{actor.audit_name}"[:64], at=utcnow(), success=True
        )
    )
    session.commit()
