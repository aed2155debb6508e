"""What a channel delivers: one alert, addressed to the model's owner.

>>> from datetime import UTC, datetime
>>> note = AlertNotification(model="card-fraud", owner="Dana Reyes", owner_contact="dana@example.com",
...     rule="score drift", metric="score_psi", feature=None, severity="critical", state="firing",
...     value=0.41, threshold=0.25, window_end=datetime(2026, 6, 8, tzinfo=UTC),
...     summary="score drift: score_psi is 0.41")
>>> note.title()
'[critical] card-fraud: score drift firing'
>>> note.as_json()["owner"]
{'name': 'Dana Reyes', 'contact': 'dana@example.com'}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AlertNotification:
    """An alert that fired, was reminded of after its cooldown, or resolved."""

    model: str
    owner: str
    owner_contact: str
    rule: str
    metric: str
    feature: str | None
    severity: str
    state: str
    value: float | None
    threshold: float
    window_end: datetime | None
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def title(self) -> str:
        """A short subject line."""
        where = f" on {self.feature}" if self.feature else ""
        return f"[{self.severity}] {self.model}: {self.rule}{where} {self.state}"

    def as_json(self) -> dict[str, Any]:
        """The JSON document that webhooks receive."""
        return {
            "model": self.model,
            "owner": {"name": self.owner, "contact": self.owner_contact},
            "rule": self.rule,
            "metric": self.metric,
            "feature": self.feature,
            "severity": self.severity,
            "state": self.state,
            "value": self.value,
            "threshold": self.threshold,
            "window_end": None if self.window_end is None else self.window_end.isoformat(),
            "summary": self.summary,
            "evidence": self.evidence,
        }


__all__ = ["AlertNotification"]
