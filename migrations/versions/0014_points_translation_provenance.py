"""agreement points, translation provenance, family messages in their language

Revision ID: 0014
Revises: 0013
A clause's point: parent clauses with the same number are shown to parents as one point
(issue 17). Each clause translation records who made it and whether the school reviewed it. A school can send family messages in each
family's language.
"""

import sqlalchemy as sa
from alembic import op

from parentlink.db import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "messages_in_family_language",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    with op.batch_alter_table("clause", schema=None) as batch_op:
        batch_op.add_column(sa.Column("point", sa.Integer(), nullable=True))
    with op.batch_alter_table("clause_translation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("made_by", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("reviewed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clause_translation", schema=None) as batch_op:
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("made_by")
    with op.batch_alter_table("clause", schema=None) as batch_op:
        batch_op.drop_column("point")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("messages_in_family_language")
