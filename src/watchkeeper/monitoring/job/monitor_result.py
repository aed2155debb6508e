"""What one run of the monitor job did: windows, watermarks, rows written, alerts, notes.

>>> from datetime import UTC, datetime
>>> result = MonitorResult("fraud", 1, datetime(2026, 6, 2, tzinfo=UTC), None,
...     datetime(2026, 6, 2, tzinfo=UTC), None, None, ("2026-06-01/2026-06-02",), (), 40, False)
>>> result.to_dict()["watermark"]
{'before': None, 'after': '2026-06-02T00:00:00+00:00'}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchkeeper.monitoring.job.version_comparison import VersionComparison


@dataclass(frozen=True)
class FiredAlert:
    """An alert rule that fires (or was resolved) after the run."""

    rule: str
    metric: str
    feature: str | None
    severity: str
    action: str
    value: float | None
    threshold: float


@dataclass(frozen=True)
class MonitorResult:
    """What one run did.

    For a model served elsewhere, ``champion`` is its newest logged version (0 before any),
    the watermarks are the newest monitored version's, ``metrics`` names the task's metrics
    and ``comparisons`` compares each version with the one before.
    """

    model: str
    champion: int
    until: datetime
    watermark_before: datetime | None
    watermark_after: datetime | None
    label_watermark_before: datetime | None
    label_watermark_after: datetime | None
    windows: tuple[str, ...]
    relabelled: tuple[str, ...]
    rows_written: int
    concurrent: bool
    alerts: tuple[FiredAlert, ...] = ()
    notes: tuple[str, ...] = field(default=())
    recomputed: tuple[str, ...] = ()
    task: str = "binary"
    metrics: tuple[str, ...] = ()
    """The task's metric names written (an external model's monitor names them)."""
    comparisons: tuple[VersionComparison, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (times as ISO text)."""

        def text(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        data: dict[str, Any] = {
            "model": self.model,
            "champion": self.champion,
            "until": text(self.until),
            "watermark": {
                "before": text(self.watermark_before),
                "after": text(self.watermark_after),
            },
            "label_watermark": {
                "before": text(self.label_watermark_before),
                "after": text(self.label_watermark_after),
            },
            "windows": list(self.windows),
            "relabelled": list(self.relabelled),
            "recomputed": list(self.recomputed),
            "rows_written": self.rows_written,
            "concurrent": self.concurrent,
            "alerts": [alert.__dict__ for alert in self.alerts],
            "notes": list(self.notes),
        }
        if self.metrics:  # an external model's run names its task's metrics
            data["task"] = self.task
            data["metrics"] = list(self.metrics)
            data["comparisons"] = [comparison.__dict__ for comparison in self.comparisons]
        return data


__all__ = ["FiredAlert", "MonitorResult", "VersionComparison"]
