"""change feed, shared vectors and published snapshots: several servers on one database

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "shared_vectors",
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("side", sa.String(length=1), nullable=False),
        sa.Column("hash", sa.String(length=40), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("model", "side", "hash"),
    )
    op.create_table(
        "published_snapshots",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=1000), nullable=False),
        sa.Column("feed", sa.Integer(), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("published_snapshots") as batch:
        batch.create_index("ix_published_snapshots_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("published_snapshots")
    op.drop_table("shared_vectors")
    op.drop_table("changes")
