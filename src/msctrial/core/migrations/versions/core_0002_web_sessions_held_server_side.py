"""Web sessions held server-side, so that logout, idle time and the lifetime end them.

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-12-03 10:09:51.007285
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import msctrial.core.db

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_web_session_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id_sha256", name=op.f("pk_web_session")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index("ix_web_session_user_id", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index("ix_web_session_user_id")

    op.drop_table("web_session")
