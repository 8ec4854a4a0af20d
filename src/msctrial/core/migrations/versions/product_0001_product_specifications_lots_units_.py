"""product: specifications, lots, units, inspections, results, signatures, issues, recall follow-ups

Revision ID: product_0001
Revises:
Create Date: 2026-11-25 19:11:44.089269
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import msctrial.core.db

revision = "product_0001"
down_revision = None
branch_labels = ("product",)
depends_on = "core"


def upgrade() -> None:
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tissue_source", sa.String(length=40), nullable=True),
        sa.Column("donor_type", sa.String(length=16), nullable=True),
        sa.Column("shelf_life_days", sa.Integer(), nullable=True),
        sa.Column("max_hold_h", sa.Float(), nullable=True),
        sa.Column("created_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("code", name=op.f("uq_product_code")),
    )
    op.create_table(
        "product_specification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_specification")),
        sa.UniqueConstraint("name", "version", name="uq_product_specification"),
    )
    op.create_table(
        "lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("specification_id", sa.Integer(), nullable=False),
        sa.Column("process_version", sa.String(length=20), nullable=False),
        sa.Column("donor_code", sa.String(length=40), nullable=True),
        sa.Column("passage", sa.Integer(), nullable=True),
        sa.Column("manufactured_on", sa.Date(), nullable=False),
        sa.Column("cryopreserved_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("storage_location", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_lot_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["specification_id"],
            ["product_specification.id"],
            name=op.f("fk_lot_specification_id_product_specification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot")),
        sa.UniqueConstraint("code", name=op.f("uq_lot_code")),
    )
    op.create_table(
        "lot_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("meaning", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("signed_by", sa.String(length=100), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_lot_signature_lot_id_lot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_signature")),
    )
    with op.batch_alter_table("lot_signature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lot_signature_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "product_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("process_version", sa.String(length=20), nullable=False),
        sa.Column("specification_id", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("opened_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lot.id"], name=op.f("fk_product_inspection_lot_id_lot")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_inspection_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["specification_id"],
            ["product_specification.id"],
            name=op.f("fk_product_inspection_specification_id_product_specification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_inspection")),
        sa.UniqueConstraint("lot_id", "level", name="uq_product_inspection"),
    )
    op.create_table(
        "product_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Float(), nullable=True),
        sa.Column("volume_ml", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_product_unit_lot_id_lot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_product_unit_code")),
    )
    with op.batch_alter_table("product_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_unit_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "recall_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("subject_code", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("created_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lot.id"], name=op.f("fk_recall_follow_up_lot_id_lot")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_recall_follow_up_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_follow_up")),
        sa.UniqueConstraint("lot_id", "subject_code", name="uq_recall_follow_up"),
    )
    op.create_table(
        "product_test_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("test_code", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("tested_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.Column("entered_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["product_inspection.id"],
            name=op.f("fk_product_test_result_inspection_id_product_inspection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_test_result")),
    )
    with op.batch_alter_table("product_test_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_test_result_inspection", ["inspection_id", "test_code"], unique=False
        )

    op.create_table(
        "unit_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=20), nullable=False),
        sa.Column("subject_code", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("administration_no", sa.Integer(), nullable=False),
        sa.Column("issued_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        sa.Column("thawed_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=100), nullable=True),
        sa.Column("returned_to_stock", sa.Boolean(), nullable=False),
        sa.Column("voided_at", msctrial.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_unit_issue_site_id_site")),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["product_unit.code"], name=op.f("fk_unit_issue_unit_code_product_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_issue")),
    )
    with op.batch_alter_table("unit_issue", schema=None) as batch_op:
        batch_op.create_index("ix_unit_issue_subject", ["subject_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_issue_unit_code"), ["unit_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unit_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_issue_unit_code"))
        batch_op.drop_index("ix_unit_issue_subject")

    op.drop_table("unit_issue")
    with op.batch_alter_table("product_test_result", schema=None) as batch_op:
        batch_op.drop_index("ix_product_test_result_inspection")

    op.drop_table("product_test_result")
    op.drop_table("recall_follow_up")
    with op.batch_alter_table("product_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_unit_lot_id"))

    op.drop_table("product_unit")
    op.drop_table("product_inspection")
    with op.batch_alter_table("lot_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_signature_lot_id"))

    op.drop_table("lot_signature")
    op.drop_table("lot")
    op.drop_table("product_specification")
    op.drop_table("product")
