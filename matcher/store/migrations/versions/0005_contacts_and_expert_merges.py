"""contacts (personal data) on needs and experts, the files that named an expert, the expert merges log, and
feedback marked as a correction

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contacts", sa.JSON(), nullable=True))
    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contacts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correction", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "expert_merges",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("expert_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("institution", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["expert_pk"], ["experts.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("expert_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expert_merges_expert_pk"), ["expert_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("expert_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expert_merges_expert_pk"))
    op.drop_table("expert_merges")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("correction")
    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.drop_column("sources")
        batch_op.drop_column("contacts")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_column("contacts")
