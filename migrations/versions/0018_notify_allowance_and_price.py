"""a school's GOV.UK Notify free text allowance and price per text

Revision ID: 0018
Revises: 0016
When GOV.UK Notify sends the texts, the cost estimate uses the school's free yearly allowance
(what is left of it this financial year) and then its price per text message (fragment).
Both empty means Notify's published figures for state-funded schools.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_free_allowance", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("notify_price_pence", sa.Numeric(precision=8, scale=3), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("notify_price_pence")
        batch_op.drop_column("notify_free_allowance")
