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
import logging
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
        self._running: dict[Hashable, threading.Thread] = {}
        self._failed: dict[Hashable, str] = {}
        self._lock = threading.Lock()

    def start(self, key: Hashable, compute: Callable[[], Any]) -> None:
        """Compute ``key``'s value in a thread of its own, unless it is held or under way."""
        with self._lock:
            if key in self._values or key in self._running:
                return
            self._failed.pop(key, None)
            thread = threading.Thread(target=self._run, args=(key, compute), daemon=True)
            self._running[key] = thread
        thread.start()

    def _run(self, key: Hashable, compute: Callable[[], Any]) -> None:
        try:
            self.get_or_compute(key, compute)
        except Exception as exc:  # noqa: BLE001 - shown on the page that waits for it
            logging.getLogger("msctrial").exception("computing %s failed", key)
            with self._lock:
                self._failed[key] = str(exc) or type(exc).__name__
        finally:
            with self._lock:
                self._running.pop(key, None)

    def running(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._running

    def failure(self, key: Hashable) -> str | None:
        with self._lock:
            return self._failed.get(key)

    def failure_seen(self, key: Hashable) -> None:
        """Forget a failure once it was shown, so the next view tries again."""
        with self._lock:
            self._failed.pop(key, None)

    def peek(self, key: Hashable) -> Any | None:
        with self._lock:
            return self._values.get(key)

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


def is_computing(request: Request, db: Session, actor: Actor, name: str, *extra: Hashable) -> bool:
    """Whether ``in_background(...)`` with the same arguments is already computing."""
    return _store(request).running(_key(db, actor, name, extra))


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


def in_background(
    request: Request,
    db: Session,
    actor: Actor,
    name: str,
    compute: Callable[[Session], T],
    *extra: Hashable,
) -> tuple[T | None, str | None]:
    """The value if it is ready; else start computing it, on a session of its own, and give
    (None, None), or (None, the error) when the last try failed. A page shows progress while
    it waits rather than hanging on a computation of many seconds."""
    store = _store(request)
    key = _key(db, actor, name, extra)
    ready = store.peek(key)
    if ready is not None:
        return ready, None
    failed = store.failure(key)
    if failed is not None:
        store.failure_seen(key)
        return None, failed
    factory = request.app.state.sessionmaker

    def run() -> T:
        with factory() as session:
            return compute(session)

    store.start(key, run)
    return None, None
