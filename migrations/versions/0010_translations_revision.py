"""a version's translations revision

Revision ID: 0010
Revises: 0009
A number on each agreement version that goes up whenever a translation of its clauses is
loaded: the parent page's kept pages are keyed by it (before, by four aggregates over the
translations, computed on every page view).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations_revision", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_version", schema=None) as batch_op:
        batch_op.drop_column("translations_revision")
