"""subjects, screening, consent, randomisation, dosing and infusions

Revision ID: clinical_0001
Revises:
Create Date: 2026-11-25 18:54:09.588375
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import msctrial.core.db

revision = "clinical_0001"
down_revision = None
branch_labels = ("clinical",)
depends_on = ("core", "protocol")


def upgrade() -> None:
    op.create_table(
        "randomisation_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("seed_sha256", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=64), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("ratio", sa.JSON(), nullable=False),
        sa.Column("block_sizes", sa.JSON(), nullable=False),
        sa.Column("per_stratum", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"], ["trial.id"], name=op.f("fk_randomisation_list_trial_id_trial")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_randomisation_list")),
        sa.UniqueConstraint("trial_id", name=op.f("uq_randomisation_list_trial_id")),
    )
    op.create_table(
        "subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("subject_code", sa.String(length=24), nullable=False),
        sa.Column("year_of_birth", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("weight_kg", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=24), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("day0_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_subject_site_id_site")),
        sa.ForeignKeyConstraint(["trial_id"], ["trial.id"], name=op.f("fk_subject_trial_id_trial")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject")),
        sa.UniqueConstraint("trial_id", "site_id", "sequence", name="uq_subject_site_sequence"),
        sa.UniqueConstraint("trial_id", "subject_code", name="uq_subject_code"),
    )
    with op.batch_alter_table("subject", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subject_site_id"), ["site_id"], unique=False)

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("form_version", sa.String(length=40), nullable=False),
        sa.Column("consented_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("signer", sa.String(length=24), nullable=False),
        sa.Column("representative_name", sa.String(length=200), nullable=True),
        sa.Column("representative_relationship", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_consent_site_id_site")),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_consent_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "emergency_unblinding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("unblinded_by", sa.String(length=100), nullable=False),
        sa.Column("unblinded_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_emergency_unblinding_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_emergency_unblinding_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_unblinding")),
    )
    with op.batch_alter_table("emergency_unblinding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_unblinding_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "planned_administration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("study_day", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("optional", sa.Boolean(), nullable=False),
        sa.Column("unscheduled", sa.Boolean(), nullable=False),
        sa.Column("dose_text", sa.String(length=64), nullable=False),
        sa.Column("nominal_cells", sa.Double(), nullable=True),
        sa.Column("created_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_planned_administration_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subject.id"],
            name=op.f("fk_planned_administration_subject_id_subject"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_administration")),
        sa.UniqueConstraint("subject_id", "number", name="uq_administration_number"),
    )
    with op.batch_alter_table("planned_administration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planned_administration_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "randomisation_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("stratum", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("block_no", sa.Integer(), nullable=False),
        sa.Column("block_size", sa.Integer(), nullable=False),
        sa.Column("randomisation_no", sa.String(length=32), nullable=False),
        sa.Column("arm", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("used_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["randomisation_list.id"],
            name=op.f("fk_randomisation_slot_list_id_randomisation_list"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_randomisation_slot_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_randomisation_slot")),
        sa.UniqueConstraint("list_id", "stratum", "position", name="uq_slot_position"),
        sa.UniqueConstraint(
            "randomisation_no", name=op.f("uq_randomisation_slot_randomisation_no")
        ),
        sa.UniqueConstraint("subject_id", name=op.f("uq_randomisation_slot_subject_id")),
    )
    with op.batch_alter_table("randomisation_slot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_randomisation_slot_free",
            ["list_id", "stratum", "used_at", "position"],
            unique=False,
        )

    op.create_table(
        "screen_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("unmet_criteria", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_screen_failure_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_screen_failure_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screen_failure")),
        sa.UniqueConstraint("subject_id", name=op.f("uq_screen_failure_subject_id")),
    )
    op.create_table(
        "screening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("observations", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(length=24), nullable=False),
        sa.Column("pf_ratio", sa.Double(), nullable=True),
        sa.Column("pf_ratio_corrected", sa.Double(), nullable=True),
        sa.Column("ards_berlin", sa.String(length=16), nullable=True),
        sa.Column("who_scale", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("progressing_basis", sa.String(length=24), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_screening_site_id_site")),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_screening_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening")),
    )
    with op.batch_alter_table("screening", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("randomisation_no", sa.String(length=32), nullable=False),
        sa.Column("stratum", sa.String(length=200), nullable=False),
        sa.Column("arm", sa.String(length=200), nullable=False),
        sa.Column("allocated_by", sa.String(length=100), nullable=False),
        sa.Column("allocated_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_allocation_site_id_site")),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["randomisation_slot.id"],
            name=op.f("fk_allocation_slot_id_randomisation_slot"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_allocation_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation")),
        sa.UniqueConstraint("slot_id", name=op.f("uq_allocation_slot_id")),
        sa.UniqueConstraint("subject_id", name=op.f("uq_allocation_subject_id")),
    )
    op.create_table(
        "dispensation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("unit_codes", sa.JSON(), nullable=False),
        sa.Column("product_kind", sa.String(length=24), nullable=False),
        sa.Column("lot_codes", sa.JSON(), nullable=False),
        sa.Column("cells_total", sa.Double(), nullable=True),
        sa.Column("volume_ml", sa.Double(), nullable=True),
        sa.Column("thawed_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("max_hold_h", sa.Double(), nullable=False),
        sa.Column("dispensed_by", sa.String(length=100), nullable=False),
        sa.Column("dispensed_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["planned_administration.id"],
            name=op.f("fk_dispensation_administration_id_planned_administration"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_dispensation_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_dispensation_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispensation")),
    )
    with op.batch_alter_table("dispensation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispensation_administration_id"), ["administration_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dispensation_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "protocol_deviation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["planned_administration.id"],
            name=op.f("fk_protocol_deviation_administration_id_planned_administration"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_protocol_deviation_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_protocol_deviation_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_deviation")),
    )
    with op.batch_alter_table("protocol_deviation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protocol_deviation_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "infusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("dispensation_id", sa.Integer(), nullable=False),
        sa.Column("scanned_unit_codes", sa.JSON(), nullable=False),
        sa.Column("started_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("volume_ml", sa.Double(), nullable=False),
        sa.Column("vitals_before", sa.JSON(), nullable=False),
        sa.Column("vitals_after", sa.JSON(), nullable=False),
        sa.Column("premedication", sa.Text(), nullable=True),
        sa.Column("reactions", sa.JSON(), nullable=False),
        sa.Column("reaction_notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["planned_administration.id"],
            name=op.f("fk_infusion_administration_id_planned_administration"),
        ),
        sa.ForeignKeyConstraint(
            ["dispensation_id"],
            ["dispensation.id"],
            name=op.f("fk_infusion_dispensation_id_dispensation"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_infusion_site_id_site")),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_infusion_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infusion")),
    )
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_infusion_administration_id"), ["administration_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_infusion_subject_id"), ["subject_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_infusion_subject_id"))
        batch_op.drop_index(batch_op.f("ix_infusion_administration_id"))

    op.drop_table("infusion")
    with op.batch_alter_table("protocol_deviation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protocol_deviation_subject_id"))

    op.drop_table("protocol_deviation")
    with op.batch_alter_table("dispensation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispensation_subject_id"))
        batch_op.drop_index(batch_op.f("ix_dispensation_administration_id"))

    op.drop_table("dispensation")
    op.drop_table("allocation")
    with op.batch_alter_table("screening", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_subject_id"))

    op.drop_table("screening")
    op.drop_table("screen_failure")
    with op.batch_alter_table("randomisation_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_randomisation_slot_free")

    op.drop_table("randomisation_slot")
    with op.batch_alter_table("planned_administration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_administration_subject_id"))

    op.drop_table("planned_administration")
    with op.batch_alter_table("emergency_unblinding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_unblinding_subject_id"))

    op.drop_table("emergency_unblinding")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_subject_id"))

    op.drop_table("consent")
    with op.batch_alter_table("subject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_site_id"))

    op.drop_table("subject")
    op.drop_table("randomisation_list")
