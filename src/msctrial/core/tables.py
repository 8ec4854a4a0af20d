"""Core tables: sites, users and their role grants, API tokens, login attempts, the audit trail.

Every class that mixes in ``Audited`` has each insert and update written to the audit trail by
the session itself (``core.audit``) and can never be deleted; ``Voidable`` adds the columns
that replace deletion.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from msctrial.core.db import Base, UTCDateTime, utcnow

ROLES = (
    "investigator",
    "coordinator",
    "pharmacist",
    "qc",
    "monitor",
    "statistician",
    "dsmb",
    "admin",
    "safety",  # sponsor pharmacovigilance: unblinded for the SUSAR cases it assesses only
)


class Audited:
    """Marker: the session audits every write to this table and refuses deletes."""

    __audited__ = True


class Voidable:
    """Records are never deleted; they are voided with a reason and stay readable."""

    @declared_attr
    def voided_at(cls) -> Mapped[dt.datetime | None]:
        return mapped_column(UTCDateTime(), default=None)

    @declared_attr
    def void_reason(cls) -> Mapped[str | None]:
        return mapped_column(Text, default=None)

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class Site(Audited, Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    # Altitude and barometric pressure feed the P/F altitude correction (CLINICAL_FACTS §0.1).
    altitude_m: Mapped[float | None] = mapped_column(default=None)
    barometric_pressure_mmhg: Mapped[float | None] = mapped_column(default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(default=True)


class User(Audited, Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    password_hash: Mapped[str] = mapped_column(String(255), info={"secret": True})
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The interface language the user chose ("en", "zh-CN"); None: the browser's.
    locale: Mapped[str | None] = mapped_column(String(16), default=None)

    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user", lazy="select")


class RoleGrant(Audited, Voidable, Base):
    """A role held at one site, or trial-wide when ``site_id`` is null."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "site_id", name="uq_role_grant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    role: Mapped[str] = mapped_column(String(32))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), default=None)

    user: Mapped[User] = relationship(back_populates="grants")
    site: Mapped[Site | None] = relationship(lazy="joined")


class ApiToken(Audited, Voidable, Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, info={"secret": True})
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginAttempt(Base):
    """Failed and successful logins, for throttling. Not clinical data, so not audited."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    success: Mapped[bool] = mapped_column(default=False)


class WebSession(Base):
    """A browser's login, held server-side: the cookie carries only a random id whose SHA-256
    is the key here, so logout (or idle time, or the lifetime) ends it at once. Login state,
    not clinical data, so not audited; never deleted: ``ended_at`` closes it."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_user_id", "user_id"),)

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    end_reason: Mapped[str | None] = mapped_column(String(32), default=None)


class AuditEntry(Base):
    """One entry of the append-only audit trail, linked to the one before by a keyed hash."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Old and new values of columns that would reveal the allocation; shown only to
    # unblinded roles, but covered by the hash like everything else.
    sealed_changes: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    site_id: Mapped[int | None] = mapped_column(default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # The audit key this entry's link is an HMAC under (``core.audit_keys``); null on entries
    # written before links were keyed, which are plain SHA-256 links.
    key_id: Mapped[str | None] = mapped_column(String(32), default=None)


class AuditHead(Base):
    """The single row that serialises writers and anchors the end of the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    # Where keyed links begin, signed when the database first met keyed links (``ensure_head``):
    # entries up to ``legacy_seq`` are plain SHA-256 links, every later one is keyed. The HMAC
    # covers the link of entry ``legacy_seq``, so neither can be moved or stripped unseen.
    legacy_seq: Mapped[int | None] = mapped_column(default=None)
    legacy_key_id: Mapped[str | None] = mapped_column(String(32), default=None)
    legacy_mac: Mapped[str | None] = mapped_column(String(64), default=None)
