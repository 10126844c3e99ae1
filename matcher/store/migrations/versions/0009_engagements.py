"""engagements: the 对接台账 (owner, next action, due date, notes), its contracts, and the day a stage was reached

Existing feedback becomes engagements: one per (need, level, target) already given feedback, at its latest stage.

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO engagements (need_pk, level, target_id, stage, notes, source, created_by, created_at, updated_at)
SELECT f.need_pk, f.level, f.target_id, f.stage, '', 'feedback', f.created_by,
       (SELECT MIN(g.created_at) FROM feedback g
        WHERE g.need_pk = f.need_pk AND g.level = f.level AND g.target_id = f.target_id),
       f.created_at
FROM feedback f
WHERE f.pk IN (SELECT MAX(h.pk) FROM feedback h GROUP BY h.need_pk, h.level, h.target_id)
"""


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_date", sa.Date(), nullable=True))
    op.create_table(
        "engagements",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("need_pk", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("next_action", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["need_pk"], ["needs.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("need_pk", "level", "target_id", name="uq_engagement_pair"),
    )
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_engagements_need_pk"), ["need_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_engagements_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_engagements_due_date"), ["due_date"], unique=False)
    op.create_table(
        "contracts",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("engagement_pk", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("amount_wan", sa.Double(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("registration_no", sa.String(length=100), nullable=True),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["engagement_pk"], ["engagements.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contracts_engagement_pk"), ["engagement_pk"], unique=False)
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_engagement_pk"))
    op.drop_table("contracts")
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagements_due_date"))
        batch_op.drop_index(batch_op.f("ix_engagements_owner"))
        batch_op.drop_index(batch_op.f("ix_engagements_need_pk"))
    op.drop_table("engagements")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("stage_date")
