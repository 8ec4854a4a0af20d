"""bedside check before the infusion

Revision ID: clinical_0005
Revises: clinical_0004
Create Date: 2026-12-03 08:32:44.206117
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import msctrial.core.db

revision = "clinical_0005"
down_revision = "clinical_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bedside_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("dispensation_id", sa.Integer(), nullable=True),
        sa.Column("scanned_unit_codes", sa.JSON(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("checked_by", sa.String(length=100), nullable=False),
        sa.Column("checked_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["planned_administration.id"],
            name=op.f("fk_bedside_check_administration_id_planned_administration"),
        ),
        sa.ForeignKeyConstraint(
            ["dispensation_id"],
            ["dispensation.id"],
            name=op.f("fk_bedside_check_dispensation_id_dispensation"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_bedside_check_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_bedside_check_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bedside_check")),
    )
    with op.batch_alter_table("bedside_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bedside_check_administration_id"), ["administration_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bedside_check_subject_id"), ["subject_id"], unique=False
        )

    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bedside_check_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_infusion_bedside_check_id_bedside_check"),
            "bedside_check",
            ["bedside_check_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_infusion_bedside_check_id_bedside_check"), type_="foreignkey"
        )
        batch_op.drop_column("bedside_check_id")

    with op.batch_alter_table("bedside_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bedside_check_subject_id"))
        batch_op.drop_index(batch_op.f("ix_bedside_check_administration_id"))

    op.drop_table("bedside_check")
