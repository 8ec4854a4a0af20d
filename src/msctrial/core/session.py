"""Sessions: the unit of work, audited by construction.

Every session the application opens is a ``TrialSession``, on which ``core.audit`` installs its
flush hooks: an insert or update of an ``Audited`` row is on the hash-chained trail, a delete
is refused. ``transaction`` commits once at the end or rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from msctrial.core import audit
from msctrial.core.audit_keys import Keyring
from msctrial.core.db import Base, import_all_tables


class TrialSession(Session):
    """A session whose flushes are audited: the hooks of ``core.audit`` are installed on it."""


audit.install(TrialSession)


def make_sessionmaker(engine: Engine, keyring: Keyring | None = None) -> sessionmaker[TrialSession]:
    """Sessions on ``engine`` whose audit entries are signed with ``keyring`` (by default the
    keys the environment names, ``core.audit_keys``)."""
    ring = keyring or Keyring.from_env()
    return sessionmaker(
        engine, class_=TrialSession, expire_on_commit=False, info={"audit_keyring": ring}
    )


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit at the end, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def create_all(engine: Engine, keyring: Keyring | None = None) -> None:
    """Create every table directly (tests); deployments use the Alembic migrations."""
    import_all_tables()
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        audit.ensure_head(session, keyring)
        session.commit()
