"""The demo's summary: what the watched run detected and did, and both runs' money.

Everything here is read back from what the system recorded while it ran — the alerts its
monitoring fired, the attempts, canaries, promotions and rollbacks in the audit log — and
from the two runs' decisions judged against the simulation's truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from watchkeeper.demo.money import RunMoney
from watchkeeper.demo.runs import FiredAlert
from watchkeeper.storage.metadata import MetadataStore
from watchkeeper.training.attempt_budget import attempt_outcome
from watchkeeper.training.attempts import RETRAIN_ATTEMPT

SHOWN_METRICS = ("business_value", "pr_auc", "recall", "precision", "flag_rate")


@dataclass(frozen=True)
class DemoSummary:
    """The JSON document ``watchkeeper demo --json`` prints (see :meth:`to_dict`)."""

    scenario: str
    seed: int
    per_day: int
    launch_date: date
    shift_date: date
    end_date: date
    alerts: tuple[FiredAlert, ...]
    retrain_attempts: tuple[dict[str, Any], ...]
    promotions: tuple[dict[str, Any], ...]
    rollbacks: tuple[dict[str, Any], ...]
    without: RunMoney
    with_watchkeeper: RunMoney
    ticks: int
    runtime_s: float
    tick_days: int = 1
    notes: tuple[str, ...] = field(default=())

    @property
    def first_drift_alert(self) -> date | None:
        """The day of the first drift alert on or after the shift."""
        days = [alert.day for alert in self.alerts if alert.drift and alert.day >= self.shift_date]
        return min(days) if days else None

    @property
    def false_alerts_before_shift(self) -> int:
        """Drift alerts fired on stable traffic, before the shift."""
        return sum(1 for alert in self.alerts if alert.drift and alert.day < self.shift_date)

    @property
    def detection_delay_days(self) -> int | None:
        """Days from the shift to the first drift alert."""
        first = self.first_drift_alert
        return None if first is None else (first - self.shift_date).days

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values (dates as ISO text, money rounded to cents)."""
        first = self.first_drift_alert
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "per_day": self.per_day,
            "launch_date": self.launch_date.isoformat(),
            "shift_date": self.shift_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "first_drift_alert": None if first is None else first.isoformat(),
            "detection_delay_days": self.detection_delay_days,
            "false_alerts_before_shift": self.false_alerts_before_shift,
            "alerts": [
                {
                    "date": alert.day.isoformat(),
                    "rule": alert.rule,
                    "metric": alert.metric,
                    "feature": alert.feature,
                    "severity": alert.severity,
                }
                for alert in self.alerts
            ],
            "retrain_attempts": list(self.retrain_attempts),
            "promotions": list(self.promotions),
            "rollbacks": list(self.rollbacks),
            "without": self.without.to_dict(),
            "with": self.with_watchkeeper.to_dict(),
            "ticks": self.ticks,
            "tick_days": self.tick_days,
            "runtime_s": round(self.runtime_s, 1),
            "notes": list(self.notes),
        }


def recorded_attempts(metadata: MetadataStore, model: str) -> tuple[dict[str, Any], ...]:
    """Every retraining attempt after the first model, oldest first, as the audit log holds
    it: date, accepted, outcome (accepted, refused or undecided), reason, trigger, version
    and both sides' holdout metrics."""
    entries = sorted(metadata.decisions(model, kind=RETRAIN_ATTEMPT, limit=10_000), key=_at)
    attempts = []
    for entry in entries:
        evidence = entry.evidence
        if evidence.get("champion_version") is None:  # the first model, trained by hand
            continue
        attempts.append(
            {
                "date": entry.at.date().isoformat(),
                "accepted": bool(evidence.get("accepted")),
                "outcome": attempt_outcome(entry),
                "reason": evidence.get("reason"),
                "trigger": evidence.get("trigger"),
                "version": evidence.get("challenger_version"),
                "metrics": {
                    "challenger": _shown(evidence.get("challenger_metrics")),
                    "champion": _shown(evidence.get("champion_metrics")),
                },
            }
        )
    return tuple(attempts)


def recorded_rollouts(
    metadata: MetadataStore, model: str
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """Promotions (version, canary_start, promoted_at) and rollbacks (version, canary_start,
    rolled_back_at, reason) from the audit log."""
    starts = {
        entry.evidence.get("rollout"): entry
        for entry in metadata.decisions(model, kind="rollout_start", limit=10_000)
    }
    promotions: list[dict[str, Any]] = []
    rollbacks: list[dict[str, Any]] = []
    for kind, bucket, moment in (
        ("rollout_promote", promotions, "promoted_at"),
        ("rollout_rollback", rollbacks, "rolled_back_at"),
    ):
        for entry in sorted(metadata.decisions(model, kind=kind, limit=10_000), key=_at):
            started = starts.get(entry.evidence.get("rollout"))
            record: dict[str, Any] = {
                "version": None if started is None else started.evidence.get("challenger"),
                "canary_start": None if started is None else started.at.isoformat(),
                moment: entry.at.isoformat(),
            }
            if kind == "rollout_rollback":
                record["reason"] = entry.summary
            bucket.append(record)
    return tuple(promotions), tuple(rollbacks)


def _shown(metrics: object) -> dict[str, float]:
    if not isinstance(metrics, dict):
        return {}
    return {
        name: round(float(metrics[name]), 4)
        for name in SHOWN_METRICS
        if isinstance(metrics.get(name), int | float)
    }


def _at(entry: Any) -> Any:
    return entry.at


__all__ = ["DemoSummary", "recorded_attempts", "recorded_rollouts"]
