"""Users choose the interface language: ``app_user.locale`` ("en", "zh-CN"; null: the browser's).

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-06 21:42:25.437227
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("locale")
