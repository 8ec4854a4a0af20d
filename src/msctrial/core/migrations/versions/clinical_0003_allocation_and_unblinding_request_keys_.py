"""allocation and unblinding request keys (idempotency)

Revision ID: clinical_0003
Revises: clinical_0002
Create Date: 2026-12-02 20:17:30.901296
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "clinical_0003"
down_revision = "clinical_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_allocation_request_key"), ["request_key"])

    with op.batch_alter_table("emergency_unblinding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_emergency_unblinding_request_key"), ["request_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("emergency_unblinding", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_emergency_unblinding_request_key"), type_="unique")
        batch_op.drop_column("request_key")

    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_allocation_request_key"), type_="unique")
        batch_op.drop_column("request_key")
