"""The foundation schema: audit log, metric series, job watermarks and the model registry.

Revision ID: 0001
Revises:
Create Date: 2026-02-01

Later revisions add to this; they never edit it. Types come from ``column_types`` rather than
from :mod:`watchkeeper.storage.metadata.tables`, so this revision keeps creating the same
tables when that module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from watchkeeper.storage.metadata.migrations.column_types import identity, json_document, timestamp

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the foundation tables."""
    op.create_table(
        "audit_log",
        sa.Column("id", identity(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("at", timestamp(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", json_document(), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False),
    )
    op.create_index("ix_audit_log_model_at", "audit_log", ["model", "at"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])

    op.create_table(
        "metric_series",
        sa.Column("id", identity(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("window_start", timestamp(), nullable=False),
        sa.Column("window_end", timestamp(), nullable=False),
        sa.Column("feature", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("computed_at", timestamp(), nullable=False),
        sa.UniqueConstraint(
            "model",
            "model_version",
            "window_start",
            "window_end",
            "feature",
            "metric",
            name="uq_metric_series_window",
        ),
    )
    op.create_index(
        "ix_metric_series_model_metric_window",
        "metric_series",
        ["model", "metric", "window_start"],
    )

    op.create_table(
        "job_watermarks",
        sa.Column("job", sa.String(100), primary_key=True),
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("watermark", timestamp(), nullable=False),
        sa.Column("updated_at", timestamp(), nullable=False),
    )

    op.create_table(
        "model_versions",
        sa.Column("id", identity(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("artifact_sha256", sa.String(64), nullable=False),
        sa.Column("artifact_uri", sa.Text(), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("metrics", json_document(), nullable=False),
        sa.Column("lineage", json_document(), nullable=False),
        sa.UniqueConstraint("model", "version", name="uq_model_versions_model_version"),
    )

    op.create_table(
        "model_aliases",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("alias", sa.String(100), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model", "version"],
            ["model_versions.model", "model_versions.version"],
            name="fk_model_aliases_version",
        ),
    )

    op.create_table(
        "model_version_status",
        sa.Column("id", identity(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("at", timestamp(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model", "version"],
            ["model_versions.model", "model_versions.version"],
            name="fk_model_version_status_version",
        ),
    )
    op.create_index(
        "ix_model_version_status_model_version",
        "model_version_status",
        ["model", "version"],
    )


def downgrade() -> None:
    """Drop the foundation tables (all data in them is lost)."""
    op.drop_table("model_version_status")
    op.drop_table("model_aliases")
    op.drop_table("model_versions")
    op.drop_table("job_watermarks")
    op.drop_index("ix_metric_series_model_metric_window", table_name="metric_series")
    op.drop_table("metric_series")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_audit_log_model_at", table_name="audit_log")
    op.drop_table("audit_log")
