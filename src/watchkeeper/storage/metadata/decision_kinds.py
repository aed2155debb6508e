"""The kinds of decision the audit log records, named once.

Every entry of ``watchkeeper history`` has one of these kinds; the command refuses any other
name instead of saying that nothing was recorded.

>>> sorted(DECISION_KINDS)[:3]
['alert', 'alert_resolved', 'retrain_attempt']
>>> ROLLOUT_PROMOTE in DECISION_KINDS
True
"""

from __future__ import annotations

ALERT = "alert"
"""An alert fired (or an owner was told something needs them)."""
ALERT_RESOLVED = "alert_resolved"
"""A firing alert's condition cleared."""
RETRAIN_ATTEMPT = "retrain_attempt"
"""A challenger was trained and validated, accepted or refused."""
RETRAIN_REQUEST = "retrain_request"
"""An external model's team was asked to retrain (watchkeeper does not train it)."""
ROLLOUT_START = "rollout_start"
"""A canary of a challenger started."""
ROLLOUT_PROMOTE = "rollout_promote"
"""A canary ended with the challenger promoted to champion."""
ROLLOUT_ROLLBACK = "rollout_rollback"
"""A canary ended with the challenger rolled back."""
SCHEMA_CHANGE = "schema_change"
"""An event table gained a column."""

DECISION_KINDS = frozenset(
    {
        ALERT,
        ALERT_RESOLVED,
        RETRAIN_ATTEMPT,
        RETRAIN_REQUEST,
        ROLLOUT_START,
        ROLLOUT_PROMOTE,
        ROLLOUT_ROLLBACK,
        SCHEMA_CHANGE,
    }
)
"""Every kind an audit entry can have."""

__all__ = [
    "ALERT",
    "ALERT_RESOLVED",
    "DECISION_KINDS",
    "RETRAIN_ATTEMPT",
    "RETRAIN_REQUEST",
    "ROLLOUT_PROMOTE",
    "ROLLOUT_ROLLBACK",
    "ROLLOUT_START",
    "SCHEMA_CHANGE",
]
