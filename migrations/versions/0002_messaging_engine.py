"""Messaging engine: claim times, fallbacks, SMS segments, inbound SMS, segment limit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 14:44:25.990886
"""

import sqlalchemy as sa
from alembic import op

from parentlink.db import UTCDateTime  # noqa: F401

revision = "0002"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "keyword",
            sa.Enum("stop", "start", "help", name="inboundkeyword", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_inbound_message_contact_id_contact")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_inbound_message_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_message")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_inbound_message_provider_id")),
    )
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_message_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_message_school_id"), ["school_id"], unique=False
        )

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fallback_for_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_message_fallback_for_id"), ["fallback_for_id"], unique=False
        )
        batch_op.create_index(
            "ix_message_status_lease_until", ["status", "lease_until"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_message_fallback_for_id_message"), "message", ["fallback_for_id"], ["id"]
        )

    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sms_segment_limit", sa.Integer(), nullable=False, server_default="2")
        )


def downgrade() -> None:

    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("sms_segment_limit")

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_message_fallback_for_id_message"), type_="foreignkey"
        )
        batch_op.drop_index("ix_message_status_lease_until")
        batch_op.drop_index(batch_op.f("ix_message_fallback_for_id"))
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("segments")
        batch_op.drop_column("fallback_for_id")

    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_message_school_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_message_contact_id"))

    op.drop_table("inbound_message")
