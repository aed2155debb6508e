"""Rollouts: one row per canary, its state and the evidence of how it ended.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

``rollouts`` holds every canary of a model: the challenger and the champion it was started
against, the share and mode, its state (``canary``, ``awaiting_approval``, ``promoted``,
``rolled_back``), when it started and ended, and why it ended. ``active`` is 1 while it runs
and NULL afterwards, so the unique key on (model, active) allows one running rollout per model.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from watchkeeper.storage.metadata.migrations.column_types import identity, json_document, timestamp

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the rollouts table."""
    op.create_table(
        "rollouts",
        sa.Column("id", identity(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("challenger_version", sa.Integer(), nullable=False),
        sa.Column("champion_version", sa.Integer(), nullable=False),
        sa.Column("canary_share", sa.Float(), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("active", sa.Integer(), nullable=True),
        sa.Column("started_at", timestamp(), nullable=False),
        sa.Column("ended_at", timestamp(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", json_document(), nullable=False),
        sa.UniqueConstraint("model", "active", name="uq_rollouts_model_active"),
    )


def downgrade() -> None:
    """Drop the rollouts table."""
    op.drop_table("rollouts")
