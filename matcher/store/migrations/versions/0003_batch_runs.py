"""batch runs: per-need progress, candidates, exclusions, proposal roles

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=False, server_default="proposal"))
    op.create_table(
        "run_needs",
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("need_pk", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["need_pk"], ["needs.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_pk"], ["match_runs.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_pk", "need_pk"),
    )
    op.create_table(
        "run_candidates",
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("need_pk", sa.Integer(), nullable=False),
        sa.Column("expert_pk", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("same_region", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["expert_pk"], ["experts.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["need_pk"], ["needs.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_pk"], ["match_runs.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_pk", "need_pk", "expert_pk"),
    )
    op.create_table(
        "exclusions",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("expert_pk", sa.Integer(), nullable=False),
        sa.Column("need_pk", sa.Integer(), nullable=True),
        sa.Column("organization_key", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["expert_pk"], ["experts.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["need_pk"], ["needs.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("exclusions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exclusions_expert_pk"), ["expert_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exclusions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exclusions_expert_pk"))
    op.drop_table("exclusions")
    op.drop_table("run_candidates")
    op.drop_table("run_needs")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("role")
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.drop_column("error")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("started_at")
