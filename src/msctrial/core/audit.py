"""The audit trail: every write of an ``Audited`` row, recorded by the session itself.

Services never write audit rows by hand. They open a session from ``make_sessionmaker``,
say who is acting (``attach``), and for a change to existing data say why (``because``).
At flush the session refuses deletes and reason-less updates, then appends one entry per
inserted or changed row: actor, UTC time, action, entity and id, each field's old → new,
reason, and the link to the previous entry: an HMAC-SHA256 under the audit key, which the
database does not hold (``core.audit_keys``). The single ``audit_head`` row is locked for
the append, so concurrent writers produce one unbroken chain (21 CFR Part 11 style).

``verify_chain`` (``core.audit_chain``) recomputes every link; an edit made behind the
application's back with plain SQL breaks the link after it, and without the key it cannot be
re-linked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session, attributes

from msctrial.core.actors import Actor
from msctrial.core.audit_chain import (  # re-exported: the trail's one face
    GENESIS,
    ChainReport,
    entry_hash,
    jsonable,
    keyring_of,
    legacy_mac,
    verify_chain,
)
from msctrial.core.audit_keys import Keyring
from msctrial.core.db import Base, utcnow
from msctrial.core.errors import Conflict, MsctrialError, PermissionDenied, ReasonRequired
from msctrial.core.tables import AuditEntry, AuditHead

SEALED = "[blinded]"
SECRET = "[secret]"


def attach(session: Session, actor: Actor) -> Session:
    """Name the user on whose behalf this session writes."""
    session.info["actor"] = actor
    return session


@contextmanager
def because(session: Session, reason: str | None, action: str | None = None) -> Iterator[Session]:
    """Give the reason (and optionally an action name) for the changes flushed inside."""
    old = session.info.get("reason"), session.info.get("action")
    if reason is not None:
        reason = reason.strip()
    session.info["reason"] = reason or None
    session.info["action"] = action
    try:
        yield session
        session.flush()
    finally:
        session.info["reason"], session.info["action"] = old


def require_reason(reason: str | None, what: str) -> str:
    """Refuse a change to existing data that comes without a reason."""
    if reason is None or not reason.strip():
        raise ReasonRequired(f"a reason is required to {what}", field="reason")
    return reason.strip()


def ensure_head(session: Session, keyring: Keyring | None = None) -> None:
    """Create the chain's head in a new database, with the signed marker that its links are
    keyed from the first entry on. An existing head is left alone: its marker is signed once,
    by the migration that met keyed links (core_0003), never re-signed over what is there."""
    if session.get(AuditHead, 1) is None:
        key_id, secret = (keyring or keyring_of(session)).signing()
        session.add(
            AuditHead(
                id=1,
                last_seq=0,
                last_hash=GENESIS,
                legacy_seq=0,
                legacy_key_id=key_id,
                legacy_mac=legacy_mac(secret, 0, GENESIS),
            )
        )
        session.flush()


# --- the session hooks ---------------------------------------------------------------------


def _is_audited(obj: object) -> bool:
    return getattr(type(obj), "__audited__", False)


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    audited_new = [o for o in session.new if _is_audited(o)]
    audited_dirty = [o for o in session.dirty if _is_audited(o) and session.is_modified(o)]
    for obj in session.deleted:
        if _is_audited(obj):
            raise Conflict(
                f"{type(obj).__tablename__} records are never deleted; void it with a reason instead"
            )
    if not (audited_new or audited_dirty):
        return
    if session.info.get("actor") is None:
        raise MsctrialError("internal: an audited write was attempted with no acting user")
    if audited_dirty and not session.info.get("reason"):
        obj = audited_dirty[0]
        raise ReasonRequired(
            f"changing existing {type(obj).__tablename__} data needs a reason", field="reason"
        )


def _after_flush(session: Session, _ctx: Any) -> None:
    actor = session.info.get("actor")
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if _is_audited(obj):
            rows.append(_entry_for(obj, "create", _created_values(obj)))
    for obj in session.dirty:
        if _is_audited(obj) and session.is_modified(obj):
            changes = _changed_values(obj)
            if not changes:
                continue
            action = session.info.get("action") or "update"
            if "voided_at" in changes and changes["voided_at"][0] is None:
                action = "void"
            rows.append(_entry_for(obj, action, changes))
    if rows:
        _append(session, actor.audit_name if actor else "unknown", session.info.get("reason"), rows)


def _columns(obj: object) -> Iterator[Any]:
    yield from inspect(type(obj)).column_attrs


def _split(obj: object, values: dict[str, list[Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    plain: dict[str, Any] = {}
    sealed: dict[str, Any] = {}
    for prop in _columns(obj):
        if prop.key not in values:
            continue
        info = prop.columns[0].info
        old, new = values[prop.key]
        if info.get("secret"):
            plain[prop.key] = [SECRET if old is not None else None, SECRET]
        elif info.get("blinded"):
            plain[prop.key] = [
                SEALED if old is not None else None,
                SEALED if new is not None else None,
            ]
            sealed[prop.key] = [jsonable(old), jsonable(new)]
        else:
            plain[prop.key] = [jsonable(old), jsonable(new)]
    return plain, sealed


def _created_values(obj: object) -> dict[str, list[Any]]:
    state = inspect(obj)
    out = {}
    for prop in _columns(obj):
        value = state.attrs[prop.key].loaded_value
        if value is not None and value is not attributes.NO_VALUE:
            out[prop.key] = [None, value]
    return out


def _changed_values(obj: object) -> dict[str, list[Any]]:
    out = {}
    for prop in _columns(obj):
        hist = attributes.get_history(obj, prop.key)
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if jsonable(old) != jsonable(new):
            out[prop.key] = [old, new]
    return out


def _entry_for(obj: object, action: str, values: dict[str, list[Any]]) -> dict[str, Any]:
    mapper = inspect(type(obj))
    pk = ":".join(str(v) for v in mapper.primary_key_from_instance(obj))
    plain, sealed = _split(obj, values)
    site_id = getattr(obj, "site_id", None)
    return {
        "action": action,
        "entity": mapper.local_table.name,
        "entity_id": pk,
        "changes": plain,
        "sealed_changes": sealed or None,
        "site_id": site_id if isinstance(site_id, int) else None,
    }


def _append(session: Session, actor: str, reason: str | None, rows: list[dict[str, Any]]) -> None:
    conn = session.connection()
    head = conn.execute(
        select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
    ).one_or_none()
    if head is None:
        raise MsctrialError(
            "internal: the audit trail is not initialised; run `msctrial db upgrade`"
        )
    seq, prev = head
    at = utcnow()
    key_id, secret = keyring_of(session).signing()
    entries = []
    for row in rows:
        seq += 1
        entry = {**row, "seq": seq, "at": at, "actor": actor, "reason": reason, "prev_hash": prev}
        entry["key_id"] = key_id
        prev = entry_hash(entry, secret)
        entries.append(entry)
    conn.execute(insert(AuditEntry), entries)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(last_seq=seq, last_hash=prev))


def install(session_class: type[Session]) -> None:
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)


# --- verification ---------------------------------------------------------------------------

# Who may verify the chain: the roles that answer for the trail's integrity.
VERIFIERS = ("monitor", "admin", "qc", "dsmb")


def can_verify(actor: Actor) -> bool:
    return actor.has_role(*VERIFIERS)


def verify_trail(session: Session, actor: Actor) -> ChainReport:
    """Verify the chain on behalf of ``actor`` (monitor, admin, QC or DSMB)."""
    actor.require(*VERIFIERS, to="verify the audit trail")
    return verify_chain(session)


def read_trail(
    session: Session,
    actor: Actor,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    before_seq: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Audit entries newest first, as the actor may see them.

    Trial-wide readers (monitor, admin, QC, DSMB) see every entry; site staff see their sites'
    entries only. Sealed (allocation-revealing) values are shown to unblinded roles alone, and
    the entries of an ``audit_blinded`` table not at all to blinded ones.
    """
    readers = (
        "monitor",
        "admin",
        "qc",
        "dsmb",
        "investigator",
        "coordinator",
        "pharmacist",
        "statistician",
    )
    if not actor.has_role(*readers):
        raise PermissionDenied("you have no role that may read the audit trail")
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(max(1, min(limit, 1000)))
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
    if before_seq:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    scope = actor.site_scope(*readers)
    if scope is not None:
        stmt = stmt.where(AuditEntry.site_id.in_(scope))
    if actor.is_blinded:
        stmt = stmt.where(AuditEntry.entity.not_in(blinded_entities()))
    out = []
    for e in session.scalars(stmt):
        row = {
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "changes": e.changes,
            "reason": e.reason,
            "site_id": e.site_id,
        }
        if not actor.is_blinded and e.sealed_changes:
            row["sealed_changes"] = e.sealed_changes
        out.append(row)
    return out


def blinded_entities() -> list[str]:
    """Tables whose every entry would tell the allocation (a SUSAR's regulatory reports: filed
    on cells, stopped on placebo), marked ``info={"audit_blinded": True}``: blinded readers of
    the trail do not see their entries at all, not even that one was written."""
    return sorted(t.name for t in Base.metadata.tables.values() if t.info.get("audit_blinded"))


def history(session: Session, entity: str, entity_id: str | int) -> list[AuditEntry]:
    """Every audit entry of one record, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.seq)
    )
    return list(session.scalars(stmt))
