"""External versions: the team's own model version labels, numbered as they first arrive.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

``external_versions`` maps (model, label) to a version number: a model served outside
watchkeeper logs its predictions under its own version labels (``team-v7``), and each new
label becomes the next version number of the model the moment its first prediction arrives.
Once the version's first ``monitoring.reference_window`` of predictions is logged, the monitor
records the window (``reference_start``, ``reference_end``) and the sha256 of the reference
profile built from it; ``estimator_sha256`` names the performance estimator fitted on the
reference rows once their labels have matured.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from watchkeeper.storage.metadata.migrations.column_types import timestamp

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the external_versions table."""
    op.create_table(
        "external_versions",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("label", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", timestamp(), nullable=False),
        sa.Column("reference_start", timestamp(), nullable=True),
        sa.Column("reference_end", timestamp(), nullable=True),
        sa.Column("reference_sha256", sa.String(64), nullable=True),
        sa.Column("estimator_sha256", sa.String(64), nullable=True),
        sa.UniqueConstraint("model", "version", name="uq_external_versions_version"),
    )


def downgrade() -> None:
    """Drop the external_versions table."""
    op.drop_table("external_versions")
