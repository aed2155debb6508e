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
class VersionComparison:
    """Two versions of a model compared on one realized metric over matured windows.

    ``shared`` is the number of windows where both served (the values are their means over
    those windows); without any, ``windows`` adjacent windows of each are compared instead
    (the older's last, the newer's first), which is not the same traffic.
    """

    metric: str
    older: int
    newer: int
    older_value: float | None
    newer_value: float | None
    shared: int
    windows: int

    def describe(self, labels: dict[int, str] | None = None) -> str:
        """One line for people.

        >>> VersionComparison("accuracy", 1, 2, 0.7, 0.8, 0, 14).describe({1: "v1", 2: "v2"})
        'accuracy: v1 0.7000 vs v2 0.8000 on 14 adjacent matured windows each (not the same traffic)'
        """
        names = labels or {}
        older, newer = (
            names.get(self.older, f"v{self.older}"),
            names.get(self.newer, f"v{self.newer}"),
        )

        def text(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.4f}"

        where = (
            f"on the {self.shared} matured windows where both served"
            if self.shared
            else f"on {self.windows} adjacent matured windows each (not the same traffic)"
        )
        return f"{self.metric}: {older} {text(self.older_value)} vs {newer} {text(self.newer_value)} {where}"


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
