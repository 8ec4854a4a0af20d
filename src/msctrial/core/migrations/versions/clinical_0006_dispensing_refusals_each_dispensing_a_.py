"""dispensing refusals: each dispensing a rule refused

Revision ID: clinical_0006
Revises: clinical_0005
Create Date: 2026-12-04 19:21:33.546158
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import msctrial.core.db

revision = "clinical_0006"
down_revision = "clinical_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispensing_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("administration_no", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=80), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("refused_by", sa.String(length=100), nullable=False),
        sa.Column("refused_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_dispensing_refusal_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_dispensing_refusal_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispensing_refusal")),
    )
    with op.batch_alter_table("dispensing_refusal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispensing_refusal_subject_id"), ["subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dispensing_refusal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispensing_refusal_subject_id"))

    op.drop_table("dispensing_refusal")
