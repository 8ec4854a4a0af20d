"""Users, their roles per site or trial-wide, passwords, API tokens and login throttling.

Who is acting (``Actor``) is defined in ``core.actors``; this module makes actors from stored
users, and keeps the users, their grants, passwords, tokens and login attempts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor, Grant
from msctrial.core.db import utcnow
from msctrial.core.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
)
from msctrial.core.passwords import check_password
from msctrial.core.settings import Settings
from msctrial.core.tables import ROLES, ApiToken, LoginAttempt, RoleGrant, Site, User

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-to-equalise-timing")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


# --- passwords ------------------------------------------------------------------------------


def hash_password(password: str, username: str = "") -> str:
    """Hash a new password, after the policy (``core.passwords``) has allowed it."""
    check_password(password, username)
    return _hasher.hash(password)


def verify_password(hash_: str, password: str) -> bool:
    try:
        return _hasher.verify(hash_, password)
    except (VerificationError, InvalidHashError):
        return False


# --- user administration --------------------------------------------------------------------


def _site_by_code(session: Session, code: str) -> Site:
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        known = ", ".join(session.scalars(select(Site.code).order_by(Site.code))) or "none yet"
        raise NotFound(f"site: unknown site code {code!r} (known: {known})", field="site")
    return site


def parse_grant(text: str) -> tuple[str, str | None]:
    """'investigator@WUH' → ('investigator', 'WUH'); 'monitor' → ('monitor', None)."""
    role, _, site = text.partition("@")
    role = role.strip().lower()
    if role not in ROLES:
        raise InvalidInput(
            f"role: {role!r} is not a role; allowed: {', '.join(ROLES)}", field="role"
        )
    return role, (site.strip() or None)


def add_user(
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    *,
    full_name: str = "",
    email: str | None = None,
    grants: Iterable[tuple[str, str | None]] = (),
) -> User:
    """Create a user with roles; ``grants`` pairs a role with a site code or None (trial-wide)."""
    actor.require("admin", to="add users")
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput(
            "username: use 2-64 lower-case letters, digits, '.', '_' or '-'", field="username"
        )
    if len(full_name) > 200:
        raise InvalidInput("full_name: at most 200 characters", field="full_name")
    if email is not None and (len(email) > 200 or "@" not in email):
        raise InvalidInput("email: give an address like name@hospital.org", field="email")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username: {username!r} is already taken", field="username")
    audit.attach(session, actor)
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        password_hash=hash_password(password, username),
    )
    session.add(user)
    session.flush()
    for role, site_code in grants:
        _grant(session, actor, user, role, site_code)
    session.commit()
    return user


def grant_role(
    session: Session, actor: Actor, user: User, role: str, site_code: str | None
) -> RoleGrant:
    """Give ``user`` a role at a site (by code) or trial-wide (``site_code`` None)."""
    grant = _grant(session, actor, user, role, site_code)
    session.commit()
    return grant


def _grant(
    session: Session, actor: Actor, user: User, role: str, site_code: str | None
) -> RoleGrant:
    actor.require("admin", to="grant roles")
    if role not in ROLES:
        raise InvalidInput(
            f"role: {role!r} is not a role; allowed: {', '.join(ROLES)}", field="role"
        )
    site_id = _site_by_code(session, site_code).id if site_code else None
    held = select(RoleGrant.id).where(
        RoleGrant.user_id == user.id,
        RoleGrant.role == role,
        RoleGrant.site_id.is_(None) if site_id is None else RoleGrant.site_id == site_id,
        RoleGrant.voided_at.is_(None),
    )
    if session.scalar(held) is not None:
        where = f"at {site_code}" if site_code else "trial-wide"
        raise Conflict(f"role: {user.username!r} already holds {role} {where}", field="role")
    audit.attach(session, actor)
    grant = RoleGrant(user_id=user.id, role=role, site_id=site_id)
    session.add(grant)
    session.flush()
    return grant


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"user: no user named {username!r}", field="username")
    return user


def load_actor(session: Session, user: User) -> Actor:
    rows = session.execute(
        select(RoleGrant.role, RoleGrant.site_id, Site.code)
        .outerjoin(Site, Site.id == RoleGrant.site_id)
        .where(RoleGrant.user_id == user.id, RoleGrant.voided_at.is_(None))
        .order_by(RoleGrant.id)
    )
    grants = tuple(Grant(role, site_id, code) for role, site_id, code in rows)
    return Actor(username=user.username, user_id=user.id, grants=grants, full_name=user.full_name)


# --- authentication and throttling ----------------------------------------------------------


def _check_throttle(
    session: Session, settings: Settings, username: str, ip: str, now: dt.datetime
) -> None:
    """Refuse a login while its username or address is in a back-off period.

    After ``login_max_failures`` failures in the window, each further failure doubles the wait
    (1 s, 2 s, 4 s … capped at the window), which makes guessing slow without locking a real
    user out for long. Addresses get ten times the allowance, for shared hospital NAT.
    """
    since = now - dt.timedelta(seconds=settings.login_window_s)
    for column, value, allowance in (
        (LoginAttempt.username, username, settings.login_max_failures),
        (LoginAttempt.ip, ip, settings.login_max_failures * 10),
    ):
        if not value:
            continue
        last_success = session.scalar(
            select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.success.is_(True))
        )
        start = max(since, last_success) if last_success else since
        failures, last_failure = session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                column == value, LoginAttempt.success.is_(False), LoginAttempt.at > start
            )
        ).one()
        if failures >= allowance and last_failure is not None:
            if last_failure.tzinfo is None:
                last_failure = last_failure.replace(tzinfo=dt.UTC)
            wait = min(2 ** (failures - allowance), settings.login_window_s)
            until = last_failure + dt.timedelta(seconds=wait)
            if now < until:
                seconds = max(1, int((until - now).total_seconds() + 0.999))
                raise TooManyAttempts(
                    f"too many failed logins; wait {seconds} s and try again",
                    retry_after=seconds,
                )


def _lock_attempts(session: Session, username: str, ip: str) -> None:
    """Make check, verify and record one atomic step per username and per address.

    Without it, parallel wrong passwords all pass the check before any is recorded. On
    PostgreSQL a transaction-scoped advisory lock per key (taken in a fixed order, so two
    attempts cannot deadlock) is held until the attempt is committed; on SQLite every
    transaction already begins IMMEDIATE, holding the database's write lock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(
        int.from_bytes(
            hashlib.sha256(f"login:{kind}:{value}".encode()).digest()[:8], "big", signed=True
        )
        for kind, value in (("user", username), ("ip", ip))
        if value
    )
    for key in keys:
        session.execute(sql_text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def authenticate(
    session: Session,
    settings: Settings,
    username: str,
    password: str,
    ip: str = "",
    now: dt.datetime | None = None,
) -> Actor:
    """Check a password; the refusal never says whether the user exists."""
    given = now
    now = now or utcnow()
    username = (username or "").strip().lower()[:64]
    try:
        _lock_attempts(session, username, ip[:64])
        _check_throttle(session, settings, username, ip, now)
    except BaseException:
        session.rollback()  # releases the lock
        raise
    user = session.scalar(select(User).where(User.username == username)) if username else None
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password or "")
    ok = ok and user is not None and user.active
    # the wait counts from the end of the attempt, not from its start
    at = given if given is not None else utcnow()
    session.add(LoginAttempt(username=username, ip=ip[:64], at=at, success=ok))
    session.commit()
    if not ok or user is None:
        raise NotAuthenticated("unknown username or wrong password")
    return load_actor(session, user)


def reauthenticate(session: Session, actor: Actor, password: str) -> None:
    """An e-signature: the acting user types their password again (21 CFR 11.200)."""
    if actor.user_id is None:
        if actor.system:
            return
        raise NotAuthenticated("signature: no user to sign as")
    user = session.get(User, actor.user_id)
    if user is None or not verify_password(user.password_hash, password or ""):
        raise NotAuthenticated(
            "signature: the password is wrong; the action was not signed", field="password"
        )


# --- API tokens -----------------------------------------------------------------------------


def create_token(session: Session, actor: Actor, user: User, label: str = "") -> str:
    """Issue a bearer token for ``user``; only its hash is kept, so show it once."""
    if actor.user_id != user.id:
        actor.require("admin", to="issue tokens for other users")
    if len(label) > 100:
        raise InvalidInput("label: at most 100 characters", field="label")
    raw = "mst_" + secrets.token_urlsafe(32)
    audit.attach(session, actor)
    session.add(ApiToken(user_id=user.id, token_sha256=_sha(raw), label=label))
    session.commit()
    return raw


def actor_for_token(session: Session, raw: str, *, max_age_days: int | None = None) -> Actor:
    """The actor of a live token: not revoked, its user active, and younger than the limit."""
    # One query for token and user: this runs on every API request.
    stmt = (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == _sha(raw), ApiToken.voided_at.is_(None))
    )
    if max_age_days is not None:
        stmt = stmt.where(ApiToken.created_at > utcnow() - dt.timedelta(days=max_age_days))
    user = session.scalar(stmt)
    if user is None or not user.active:
        raise NotAuthenticated("the API token is unknown, revoked or expired")
    return load_actor(session, user)


def _sha(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
