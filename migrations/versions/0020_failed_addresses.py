"""the number or address that failed for good, per contact

Revision ID: 0020
Revises: 0019
A number refused as invalid or as a landline, or an address that hard-bounced, is kept on
the contact so no reminder, new link or office reply goes to it again; a fresh import with
different details makes the contact reachable again without anyone clearing anything.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_mobile", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("failed_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("failed_email")
        batch_op.drop_column("failed_mobile")
