"""Alembic environment: run migrations on the connection handed over by ``core.migrate``."""

from __future__ import annotations

from alembic import context

from msctrial.core.db import Base, import_all_tables

import_all_tables()
target_metadata = Base.metadata
config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through `msctrial db upgrade`, which supplies the connection"
    )

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=config.attributes.get("include_object"),
)
with context.begin_transaction():
    context.run_migrations()
