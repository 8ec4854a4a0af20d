"""registry store: MSC trials and loads

Revision ID: registry_0001
Revises:
Create Date: 2026-11-25 19:02:13.422881
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import msctrial.core.db

revision = "registry_0001"
down_revision = None
branch_labels = ("registry",)
depends_on = "core"


def upgrade() -> None:
    op.create_table(
        "registry_load",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.Column("paths", sa.JSON(), nullable=False),
        sa.Column("studies_read", sa.Integer(), nullable=False),
        sa.Column("msc_trials", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("problems_total", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_load")),
    )
    op.create_table(
        "registry_study",
        sa.Column("nct_id", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("institution", sa.Text(), nullable=True),
        sa.Column("overall_status", sa.String(length=40), nullable=True),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("phases", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("enrollment", sa.Integer(), nullable=True),
        sa.Column("product_type", sa.String(length=32), nullable=True),
        sa.Column("cell_source", sa.String(length=32), nullable=True),
        sa.Column("route", sa.String(length=32), nullable=True),
        sa.Column("administrations", sa.Integer(), nullable=True),
        sa.Column("source_format", sa.String(length=32), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("data_version", sa.String(length=32), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("loaded_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"], ["registry_load.id"], name=op.f("fk_registry_study_load_id_registry_load")
        ),
        sa.PrimaryKeyConstraint("nct_id", name=op.f("pk_registry_study")),
    )
    with op.batch_alter_table("registry_study", schema=None) as batch_op:
        batch_op.create_index("ix_registry_study_start_date", ["start_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("registry_study", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_study_start_date")

    op.drop_table("registry_study")
    op.drop_table("registry_load")
