"""a batch run's start key: a run named once (the night's date) is started once, whichever hosts start it

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_runs") as batch:
        batch.add_column(sa.Column("start_key", sa.String(length=100), nullable=True))
        batch.create_index("ix_match_runs_start_key", ["start_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("match_runs") as batch:
        batch.drop_index("ix_match_runs_start_key")
        batch.drop_column("start_key")
