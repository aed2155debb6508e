"""The demo's summary: what the watched run detected and did, and both runs' money.

Everything here is read back from what the system recorded while it ran — the alerts its
monitoring fired, the attempts, canaries, promotions and rollbacks in the audit log — and
from the two runs' decisions judged against the simulation's truth.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from watchkeeper import metric_names as names
from watchkeeper.demo.money import RunMoney
from watchkeeper.demo.runs import FiredAlert, RunDecisions
from watchkeeper.demo.stream import ReplayStream
from watchkeeper.demo.task_money import TaskFigures
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.report.figures import AttemptCounts, is_first_model, plural
from watchkeeper.storage.metadata.store import MetadataStore
from watchkeeper.training.attempt_budget import attempt_outcome
from watchkeeper.training.attempts import RETRAIN_ATTEMPT
from watchkeeper.workspace import Workspace

SHOWN_METRICS = names.HOLDOUT_HEADLINE["binary"]
MONEY_BASIS = (
    "every decision from the launch date to the end date, judged against the simulation's "
    "hidden truth; the report's money section counts only the outcomes received by the end"
)
"""What ``without`` and ``with`` in ``summary.json`` count, said in the document itself."""


class DriftDetection:
    """What a replay's alerts say about the shift: the first drift alert after it, the drift
    alerts before it (false alarms on stable traffic), the delay, and the first alert of any
    kind after it. Mixed into a summary with ``alerts`` and ``shift_date``.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Seen(DriftDetection):
    ...     alerts: tuple[FiredAlert, ...]
    ...     shift_date: date
    >>> alert = FiredAlert(date(2026, 7, 9), "input drift", "psi", "plan", "warning")
    >>> seen = Seen((alert,), date(2026, 7, 1))
    >>> seen.first_drift_alert, seen.false_alerts_before_shift, seen.detection_delay_days
    (datetime.date(2026, 7, 9), 0, 8)
    """

    alerts: tuple[FiredAlert, ...]
    shift_date: date

    @property
    def first_drift_alert(self) -> date | None:
        """The day of the first drift alert on or after the shift."""
        days = [alert.day for alert in self.alerts if alert.drift and alert.day >= self.shift_date]
        return min(days) if days else None

    @property
    def first_alert_after_shift(self) -> FiredAlert | None:
        """The first alert of any kind (drift, performance) on or after the shift."""
        after = [alert for alert in self.alerts if alert.day >= self.shift_date]
        return min(after, key=lambda alert: alert.day) if after else None

    @property
    def false_alerts_before_shift(self) -> int:
        """Drift alerts fired on stable traffic, before the shift."""
        return sum(1 for alert in self.alerts if alert.drift and alert.day < self.shift_date)

    @property
    def detection_delay_days(self) -> int | None:
        """Days from the shift to the first drift alert."""
        first = self.first_drift_alert
        return None if first is None else (first - self.shift_date).days

    def detection_text(self) -> str:
        """The detection in words, as the report's comparison sections say it.

        >>> @dataclass(frozen=True)
        ... class Seen(DriftDetection):
        ...     alerts: tuple[FiredAlert, ...]
        ...     shift_date: date
        >>> alert = FiredAlert(date(2026, 7, 2), "input drift", "psi", "plan", "warning")
        >>> Seen((alert,), date(2026, 7, 1)).detection_text()
        'first drift alert 2026-07-02, 1 day after the shift on 2026-07-01; 0 drift alerts on the stable months before it'
        """
        first = self.first_drift_alert
        detected = (
            f"first drift alert {first.isoformat()}, "
            f"{plural(self.detection_delay_days or 0, 'day')} after the shift on "
            f"{self.shift_date.isoformat()}"
            if first is not None
            else f"no drift alert after the shift on {self.shift_date.isoformat()}"
        )
        before = plural(self.false_alerts_before_shift, "drift alert")
        return f"{detected}; {before} on the stable months before it"

    def detection_dict(self) -> dict[str, Any]:
        """The figures and every alert (date, rule, metric, feature, severity), JSON-ready."""
        first = self.first_drift_alert
        return {
            "first_drift_alert": None if first is None else first.isoformat(),
            "detection_delay_days": self.detection_delay_days,
            "false_alerts_before_shift": self.false_alerts_before_shift,
            "first_alert_after_shift": _alert(self.first_alert_after_shift),
            "alerts": [_alert(alert) for alert in self.alerts],
        }


@dataclass(frozen=True)
class DemoSummary(DriftDetection):
    """The JSON document ``watchkeeper demo --json`` prints (see :meth:`to_dict`).

    ``without`` and ``with_watchkeeper``: the fraud case study's money
    (:class:`~watchkeeper.demo.money.RunMoney`), or another example's cost and metrics
    (:class:`~watchkeeper.demo.task_money.TaskFigures`).
    """

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
    without: RunMoney | TaskFigures
    with_watchkeeper: RunMoney | TaskFigures
    ticks: int
    runtime_s: float
    tick_days: int = 1
    notes: tuple[str, ...] = field(default=())
    example: str = "fraud"
    task: str = "binary"

    @property
    def attempt_counts(self) -> AttemptCounts:
        """The attempts by outcome, promotions and rollbacks: what the report's timeline
        counts from the same audit log."""
        return AttemptCounts.of(
            [str(attempt["outcome"]) for attempt in self.retrain_attempts],
            len(self.promotions),
            len(self.rollbacks),
        )

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values (dates as ISO text, money rounded to cents)."""
        return {
            "scenario": self.scenario,
            "example": self.example,
            "task": self.task,
            "seed": self.seed,
            "per_day": self.per_day,
            "launch_date": self.launch_date.isoformat(),
            "shift_date": self.shift_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            **self.detection_dict(),
            "retrain_attempts": list(self.retrain_attempts),
            "promotions": list(self.promotions),
            "rollbacks": list(self.rollbacks),
            "attempt_counts": self.attempt_counts.to_dict(),
            "money_basis": MONEY_BASIS,
            "without": self.without.to_dict(),
            "with": self.with_watchkeeper.to_dict(),
            "ticks": self.ticks,
            "tick_days": self.tick_days,
            "runtime_s": round(self.runtime_s, 1),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ReplayDescription:
    """What a replay was: its scenario, example and task, seed, volume and tick."""

    scenario: str
    seed: int
    per_day: int
    tick_days: int
    example: str = "fraud"
    task: str = "binary"


def watched_summary(
    workspace: Workspace,
    described: ReplayDescription,
    stream: ReplayStream,
    launch: datetime,
    watched: RunDecisions,
    figures: tuple[RunMoney | TaskFigures, RunMoney | TaskFigures],
    *,
    began: float,
    notes: tuple[str, ...] = (),
) -> DemoSummary:
    """The summary of a replay: what the watched run's workspace recorded, the alerts it
    fired and both runs' ``figures`` (without, with); ``began`` is the
    :func:`time.perf_counter` at the start."""
    metadata, model = workspace.metadata, ModelRegistry.for_workspace(workspace).model_name
    promotions, rollbacks = recorded_rollouts(metadata, model)
    return DemoSummary(
        scenario=described.scenario,
        seed=described.seed,
        per_day=described.per_day,
        launch_date=launch.date(),
        shift_date=stream.shift_date,
        end_date=stream.end.date(),
        alerts=watched.alerts,
        retrain_attempts=recorded_attempts(metadata, model),
        promotions=promotions,
        rollbacks=rollbacks,
        without=figures[0],
        with_watchkeeper=figures[1],
        ticks=watched.ticks,
        runtime_s=time.perf_counter() - began,
        tick_days=described.tick_days,
        notes=notes,
        example=described.example,
        task=described.task,
    )


def recorded_attempts(metadata: MetadataStore, model: str) -> tuple[dict[str, Any], ...]:
    """Every retraining attempt after the first model, oldest first, as the audit log holds
    it: date, accepted, outcome (accepted, refused or undecided), reason, trigger, version
    and both sides' holdout metrics."""
    entries = sorted(metadata.decisions(model, kind=RETRAIN_ATTEMPT, limit=10_000), key=_at)
    attempts = []
    for entry in entries:
        if is_first_model(entry):  # trained by hand at launch: not a retraining attempt
            continue
        evidence = entry.evidence
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


def _alert(alert: FiredAlert | None) -> dict[str, Any] | None:
    if alert is None:
        return None
    return {
        "date": alert.day.isoformat(),
        "rule": alert.rule,
        "metric": alert.metric,
        "feature": alert.feature,
        "severity": alert.severity,
    }


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


__all__ = [
    "MONEY_BASIS",
    "DemoSummary",
    "DriftDetection",
    "ReplayDescription",
    "recorded_attempts",
    "recorded_rollouts",
    "watched_summary",
]
