"""an upload's own column, sheet and identity choices; the school's phase

Revision ID: 0011
Revises: 0010
The columns chosen for an uploaded file are kept on the upload (the school's remembered
mapping changes only when an import succeeds), with the Excel sheet chosen; the school's
phase (primary, secondary, all-through) lets an import warn about a year group it does not
teach.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_upload", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mapping", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sheet", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("identity_choices", sa.Text(), nullable=True))
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "phase",
                sa.Enum(
                    "primary",
                    "secondary",
                    "all-through",
                    name="phase",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="primary",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("phase")
    with op.batch_alter_table("import_upload", schema=None) as batch_op:
        batch_op.drop_column("identity_choices")
        batch_op.drop_column("sheet")
        batch_op.drop_column("mapping")
