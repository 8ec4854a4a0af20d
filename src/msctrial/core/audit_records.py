"""Records against their trail: find data changed behind the application's back.

The hash chain proves the trail itself was not edited; it cannot see a clinical value changed
with plain SQL, because such a change writes no entry. Replaying the trail gives, for every
audited record, the last value the application wrote to each column; a record whose current
value differs, or that has no entry at all, was written around the application; a record
the trail created that is no longer in its table was deleted around it (the application
never deletes) (``msctrial audit verify --records``). An entry whose changes are not the shape
the application writes is reported, not replayed. Secret columns are recorded only as "changed" and are
not compared; allocation-revealing columns are compared through their sealed values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core.audit import jsonable
from msctrial.core.db import Base, import_all_tables
from msctrial.core.tables import AuditEntry


@dataclass(frozen=True)
class Discrepancy:
    entity: str
    entity_id: str
    column: str | None  # None: the record has no audit entry at all (or is gone, or malformed)
    recorded: Any = None
    current: Any = None
    before_seq: int | None = None  # found inside the trail: the entry whose old value differs
    kind: str = "changed"  # "changed", "unaudited", "deleted" or "malformed"

    def __str__(self) -> str:
        if self.kind == "deleted":
            return (
                f"{self.entity} {self.entity_id} is in the audit trail (last entry "
                f"{self.before_seq}) but not in its table: it was deleted around the application"
            )
        if self.kind == "malformed":
            return (
                f"audit entry {self.before_seq} ({self.entity} {self.entity_id}) is malformed: "
                f"{self.current}"
            )
        if self.column is None:
            return f"{self.entity} {self.entity_id} has no audit entry: it was written around the application"
        if self.before_seq is not None:
            return (
                f"{self.entity} {self.entity_id}: {self.column} was changed from "
                f"{self.recorded!r} to {self.current!r} around the application before entry "
                f"{self.before_seq}"
            )
        return (
            f"{self.entity} {self.entity_id}: {self.column} is {self.current!r} but the audit "
            f"trail last recorded {self.recorded!r}"
        )


def _audited_mappers() -> Iterator[Any]:
    import_all_tables()
    for mapper in sorted(
        Base.registry.mappers, key=lambda m: str(m.persist_selectable.description)
    ):
        if getattr(mapper.class_, "__audited__", False):
            yield mapper


def _malformed(changes: Any, sealed: Any) -> str | None:
    """Why an entry's changes are not the application's shape ({column: [old, new]}), or None."""
    for name, value in (("changes", changes), ("sealed_changes", sealed)):
        if value is None:
            continue
        if not isinstance(value, dict):
            return f"its {name} is a {type(value).__name__}, not an object of columns"
        for column, pair in value.items():
            if not isinstance(pair, list) or len(pair) != 2:
                return f"its {name} for {column!r} is not an [old, new] pair"
    return None


def _recorded_state(
    session: Session, found: list[Discrepancy], last_seq: dict[tuple[str, str], int]
) -> dict[tuple[str, str], dict[str, Any]]:
    """(entity, id) → {column: last value written by the application}, replaying the trail.

    An update whose old value is not the value last recorded means the column was changed
    around the application in between; that goes to ``found`` even if later overwritten.
    ``last_seq`` receives each record's last entry; a malformed entry goes to ``found``.
    """
    from msctrial.core.audit import SEALED, SECRET

    state: dict[tuple[str, str], dict[str, Any]] = {}
    stmt = (
        select(
            AuditEntry.seq,
            AuditEntry.entity,
            AuditEntry.entity_id,
            AuditEntry.changes,
            AuditEntry.sealed_changes,
        )
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=2000)
    )
    for seq, entity, entity_id, changes, sealed in session.execute(stmt):
        problem = _malformed(changes, sealed)
        if problem is not None:
            found.append(Discrepancy(entity, entity_id, None, None, problem, seq, "malformed"))
            continue
        record = state.setdefault((entity, entity_id), {})
        last_seq[(entity, entity_id)] = seq
        values = {**(changes or {}), **(sealed or {})}
        for column, (old, new) in values.items():
            if column in record and old not in (SECRET, SEALED) and old != record[column]:
                found.append(Discrepancy(entity, entity_id, column, record[column], old, seq))
            record[column] = new
    return state


def verify_records(session: Session, limit: int = 100) -> list[Discrepancy]:
    """Every audited record compared with the trail's last values; at most ``limit`` found."""
    from msctrial.core.audit import SECRET

    found: list[Discrepancy] = []
    last_seq: dict[tuple[str, str], int] = {}
    recorded = _recorded_state(session, found, last_seq)
    present: set[tuple[str, str]] = set()
    for mapper in _audited_mappers():
        table = mapper.local_table
        columns = [
            prop
            for prop in mapper.column_attrs
            if not prop.columns[0].info.get("secret") and prop.columns[0].table is table
        ]
        pk = list(mapper.primary_key)
        rows = session.execute(
            select(*pk, *(p.columns[0] for p in columns)).execution_options(yield_per=2000)
        )
        for row in rows:
            entity_id = ":".join(str(v) for v in row[: len(pk)])
            present.add((table.name, entity_id))
            trail = recorded.get((table.name, entity_id))
            if trail is None:
                found.append(Discrepancy(table.name, entity_id, None, kind="unaudited"))
            else:
                for prop, value in zip(columns, row[len(pk) :], strict=True):
                    last = trail.get(prop.key)
                    if last == SECRET:
                        continue
                    if jsonable(value) != last:
                        found.append(
                            Discrepancy(table.name, entity_id, prop.key, last, jsonable(value))
                        )
            if len(found) >= limit:
                return found[:limit]
    tables = set(audited_tables())
    for key in sorted(k for k in recorded if k[0] in tables and k not in present):
        found.append(Discrepancy(key[0], key[1], None, before_seq=last_seq[key], kind="deleted"))
    return found[:limit]


def audited_tables() -> list[str]:
    return [m.local_table.name for m in _audited_mappers()]
