"""The Alembic migrations build exactly the schema the tables declare, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from msctrial.core.db import Base, import_all_tables
from msctrial.core.migrate import alembic_config, current_heads, upgrade


def test_migrations_match_the_tables(bare_engine):
    upgrade(bare_engine)
    import_all_tables()
    with bare_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"migrations and tables differ; run scripts/new_migration.py: {diff}"


def test_upgrading_twice_changes_nothing(bare_engine):
    upgrade(bare_engine)
    heads = current_heads(bare_engine)
    upgrade(bare_engine)
    assert current_heads(bare_engine) == heads
    script_heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert heads <= script_heads and heads
