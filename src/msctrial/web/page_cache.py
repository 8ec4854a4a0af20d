"""Computed page data kept until the trial's data changes, so a page does not recompute what
has not changed (issue 15: the monitoring dashboard took 5 s a view at 2,000 subjects).

Every write of clinical, product or protocol data goes through the audit trail, which moves
the audit head's sequence number in the same transaction: that number (less the entries that
record a reading of the unblinded report) is the data's version.
A cached value is keyed by it, by the UTC date (windows and overdue counts move at midnight)
and by the viewer's grants (what a user may see depends on their roles and sites alone), so a
value is never served to someone who could not have computed it, nor after a write.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.analysis.tables import UnblindedReport
from msctrial.core.actors import Actor
from msctrial.core.tables import AuditHead

T = TypeVar("T")
SIZE = 128


def data_version(session: Session) -> int:
    """The audit head's sequence number, which moves with every audited write, less the
    entries that only record a reading of the unblinded report (one entry each; they change no
    data, and counting them would make each DSMB reading recompute every page)."""
    head = select(AuditHead.last_seq).where(AuditHead.id == 1).scalar_subquery()
    readings = select(func.count()).select_from(UnblindedReport).scalar_subquery()
    return session.scalar(select(head - readings)) or 0


class PageCache:
    """A small least-recently-used store shared by one app's request threads."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def holds(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


def _store(request: Request) -> PageCache:
    store = getattr(request.app.state, "page_cache", None)
    if store is None:
        store = request.app.state.page_cache = PageCache()
    return store


def _key(db: Session, actor: Actor, name: str, extra: tuple[Hashable, ...]) -> Hashable:
    return (name, data_version(db), dt.datetime.now(dt.UTC).date(), actor.grants, extra)


def is_cached(request: Request, db: Session, actor: Actor, name: str, *extra: Hashable) -> bool:
    """Whether ``cached(...)`` with the same arguments would be served without computing."""
    return _store(request).holds(_key(db, actor, name, extra))


def cached(
    request: Request,
    db: Session,
    actor: Actor,
    name: str,
    compute: Callable[[], T],
    *extra: Hashable,
) -> T:
    """``compute()`` for this page, or its value from an earlier view of the same data."""
    return _store(request).get_or_compute(_key(db, actor, name, extra), compute)
