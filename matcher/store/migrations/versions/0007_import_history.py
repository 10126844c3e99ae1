"""import history: every field an import or an edit changed (record_changes), possible duplicate experts for staff
to confirm, merges with direction, evidence and what undoing them needs, the exports an outcome came from

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_changes",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.create_index("ix_record_changes_record", "record_changes", ["kind", "record_id"], unique=False)
    op.create_table(
        "possible_duplicates",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("expert_pk", sa.Integer(), nullable=False),
        sa.Column("other_pk", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["expert_pk"], ["experts.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_pk"], ["experts.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("possible_duplicates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_possible_duplicates_expert_pk"), ["expert_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_possible_duplicates_other_pk"), ["other_pk"], unique=False)
    with op.batch_alter_table("expert_merges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direction", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("undone_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_column("sources")
    with op.batch_alter_table("expert_merges", schema=None) as batch_op:
        batch_op.drop_column("undone_at")
        batch_op.drop_column("snapshot")
        batch_op.drop_column("evidence")
        batch_op.drop_column("direction")
    with op.batch_alter_table("possible_duplicates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_possible_duplicates_other_pk"))
        batch_op.drop_index(batch_op.f("ix_possible_duplicates_expert_pk"))
    op.drop_table("possible_duplicates")
    op.drop_index("ix_record_changes_record", table_name="record_changes")
    op.drop_table("record_changes")
