"""Window profiles: the index of the monitor job's stored daily profiles.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

``window_profiles`` maps (model, model version, window) to the sha256 of the profile artifact
the monitor job stored for it, and when. The unique key on (model, model_version,
window_start, window_end) keeps one entry per window, whichever host wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from watchkeeper.storage.metadata.migrations.column_types import identity, timestamp

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the window_profiles table."""
    op.create_table(
        "window_profiles",
        sa.Column("id", identity(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("window_start", timestamp(), nullable=False),
        sa.Column("window_end", timestamp(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.UniqueConstraint(
            "model",
            "model_version",
            "window_start",
            "window_end",
            name="uq_window_profiles_window",
        ),
    )


def downgrade() -> None:
    """Drop the window_profiles table."""
    op.drop_table("window_profiles")
