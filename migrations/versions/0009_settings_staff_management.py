"""settings page, staff management

Revision ID: 0009
Revises: 0008
The office settings page: a school's own SMS sender, price per segment and whether
mobiles abroad are accepted; staff mobiles (for test messages), one-time set-up links and
the time a staff member's sessions were ended.
"""

import sqlalchemy as sa
from alembic import op

from parentlink.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sms_sender", sa.String(length=34), nullable=True))
        batch_op.add_column(
            sa.Column("sms_price_pence", sa.Numeric(precision=8, scale=3), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "allow_international_mobiles",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mobile", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("sessions_revoked_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("setup_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("setup_expires_at", UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_staff_user_setup_token_hash"), ["setup_token_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_staff_user_setup_token_hash"), type_="unique")
        batch_op.drop_column("setup_expires_at")
        batch_op.drop_column("setup_token_hash")
        batch_op.drop_column("sessions_revoked_at")
        batch_op.drop_column("mobile")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("allow_international_mobiles")
        batch_op.drop_column("sms_price_pence")
        batch_op.drop_column("sms_sender")
