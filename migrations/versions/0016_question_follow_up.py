"""parents' questions followed up by the office

Revision ID: 0016
Revises: 0014
Each clause response that is a question gets a state (open, answered, with the DSL), the
office's reply (sent by SMS or email through the outbox, or none when answered by phone or
in person), who answered and when.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clause_response", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("follow_up", sa.String(length=32), nullable=False, server_default="open")
        )
        batch_op.add_column(sa.Column("reply", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reply_message_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_clause_response_answered_by_id_staff_user", "staff_user", ["answered_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_clause_response_reply_message_id_message", "message", ["reply_message_id"], ["id"]
        )
        batch_op.create_index(
            "ix_clause_response_answer_follow_up", ["answer", "follow_up"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("clause_response", schema=None) as batch_op:
        batch_op.drop_index("ix_clause_response_answer_follow_up")
        batch_op.drop_constraint("fk_clause_response_reply_message_id_message", type_="foreignkey")
        batch_op.drop_constraint("fk_clause_response_answered_by_id_staff_user", type_="foreignkey")
        for column in (
            "passed_at",
            "reply_message_id",
            "answered_by_id",
            "answered_at",
            "reply",
            "follow_up",
        ):
            batch_op.drop_column(column)
