"""subjects on the screening log before consent: demographics empty, prescreened_on

Revision ID: clinical_0004
Revises: clinical_0003
Create Date: 2026-12-02 20:27:06.028485
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "clinical_0004"
down_revision = "clinical_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subject", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prescreened_on", sa.Date(), nullable=True))
        batch_op.alter_column("year_of_birth", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("sex", existing_type=sa.VARCHAR(length=8), nullable=True)
        batch_op.alter_column("weight_kg", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("subject", schema=None) as batch_op:
        batch_op.alter_column("weight_kg", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("sex", existing_type=sa.VARCHAR(length=8), nullable=False)
        batch_op.alter_column("year_of_birth", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("prescreened_on")
