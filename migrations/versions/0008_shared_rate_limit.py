"""shared rate limit

Revision ID: 0008
Revises: 0004
The token bucket of each channel as a row, so every dispatcher process shares the rate.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_bucket",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("stamp", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_bucket")),
    )


def downgrade() -> None:
    op.drop_table("rate_bucket")
