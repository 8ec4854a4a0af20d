"""Audit entries name the key their link is an HMAC under.

Rows written before keep a null key id: they stay legacy (plain SHA-256) links and verify as
before; every entry written after this migration is keyed. The head gains the signed marker
of where keyed links begin (``core.migrate.upgrade`` signs it right after this migration).

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-12-04 18:47:26.553056
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legacy_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("legacy_key_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("legacy_mac", sa.String(length=64), nullable=True))
    _sign_the_legacy_links()


def _sign_the_legacy_links() -> None:
    """An existing trail is all plain SHA-256 links: sign "legacy up to the head" once, here,
    so that a later rewrite of keyed links into plain ones (or of the plain ones) is seen."""
    from msctrial.core.audit_chain import legacy_mac
    from msctrial.core.audit_keys import Keyring

    bind = op.get_bind()
    head = bind.execute(sa.text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")).first()
    if head is None:
        return  # a new database: ``ensure_head`` signs its head when it makes it
    config = op.get_context().config
    ring = (config.attributes.get("audit_keyring") if config else None) or Keyring.from_env()
    key_id, secret = ring.signing()
    bind.execute(
        sa.text(
            "UPDATE audit_head SET legacy_seq = :seq, legacy_key_id = :key, legacy_mac = :mac "
            "WHERE id = 1"
        ),
        {"seq": head[0], "key": key_id, "mac": legacy_mac(secret, head[0], head[1])},
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("legacy_mac")
        batch_op.drop_column("legacy_key_id")
        batch_op.drop_column("legacy_seq")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("key_id")
