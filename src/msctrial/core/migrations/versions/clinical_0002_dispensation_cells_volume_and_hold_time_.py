"""dispensation: cells, volume and hold time sealed and never null

Revision ID: clinical_0002
Revises: clinical_0001
Create Date: 2026-11-25 18:59:36.847324
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "clinical_0002"
down_revision = "clinical_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dispensation", schema=None) as batch_op:
        batch_op.alter_column("cells_total", existing_type=sa.DOUBLE(), nullable=False)
        batch_op.alter_column("volume_ml", existing_type=sa.DOUBLE(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("dispensation", schema=None) as batch_op:
        batch_op.alter_column("volume_ml", existing_type=sa.DOUBLE(), nullable=True)
        batch_op.alter_column("cells_total", existing_type=sa.DOUBLE(), nullable=True)
