"""Computed page data kept until the trial's data changes, so a page does not recompute what
has not changed (issue 15: the monitoring dashboard took 5 s a view at 2,000 subjects).

Every write of clinical, product or protocol data goes through the audit trail, which moves
the audit head's sequence number in the same transaction: that number is the data's version.
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
from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.tables import AuditHead

T = TypeVar("T")
SIZE = 128


def data_version(session: Session) -> int:
    """The audit head's sequence number: it moves with every audited write."""
    return session.scalar(select(AuditHead.last_seq).where(AuditHead.id == 1)) or 0


class PageCache:
    """A small least-recently-used store shared by one app's request threads."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

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


def cached(
    request: Request,
    db: Session,
    actor: Actor,
    name: str,
    compute: Callable[[], T],
    *extra: Hashable,
) -> T:
    """``compute()`` for this page, or its value from an earlier view of the same data."""
    store = getattr(request.app.state, "page_cache", None)
    if store is None:
        store = request.app.state.page_cache = PageCache()
    key = (name, data_version(db), dt.datetime.now(dt.UTC).date(), actor.grants, extra)
    return store.get_or_compute(key, compute)
