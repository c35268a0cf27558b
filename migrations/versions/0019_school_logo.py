"""the school's logo on parent pages and in emails

Revision ID: 0019
Revises: 0018
An optional logo an administrator uploads: re-encoded by the app to a small PNG (at most
10 KB), kept in the database with its SHA-256 (the versioned URL and the ETag) and size.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("logo_type", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("logo_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("logo_width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("logo_height", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("logo_height")
        batch_op.drop_column("logo_width")
        batch_op.drop_column("logo_sha256")
        batch_op.drop_column("logo_type")
        batch_op.drop_column("logo")
