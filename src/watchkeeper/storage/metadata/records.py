"""The typed rows that cross the metadata store's interface.

Every row read from or written to :class:`watchkeeper.storage.metadata.store.MetadataStore` is one of
these frozen dataclasses, never a bare tuple. Times are aware UTC datetimes.

>>> from datetime import datetime, timezone
>>> row = MetricRow(
...     model="fraud",
...     metric="psi",
...     window_start=datetime(2026, 2, 1, tzinfo=timezone.utc),
...     window_end=datetime(2026, 2, 2, tzinfo=timezone.utc),
...     value=0.31,
...     status="alert",
...     feature="amount",
...     threshold=0.2,
... )
>>> row.status, row.feature, row.model_version
('alert', 'amount', None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchkeeper.clock import as_utc

METRIC_STATUSES = (
    "ok",
    "warn",
    "alert",
    "immature",
    "no_data",
    "short_window",
    "few_rows",
    "warming_up",
)
"""What a monitoring result can say: within bounds, near them, beyond them, not enough matured
labels to judge yet, no data in the window at all, a window too short for the feature's cycle,
too few rows, or a version too new to judge (see :mod:`watchkeeper.monitoring.job.judgement`)."""

UNJUDGED_STATUSES = frozenset({"immature", "no_data", "short_window", "few_rows", "warming_up"})
"""Statuses that say nothing yet: alert rules, the retrain policy and the report's colours
neither count them as a breach nor as a clearance."""


@dataclass(frozen=True)
class AuditEntry:
    """One recorded decision (an alert, a retrain attempt, a promotion, a rollback...).

    ``at`` is when the decision happened in event time; ``created_at`` is when it was written.
    ``model`` is None for decisions about the workspace as a whole (a config change).
    """

    id: int
    model: str | None
    kind: str
    at: datetime
    actor: str
    summary: str
    evidence: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class MetricRow:
    """One monitoring result: a metric of a model (or one of its features) over a window.

    ``feature`` is None for a model-level metric; ``model_version`` is None for a metric not
    tied to one version (input drift, say). ``computed_at`` is filled in by the store when
    the row is written. Times are normalised to aware UTC (a naive one is taken as UTC). Rows with the same model, version, window, feature and metric are
    the same result: writing them again replaces the value.

    >>> from datetime import datetime, timezone
    >>> day = datetime(2026, 2, 1, tzinfo=timezone.utc)
    >>> MetricRow("fraud", "psi", day, day, value=0.1, status="fine")
    Traceback (most recent call last):
    ...
    ValueError: metric status 'fine' is not one of ok, warn, alert, immature, no_data, short_window, few_rows, warming_up
    """

    model: str
    metric: str
    window_start: datetime
    window_end: datetime
    value: float | None
    status: str
    feature: str | None = None
    model_version: int | None = None
    threshold: float | None = None
    computed_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("window_start", "window_end", "computed_at"):
            moment = getattr(self, name)
            if moment is not None:
                object.__setattr__(self, name, as_utc(moment))
        if self.status not in METRIC_STATUSES:
            raise ValueError(
                f"metric status {self.status!r} is not one of {', '.join(METRIC_STATUSES)}"
            )
        if self.window_end < self.window_start:
            raise ValueError(
                f"metric window ends ({self.window_end.isoformat()}) before it starts "
                f"({self.window_start.isoformat()})"
            )
        if self.model_version is not None and self.model_version < 1:
            raise ValueError(f"model_version {self.model_version} must be 1 or more (or None)")


@dataclass(frozen=True)
class ModelVersionRecord:
    """One registered version of a model: its artifact, its metrics and its lineage."""

    model: str
    version: int
    artifact_sha256: str
    artifact_uri: str
    created_at: datetime
    created_by: str
    status: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    lineage: Mapping[str, Any] = field(default_factory=dict)


__all__ = ["METRIC_STATUSES", "UNJUDGED_STATUSES", "AuditEntry", "MetricRow", "ModelVersionRecord"]
