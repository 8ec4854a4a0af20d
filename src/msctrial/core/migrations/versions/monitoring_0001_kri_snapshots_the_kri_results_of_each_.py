"""kri snapshots: the KRI results of each snapshot date

Revision ID: monitoring_0001
Revises:
Create Date: 2026-12-03 09:03:37.670499
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "monitoring_0001"
down_revision = None
branch_labels = ("monitoring",)
depends_on = "core"


def upgrade() -> None:
    op.create_table(
        "kri_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("kri", sa.String(length=16), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("numerator", sa.Double(), nullable=False),
        sa.Column("denominator", sa.Double(), nullable=False),
        sa.Column("metric", sa.Double(), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("flag", sa.Integer(), nullable=True),
        sa.Column("taken_by", sa.String(length=100), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_kri_snapshot_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kri_snapshot")),
        sa.UniqueConstraint("snapshot_date", "kri", "site_id", name="uq_kri_snapshot"),
    )
    with op.batch_alter_table("kri_snapshot", schema=None) as batch_op:
        batch_op.create_index("ix_kri_snapshot_kri_site", ["kri", "site_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_kri_snapshot_snapshot_date"), ["snapshot_date"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("kri_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kri_snapshot_snapshot_date"))
        batch_op.drop_index("ix_kri_snapshot_kri_site")

    op.drop_table("kri_snapshot")
