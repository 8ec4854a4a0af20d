"""The chain's links, their verification, and checkpoints that anchor the head outside.

A link is the HMAC-SHA256, under the audit key named in the entry's ``key_id``, of the entry's
canonical JSON (which holds the previous link, so each link commits to the whole trail before
it). Entries written before keyed links (``key_id`` null) are *legacy* links, a plain SHA-256
of the same JSON without the key id: they verify as before, but only before the first keyed
entry; an unkeyed entry after it was written around the application.

A *checkpoint* is the head (sequence, link, time, key id) with an HMAC over it, written for
someone outside the database to keep; ``verify_chain(…, checkpoint=…)`` proves that the entry
at its sequence still has that link, so nothing up to it changed and nothing up to it is gone.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core.audit_keys import Keyring, mac
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput
from msctrial.core.tables import AuditEntry, AuditHead

GENESIS = "0" * 64
CHECKPOINT_FORMAT = "msctrial-audit-checkpoint/1"


def jsonable(value: Any) -> Any:
    """A JSON-safe, canonical form of a column value (same on SQLite and PostgreSQL)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def _canonical(entry: dict[str, Any]) -> bytes:
    canonical = {
        "seq": entry["seq"],
        "at": jsonable(entry["at"]),
        "actor": entry["actor"],
        "action": entry["action"],
        "entity": entry["entity"],
        "entity_id": entry["entity_id"],
        "changes": entry["changes"],
        "sealed_changes": entry.get("sealed_changes"),
        "reason": entry.get("reason"),
        "site_id": entry.get("site_id"),
        "prev_hash": entry["prev_hash"],
    }
    if entry.get("key_id") is not None:
        canonical["key_id"] = entry["key_id"]  # the key is bound into what it signs
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def entry_hash(entry: dict[str, Any], secret: bytes | None = None) -> str:
    """The link the next entry stores: HMAC-SHA256 under ``secret``, or (a legacy entry, no
    key id) the plain SHA-256 of the entry's canonical JSON."""
    text = _canonical(entry)
    if entry.get("key_id") is None:
        return hashlib.sha256(text).hexdigest()
    if secret is None:
        raise ValueError("a keyed entry needs its key")
    return mac(secret, text)


def legacy_mac(secret: bytes, legacy_seq: int, link: str) -> str:
    """The HMAC of the marker "links are plain SHA-256 up to entry ``legacy_seq``, whose link
    is ``link``, and keyed after it"."""
    return mac(secret, json.dumps({"legacy_seq": legacy_seq, "link": link}).encode())


def keyring_of(session: Session) -> Keyring:
    ring = session.info.get("audit_keyring")
    return ring if isinstance(ring, Keyring) else Keyring.from_env()


@dataclass(frozen=True)
class Checkpoint:
    """The signed head of the chain, for a third party to keep."""

    seq: int
    hash: str
    at: str
    key_id: str
    hmac: str

    def body(self) -> bytes:
        fields = {
            "format": CHECKPOINT_FORMAT,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "key_id": self.key_id,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def to_dict(self) -> dict[str, Any]:
        return {"format": CHECKPOINT_FORMAT, **self.__dict__}

    @classmethod
    def from_dict(cls, data: Any, what: str = "checkpoint") -> Checkpoint:
        """A checkpoint read back from its JSON, or InvalidInput saying what is wrong."""
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
            raise InvalidInput(f"{what}: not an msctrial audit checkpoint", field=what)
        kinds = {"seq": int, "hash": str, "at": str, "key_id": str, "hmac": str}
        for name, kind in kinds.items():
            value = data.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise InvalidInput(f"{what}: its {name} is missing or not a {kind.__name__}")
        if data["seq"] < 0:
            raise InvalidInput(f"{what}: its seq is negative", field=what)
        return cls(*(data[name] for name in kinds))


def make_checkpoint(session: Session, keyring: Keyring | None = None) -> Checkpoint:
    """Sign the head as it stands (the caller verifies the chain first)."""
    keyring = keyring or keyring_of(session)
    head = session.get(AuditHead, 1)
    if head is None:
        raise InvalidInput("the audit head row is missing; run `msctrial db upgrade`")
    key_id, secret = keyring.signing()
    at = utcnow().replace(microsecond=0).isoformat()
    unsigned = Checkpoint(head.last_seq, head.last_hash, at, key_id, "")
    return Checkpoint(head.last_seq, head.last_hash, at, key_id, mac(secret, unsigned.body()))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken_seq: int | None = None
    problem: str | None = None
    legacy: int = 0  # entries linked by plain SHA-256, written before keyed links
    key_ids: tuple[str, ...] = ()  # the keys the keyed entries were signed with
    unverifiable: bool = False  # a key the keyring does not hold: neither intact nor broken


def _checkpoint_problem(checkpoint: Checkpoint, keyring: Keyring) -> ChainReport | None:
    secret = keyring.get(checkpoint.key_id)
    if secret is None:
        return ChainReport(
            False,
            0,
            None,
            f"the checkpoint is signed with audit key {checkpoint.key_id!r}, which the keyring "
            f"({keyring.where()}) does not hold: it cannot be checked",
            unverifiable=True,
        )
    if not _same(mac(secret, checkpoint.body()), checkpoint.hmac):
        return ChainReport(
            False, 0, None, "the checkpoint's signature does not match: the checkpoint was altered"
        )
    return None


def _marker_problem(head: AuditHead, keyring: Keyring) -> ChainReport | None:
    if head.legacy_mac is None or head.legacy_seq is None or head.legacy_key_id is None:
        return ChainReport(
            False,
            0,
            None,
            "the audit head has no signed marker of where keyed links begin: it was stripped "
            "around the application, or the database was not upgraded (`msctrial db upgrade`)",
        )
    if keyring.get(head.legacy_key_id) is None:
        return ChainReport(
            False,
            0,
            None,
            f"the head's marker is signed with audit key {head.legacy_key_id!r}, which the "
            f"keyring ({keyring.where()}) does not hold: the trail cannot be verified",
            unverifiable=True,
        )
    return None


def _marker_holds(secret: bytes, head: AuditHead, link: str) -> bool:
    return _same(legacy_mac(secret, head.legacy_seq or 0, link), head.legacy_mac or "")


def _marker_altered(entries: int = 0) -> ChainReport:
    return ChainReport(
        False,
        entries,
        None,
        "the head's signed marker of where keyed links begin does not match the trail: the "
        "marker or the plain SHA-256 links before it were rewritten",
    )


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def verify_chain(
    session: Session, keyring: Keyring | None = None, checkpoint: Checkpoint | None = None
) -> ChainReport:
    """Recompute every link of the chain, streaming, and name the first broken entry; with a
    ``checkpoint``, also prove the entry at its sequence still has the link it vouches for."""
    keyring = keyring or keyring_of(session)
    if checkpoint is not None and (bad := _checkpoint_problem(checkpoint, keyring)):
        return bad
    head = session.get(AuditHead, 1)
    if head is None:
        return ChainReport(False, 0, None, "the audit head row is missing")
    if (bad := _marker_problem(head, keyring)) is not None:
        return bad
    boundary = head.legacy_seq or 0
    marker_secret = keyring.get(head.legacy_key_id or "")
    prev, n, legacy, keyed_from = GENESIS, 0, 0, None
    if boundary == 0 and marker_secret and not _marker_holds(marker_secret, head, GENESIS):
        return _marker_altered()
    key_ids: dict[str, None] = {}
    at_checkpoint = None
    cols = list(AuditEntry.__table__.columns)
    result = session.execute(
        select(*cols).order_by(AuditEntry.seq).execution_options(yield_per=2000)
    )
    for row in result.mappings():
        n += 1
        seq = row["seq"]
        if seq != n:
            return ChainReport(False, n - 1, n, f"entry {n} is missing")
        if row["prev_hash"] != prev:
            return ChainReport(
                False,
                n - 1,
                seq - 1 if seq > 1 else seq,
                f"entry {seq - 1} was altered after it was written: its hash no longer matches "
                f"the link stored in entry {seq}"
                if seq > 1
                else "entry 1 does not start the chain",
            )
        key_id = row["key_id"]
        secret = None
        if key_id is None:
            if seq > boundary:
                return ChainReport(
                    False,
                    n - 1,
                    seq,
                    f"entry {seq} is an unkeyed (SHA-256) link after keyed links began at entry "
                    f"{keyed_from or boundary + 1}: it was rewritten around the application",
                )
            legacy += 1
        elif seq <= boundary:
            return ChainReport(
                False,
                n - 1,
                seq,
                f"entry {seq} is keyed but the head's signed marker says links are plain "
                f"SHA-256 up to entry {boundary}: the trail was rewritten",
            )
        else:
            secret = keyring.get(key_id)
            if secret is None:
                return ChainReport(
                    False,
                    n - 1,
                    seq,
                    f"entry {seq} is signed with audit key {key_id!r}, which the keyring "
                    f"({keyring.where()}) does not hold: it cannot be verified",
                    unverifiable=True,
                )
            keyed_from = keyed_from or seq
            key_ids[key_id] = None
        prev = entry_hash(dict(row), secret)
        if checkpoint is not None and seq == checkpoint.seq:
            at_checkpoint = prev
        if seq == boundary and marker_secret and not _marker_holds(marker_secret, head, prev):
            return _marker_altered(n)
    ids = tuple(key_ids)
    if boundary > n:
        return ChainReport(
            False,
            n,
            n + 1,
            f"the trail ends at entry {n} but the head's signed marker counts {boundary} entries "
            f"before keyed links: entries {n + 1} to {boundary} were removed",
            legacy=legacy,
            key_ids=ids,
        )
    if head.last_seq != n:
        return ChainReport(
            False, n, n + 1, f"entries after {n} are missing", legacy=legacy, key_ids=ids
        )
    if head.last_hash != prev:
        return ChainReport(
            False,
            n,
            n,
            f"entry {n} was altered after it was written: its hash no longer matches the head",
            legacy=legacy,
            key_ids=ids,
        )
    if checkpoint is not None:
        if checkpoint.seq > n:
            return ChainReport(
                False,
                n,
                n + 1,
                f"the trail ends at entry {n} but the checkpoint of {checkpoint.at} vouches for "
                f"{checkpoint.seq}: entries {n + 1} to {checkpoint.seq} were removed",
                legacy=legacy,
                key_ids=ids,
            )
        if (at_checkpoint or GENESIS) != checkpoint.hash:
            return ChainReport(
                False,
                n,
                checkpoint.seq,
                f"entry {checkpoint.seq} no longer has the link the checkpoint of "
                f"{checkpoint.at} recorded: the trail up to it was rewritten",
                legacy=legacy,
                key_ids=ids,
            )
    return ChainReport(True, n, legacy=legacy, key_ids=ids)
