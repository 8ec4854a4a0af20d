"""the sponsor's assessment of a suspected SUSAR and its reports to the regulators

Revision ID: clinical_visits_0002
Revises: clinical_visits_0001
Create Date: 2026-12-03 08:43:11.528162
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import msctrial.core.db

revision = "clinical_visits_0002"
down_revision = "clinical_visits_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "susar_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ae_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("sponsor_aware_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=100), nullable=True),
        sa.Column("request_key", sa.String(length=64), nullable=True),
        sa.Column("conclusion", sa.String(length=24), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ae_id"], ["adverse_event.id"], name=op.f("fk_susar_assessment_ae_id_adverse_event")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_susar_assessment_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_susar_assessment_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_susar_assessment")),
        sa.UniqueConstraint("request_key", name=op.f("uq_susar_assessment_request_key")),
    )
    with op.batch_alter_table("susar_assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_susar_assessment_ae_id"), ["ae_id"], unique=False)

    op.create_table(
        "regulatory_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("ae_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("clock_start_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("assessed_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ae_id"], ["adverse_event.id"], name=op.f("fk_regulatory_report_ae_id_adverse_event")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["susar_assessment.id"],
            name=op.f("fk_regulatory_report_assessment_id_susar_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_regulatory_report_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_regulatory_report_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulatory_report")),
        info={"audit_blinded": True},
    )
    with op.batch_alter_table("regulatory_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_regulatory_report_assessment_id"), ["assessment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("regulatory_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regulatory_report_assessment_id"))

    op.drop_table("regulatory_report")
    with op.batch_alter_table("susar_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_susar_assessment_ae_id"))

    op.drop_table("susar_assessment")
