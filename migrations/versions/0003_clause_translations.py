"""Clause translations: a school's translation of a version's parent clauses, per language.
Not covered by the version's hash: the English wording stays the binding one.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-24 15:01:18.442744
"""

import sqlalchemy as sa
from alembic import op

from parentlink.db import UTCDateTime  # noqa: F401

revision = "0003"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clause_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("clause_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clause_id"],
            ["clause.id"],
            name=op.f("fk_clause_translation_clause_id_clause"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_clause_translation_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clause_translation")),
        sa.UniqueConstraint(
            "clause_id", "language", name=op.f("uq_clause_translation_clause_id_language")
        ),
    )
    with op.batch_alter_table("clause_translation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clause_translation_school_id"), ["school_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("clause_translation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clause_translation_school_id"))

    op.drop_table("clause_translation")
