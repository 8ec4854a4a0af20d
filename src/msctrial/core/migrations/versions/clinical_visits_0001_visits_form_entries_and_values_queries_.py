"""visits, form entries and values, queries, adverse events, SAE reports, infusion reaction checks, study exits

Revision ID: clinical_visits_0001
Revises:
Create Date: 2026-11-25 19:37:10.505703
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import msctrial.core.db

revision = "clinical_visits_0001"
down_revision = None
branch_labels = ("clinical_visits",)
# The subject and infusion tables come from the clinical branch.
depends_on = ("core", "clinical_0001")


def upgrade() -> None:
    op.create_table(
        "study_exit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("exit_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_study_exit_site_id_site")),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_study_exit_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_exit")),
        sa.UniqueConstraint("subject_id", name=op.f("uq_study_exit_subject_id")),
    )
    op.create_table(
        "visit_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("visit_name", sa.String(length=100), nullable=False),
        sa.Column("study_day", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=True),
        sa.Column("not_done_reason", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_visit_record_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_visit_record_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_record")),
        sa.UniqueConstraint("subject_id", "visit_name", name="uq_visit_record"),
    )
    with op.batch_alter_table("visit_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_record_site_id"), ["site_id"], unique=False)

    op.create_table(
        "form_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("collected_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.Column("entered_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_form_entry_site_id_site")),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_form_entry_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit_record.id"], name=op.f("fk_form_entry_visit_id_visit_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_entry")),
    )
    with op.batch_alter_table("form_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_entry_subject_id"), ["subject_id"], unique=False)
        batch_op.create_index(
            "uq_form_entry_live",
            ["visit_id", "form"],
            unique=True,
            sqlite_where=sa.text("voided_at IS NULL"),
            postgresql_where=sa.text("voided_at IS NULL"),
        )

    op.create_table(
        "form_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Double(), nullable=True),
        sa.Column("unit", sa.String(length=24), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("entered", sa.Double(), nullable=True),
        sa.Column("entered_unit", sa.String(length=24), nullable=True),
        sa.Column("flag", sa.String(length=40), nullable=True),
        sa.Column("derived", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["form_entry.id"], name=op.f("fk_form_value_entry_id_form_entry")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_form_value_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_value")),
        sa.UniqueConstraint("entry_id", "item", name="uq_form_value_item"),
    )
    op.create_table(
        "adverse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("onset_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("seriousness", sa.JSON(), nullable=False),
        sa.Column("relationship_product", sa.String(length=16), nullable=False),
        sa.Column("relationship_infusion", sa.String(length=16), nullable=False),
        sa.Column("expectedness", sa.String(length=12), nullable=False),
        sa.Column("susar", sa.Boolean(), nullable=False),
        sa.Column("action_taken", sa.String(length=24), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("infusion_id", sa.Integer(), nullable=True),
        sa.Column("expected_reaction", sa.String(length=24), nullable=True),
        sa.Column("awareness_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.String(length=100), nullable=False),
        sa.Column("reported_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["infusion_id"], ["infusion.id"], name=op.f("fk_adverse_event_infusion_id_infusion")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_adverse_event_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_adverse_event_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
        sa.UniqueConstraint("subject_id", "number", name="uq_adverse_event_number"),
    )
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adverse_event_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_adverse_event_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "infusion_reaction_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("infusion_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("fever", sa.Boolean(), nullable=False),
        sa.Column("chills", sa.Boolean(), nullable=False),
        sa.Column("allergic_reaction", sa.Boolean(), nullable=False),
        sa.Column("local_inflammation", sa.Boolean(), nullable=False),
        sa.Column("max_temperature_c", sa.Double(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("checked_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["infusion_id"],
            ["infusion.id"],
            name=op.f("fk_infusion_reaction_check_infusion_id_infusion"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_infusion_reaction_check_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subject.id"],
            name=op.f("fk_infusion_reaction_check_subject_id_subject"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infusion_reaction_check")),
        sa.UniqueConstraint("infusion_id", name=op.f("uq_infusion_reaction_check_infusion_id")),
    )
    with op.batch_alter_table("infusion_reaction_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_infusion_reaction_check_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "data_query",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("item", sa.String(length=40), nullable=True),
        sa.Column("ae_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=False),
        sa.Column("raised_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("answered_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ae_id"], ["adverse_event.id"], name=op.f("fk_data_query_ae_id_adverse_event")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["form_entry.id"], name=op.f("fk_data_query_entry_id_form_entry")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_data_query_site_id_site")),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_data_query_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit_record.id"], name=op.f("fk_data_query_visit_id_visit_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_query")),
    )
    with op.batch_alter_table("data_query", schema=None) as batch_op:
        batch_op.create_index("ix_data_query_site_status", ["site_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_query_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "sae_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ae_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("clock_start_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ae_id"], ["adverse_event.id"], name=op.f("fk_sae_report_ae_id_adverse_event")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_sae_report_site_id_site")),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_sae_report_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sae_report")),
    )
    with op.batch_alter_table("sae_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sae_report_ae_id"), ["ae_id"], unique=False)
        batch_op.create_index("ix_sae_report_open", ["submitted_at", "due_at"], unique=False)

    op.create_table(
        "query_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["query_id"], ["data_query.id"], name=op.f("fk_query_message_query_id_data_query")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_query_message_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_message")),
    )
    with op.batch_alter_table("query_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_query_message_query_id"), ["query_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("query_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_query_message_query_id"))

    op.drop_table("query_message")
    with op.batch_alter_table("sae_report", schema=None) as batch_op:
        batch_op.drop_index("ix_sae_report_open")
        batch_op.drop_index(batch_op.f("ix_sae_report_ae_id"))

    op.drop_table("sae_report")
    with op.batch_alter_table("data_query", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_query_subject_id"))
        batch_op.drop_index("ix_data_query_site_status")

    op.drop_table("data_query")
    with op.batch_alter_table("infusion_reaction_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_infusion_reaction_check_subject_id"))

    op.drop_table("infusion_reaction_check")
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_subject_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_site_id"))

    op.drop_table("adverse_event")
    op.drop_table("form_value")
    with op.batch_alter_table("form_entry", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_form_entry_live",
            sqlite_where=sa.text("voided_at IS NULL"),
            postgresql_where=sa.text("voided_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_form_entry_subject_id"))

    op.drop_table("form_entry")
    with op.batch_alter_table("visit_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_record_site_id"))

    op.drop_table("visit_record")
    op.drop_table("study_exit")
