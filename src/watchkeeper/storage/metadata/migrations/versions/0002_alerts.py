"""Alerts: the current state of each alert, and every delivery attempt.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-01

``alerts`` holds one row per (model, rule, feature): whether it is firing, since when, and
when its owner was last notified (for deduplication and cooldown). ``alert_deliveries``
records each channel's delivery, failed ones included, so no alert is lost silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from watchkeeper.storage.metadata.migrations.column_types import identity, json_document, timestamp

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the alert tables."""
    op.create_table(
        "alerts",
        sa.Column("id", identity(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("feature", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("first_fired_at", timestamp(), nullable=False),
        sa.Column("last_evaluated_at", timestamp(), nullable=False),
        sa.Column("last_notified_at", timestamp(), nullable=True),
        sa.Column("resolved_at", timestamp(), nullable=True),
        sa.Column("evidence", json_document(), nullable=False),
        sa.UniqueConstraint("model", "rule", "feature", name="uq_alerts_model_rule_feature"),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", identity(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", identity(), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_alert_deliveries_alert"),
    )
    op.create_index("ix_alert_deliveries_alert", "alert_deliveries", ["alert_id"])


def downgrade() -> None:
    """Drop the alert tables."""
    op.drop_index("ix_alert_deliveries_alert", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_table("alerts")
