"""trials of every registry: trial_id, registry, registration date, links

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-12-02 05:22:05.872473
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "registry_0002"
down_revision = "registry_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The primary key keeps its rows: nct_id is renamed trial_id and widened, since a trial's
    # own id on another register is longer (EUCTR2020-001266-11-ES). Loaded rows were all
    # ClinicalTrials.gov records, so the new columns' defaults are true of them.
    with op.batch_alter_table("registry_study", schema=None) as batch_op:
        batch_op.alter_column(
            "nct_id",
            new_column_name="trial_id",
            existing_type=sa.String(length=16),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
        batch_op.add_column(
            sa.Column(
                "registry", sa.String(length=64), nullable=False,
                server_default="ClinicalTrials.gov",
            )
        )  # fmt: skip
        batch_op.add_column(sa.Column("registered_on", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("cancelled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("combined", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("linked_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("url", sa.Text(), nullable=True))
        batch_op.create_index("ix_registry_study_registered_on", ["registered_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("registry_study", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_study_registered_on")
        for column in ("url", "linked_ids", "combined", "cancelled", "registered_on", "registry"):
            batch_op.drop_column(column)
        batch_op.alter_column(
            "trial_id",
            new_column_name="nct_id",
            existing_type=sa.String(length=64),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
