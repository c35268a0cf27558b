"""the jobs leader's lease; the adaptive share of a channel's rate

Revision ID: 0012
Revises: 0011
One row naming the jobs process that leads, its lease's expiry on the database's clock and
an epoch that goes up at each change of leader: every commit a job makes checks it (a fence),
so a leader that froze or lost its connection cannot commit after a standby took over.
rate_bucket.factor: the share of the configured rate in use, cut when a provider answers 429.
contact.email_complained: the contact reported our email as spam (ARF): no more email.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("acquired_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_lease")),
    )
    with op.batch_alter_table("rate_bucket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("factor", sa.Double(), nullable=False, server_default="1"))
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_complained", sa.Boolean(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("email_complained")
    with op.batch_alter_table("rate_bucket", schema=None) as batch_op:
        batch_op.drop_column("factor")
    op.drop_table("job_lease")
