"""Browser sessions held server-side, so that logging out ends one at once.

The cookie carries a random session id (signed by the session middleware, too); the database
keeps its SHA-256 with the user, the start, the last use and, once over, the end and why. A
session is valid while it is not ended, younger than ``session_max_age_s`` and used within
``session_idle_s``; one found past either limit is ended then. A cookie captured before logout
names an ended session and gets nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import update
from sqlalchemy.orm import Session

from msctrial.core.db import utcnow
from msctrial.core.settings import Settings
from msctrial.core.tables import User, WebSession

# Recording every request's use would write on every page view; a minute is precise enough
# for an idle timeout counted in tens of minutes.
TOUCH_EVERY = dt.timedelta(seconds=60)


def _sha(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_session(db: Session, user_id: int) -> str:
    """A new session for the user; returns the raw id for the cookie (stored only hashed)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(WebSession(id_sha256=_sha(raw), user_id=user_id, created_at=now, last_seen_at=now))
    db.commit()
    return raw


def _end(db: Session, key: str, reason: str) -> None:
    db.execute(
        update(WebSession)
        .where(WebSession.id_sha256 == key, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    db.commit()


def end_session(db: Session, raw: str | None, reason: str = "logout") -> None:
    """End the session (logout); an unknown or already ended id is left as it is."""
    if raw:
        _end(db, _sha(raw), reason)


def end_sessions_of(db: Session, user_id: int, reason: str) -> int:
    """End every open session of a user (deactivation, password or role change)."""
    result = db.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    db.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def session_user(db: Session, settings: Settings, raw: str | None) -> User | None:
    """The active user of a valid session, or None (ending a session found expired)."""
    if not raw:
        return None
    key = _sha(raw)
    row = db.get(WebSession, key)
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    if now - row.created_at > dt.timedelta(seconds=settings.session_max_age_s):
        _end(db, key, "expired")
        return None
    if now - row.last_seen_at > dt.timedelta(seconds=settings.session_idle_s):
        _end(db, key, "idle")
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        _end(db, key, "inactive")
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        db.execute(update(WebSession).where(WebSession.id_sha256 == key).values(last_seen_at=now))
        db.commit()
        user = db.get(User, row.user_id)
    return user
