"""Apply the Alembic migrations of every package (``msctrial db upgrade`` and app start)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from msctrial.core.audit_keys import Keyring


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("msctrial.core") / "migrations"))
    cfg.set_main_option("path_separator", "os")
    if engine is not None:
        # configparser interpolates '%': a URL-encoded password or option must be escaped.
        url = engine.url.render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, keyring: Keyring | None = None) -> None:
    """Bring the database to the newest schema of every package, then seed the audit head.

    ``keyring`` (default: the keys the environment names) signs the audit head's marker of
    where keyed links begin, in a new database or in the migration that meets keyed links.
    """
    from msctrial.core.audit import ensure_head
    from msctrial.core.audit_keys import Keyring

    ring = keyring or Keyring.from_env()
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["audit_keyring"] = ring
        command.upgrade(cfg, "heads")
    with Session(engine) as session:
        ensure_head(session, ring)
        session.commit()


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
