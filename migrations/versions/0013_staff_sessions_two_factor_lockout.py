"""staff sessions, two-factor and lockout held on the server

Revision ID: 0013
Revises: 0012
Each account has a session version (raising it ends every session at once) and counts
wrong two-factor codes; the half-signed-in state is a row of its own; wrong passwords are
throttled by (email, address) from the attempts table, so the account-wide lockout columns
and the revocation time go.
"""

import sqlalchemy as sa
from alembic import op

from parentlink.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sign_in_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_user.id"],
            name=op.f("fk_staff_sign_in_challenge_staff_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sign_in_challenge")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sign_in_challenge_token_hash")),
    )
    with op.batch_alter_table("staff_sign_in_challenge", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_sign_in_challenge_staff_id"), ["staff_id"], unique=False
        )
    with op.batch_alter_table("staff_login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_staff_login_attempt_email_at", ["email", "at"], unique=False)
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("code_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("code_locked_until", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.drop_column("sessions_revoked_at")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("sessions_revoked_at", UTCDateTime(), nullable=True))
        batch_op.drop_column("session_version")
        batch_op.drop_column("code_locked_until")
        batch_op.drop_column("code_failures")
    with op.batch_alter_table("staff_login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_login_attempt_email_at")
    with op.batch_alter_table("staff_sign_in_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sign_in_challenge_staff_id"))
    op.drop_table("staff_sign_in_challenge")
