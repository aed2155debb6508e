"""The retrain policy: should a retraining attempt start now, and why?

A pure function over what monitoring wrote (metric series rows) and what the audit log
holds (earlier attempts). Triggers, in the order they are reported:

1. **drift** — in each of the last ``triggers.psi_windows`` windows of the ``psi`` series,
   at least ``triggers.psi_features`` features have status ``alert`` (PSI above their alert
   threshold, as the drift monitor judged it with the workspace's per-feature thresholds);
2. **performance** — the latest realized or estimated value of ``recall``, ``precision`` or
   ``pr_auc`` (``estimated_`` prefixed for CBPE) is more than ``triggers.performance_drop``
   (relative) below the champion's holdout value; immature and empty windows do not count;
3. **schedule** — ``triggers.schedule`` has passed since the champion was trained.

A trigger does not start an attempt, in the order they are checked (each says so in the
decision's ``reason`` and ``evidence``):

- once the attempt budget is spent: ``max_attempts`` refused attempts in the drift episode
  (within ``budget_period``; :mod:`~watchkeeper.training.attempt_budget`) — the agent alerts
  the owner and the loop resumes when the budget frees or the owner acts;
- while the drifted traffic holds too few labels for a holdout and a training slice: until it
  holds ``min_positives`` positives a training window can use for its holdout and as many
  before the holdout to learn from, provisional labels included, and at the latest until a
  whole holdout of it has matured;
- while the last attempt, refused or undecided, waits for new evidence: labels of events
  newer than its holdout (``new_evidence`` of ``min_positives`` after a refusal, what an
  undecided attempt said was missing, until its ``retry_at`` at the latest), since
  retraining on the same labels gives the same answer — unless that attempt came before the
  current drift episode began: it was judged on the old world and asks nothing of the
  attempts on the new one;
- while the last decided attempt is younger than ``cooldown`` (an undecided attempt starts
  no cooldown: the wait for its labels replaces it).

The decision's ``reason`` is the text recorded as the lineage trigger.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.config import RetrainingConfig
>>> from watchkeeper.storage.metadata.records import MetricRow
>>> day = datetime(2026, 6, 1, tzinfo=UTC)
>>> rows = [MetricRow("fraud", "psi", day + timedelta(days=i), day + timedelta(days=i + 1),
...                   value=0.31, status="alert", feature="merchant_category")
...         for i in range(2)]
>>> decision = decide_retrain(rows, [], config=RetrainingConfig(), as_of=day + timedelta(days=2))
>>> decision.retrain, decision.trigger
(True, 'drift')
>>> decision.reason
'PSI above the alert level on merchant_category (0.31) in each of the last 2 windows, the latest 2026-06-02 to 2026-06-03'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from watchkeeper import metric_names as names
from watchkeeper.clock import as_utc
from watchkeeper.config import ModelTask, RetrainingConfig
from watchkeeper.durations import format_duration
from watchkeeper.storage.metadata.decision_kinds import RETRAIN_ATTEMPT
from watchkeeper.storage.metadata.records import UNJUDGED_STATUSES, AuditEntry, MetricRow
from watchkeeper.training.attempt_budget import (
    attempt_budget,
    attempt_details,
    before_episode,
    decided_attempts,
    last_decided,
    latest_attempt,
    new_evidence_wait,
)
from watchkeeper.training.attempts import ATTEMPT_KINDS
from watchkeeper.training.label_supply import LabelSupply, SeriesLabelSupply

POOLING_WEIGHTS = (names.POSITIVE_LABELS, names.SCORED_EVENTS)
"""Per-window counts that weigh daily values when a span is pooled."""


@dataclass(frozen=True)
class RetrainDecision:
    """Whether to start an attempt, which trigger fired, and the reason in words."""

    retrain: bool
    trigger: str | None
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


def decide_retrain(
    metrics: Sequence[MetricRow],
    attempts: Sequence[AuditEntry],
    *,
    config: RetrainingConfig,
    as_of: datetime,
    champion_metrics: Mapping[str, Any] | None = None,
    champion_version: int | None = None,
    last_trained_at: datetime | None = None,
    label_horizon: timedelta | None = None,
    holdout: timedelta | None = None,
    task: ModelTask = "binary",
    supply: LabelSupply | None = None,
    labels_ready: Callable[[datetime], datetime | None] | None = None,
) -> RetrainDecision:
    """Decide whether a retraining attempt starts at ``as_of``.

    ``metrics`` are the model's metric series rows (any order; rows after ``as_of`` are
    ignored), ``attempts`` its audit entries (other kinds are ignored),
    ``champion_metrics`` the champion's holdout metrics as registered, ``last_trained_at``
    when the champion was trained (for the schedule).

    With ``label_horizon`` (the label maturity horizon) and ``holdout`` (the training
    holdout's length), a drift or performance trigger waits until the traffic since the
    drift began has matured labels for a whole holdout: before that, an attempt would be
    validated on pre-drift data only and could not show that it handles the new traffic.
    ``labels_ready`` tells, from a drift's onset, when the drifted traffic first held the
    positives a training window can use — provisional labels included
    (:func:`~watchkeeper.training.pipeline.labels_ready_since`; None: not yet); the wait
    ends then, and at the latest at the matured rule's date.

    ``supply`` counts the new labels an attempt after a refused or undecided one needs; by
    default the matured windows' ``positive_labels`` in ``metrics`` (``labelled_events``
    when ``task`` is multiclass or regression).
    """
    moment = as_utc(as_of)
    if not config.enabled:
        return RetrainDecision(False, None, "retraining is disabled (retraining.enabled: false)")
    visible = [row for row in metrics if row.window_end <= moment]
    fired = [
        found
        for found in (
            drift_trigger(visible, config),
            performance_trigger(visible, config, champion_metrics or {}, champion_version),
            schedule_trigger(
                config,
                moment,
                _last_training(last_trained_at, attempts, moment),
                period=schedule_period(config, attempts, moment),
            ),
        )
        if found is not None
    ]
    if not fired:
        return RetrainDecision(False, None, "no trigger fired")
    trigger, reason = fired[0]
    evidence: dict[str, Any] = {"triggers": dict(fired)}
    onset = drift_onset(visible)
    if onset is not None:
        evidence["drift_onset"] = as_utc(onset).isoformat()
    degraded = champion_degradation(fired)
    if degraded is None and trigger == "schedule":
        degraded = recovery_reason(attempts, moment)
    if degraded is not None:
        evidence["champion_degraded"] = degraded
    budget = attempt_budget(attempts, config, as_of=moment, episode_start=onset)
    evidence["attempt_budget"] = budget.to_dict()
    binary = task == "binary"
    wait = new_evidence_wait(
        attempts,
        config,
        supply
        if supply is not None
        else SeriesLabelSupply(
            visible,
            moment,
            metric=names.POSITIVE_LABELS if binary else names.LABELLED_EVENTS,
            unit="positives" if binary else "labelled rows",
        ),
        as_of=moment,
        minimum=config.min_positives if binary else config.min_holdout_rows,
        label_horizon=label_horizon,
        episode_start=onset,
    )
    if wait is not None:
        evidence["new_evidence"] = wait.to_dict()
    else:
        evidence.update(_earlier_attempt(attempts, onset, moment))
    if budget.exhausted:
        return RetrainDecision(False, trigger, f"{budget.describe()}. Trigger: {reason}", evidence)
    waiting = _waiting_for_labels(
        onset, trigger, moment, (label_horizon, holdout), labels_ready, evidence
    )
    if waiting is not None:
        return RetrainDecision(False, trigger, f"{waiting}. Trigger: {reason}", evidence)
    if wait is not None and wait.waiting:
        return RetrainDecision(False, trigger, f"{wait.describe()}. Trigger: {reason}", evidence)
    last = last_decided(attempts, moment)
    if last is not None and last.at + config.cooldown > moment:
        until = last.at + config.cooldown
        return RetrainDecision(
            False,
            trigger,
            f"cooling down until {until.isoformat()} ({format_duration(config.cooldown)} after "
            f"the attempt at {last.at.isoformat()}). Trigger: {reason}",
            evidence,
        )
    return RetrainDecision(True, trigger, reason, evidence)


DEGRADING_TRIGGERS = ("drift", "performance")
"""Triggers that say the champion faces a world it was not trained for."""


def champion_degradation(fired: Sequence[tuple[str, str]]) -> str | None:
    """Why the champion counts as degraded, in words, or None: a drift or performance trigger
    fired (with their persistence rules: one window's alert is not enough). An undecided
    gate may then prefer the fresher challenger
    (:func:`~watchkeeper.training.attempts.attempt_from_gate`).

    >>> champion_degradation([("schedule", "30d"), ("drift", "PSI above the alert level")])
    'PSI above the alert level'
    >>> champion_degradation([("schedule", "30d")]) is None
    True
    """
    for trigger, reason in fired:
        if trigger in DEGRADING_TRIGGERS:
            return reason
    return None


EPISODE_GAP = timedelta(days=7)
"""Alerting windows closer than this belong to one drift episode."""


def drift_onset(rows: Sequence[MetricRow]) -> datetime | None:
    """The start of the current drift episode: walking back from the latest window with PSI
    (inputs or score) at the alert level, the earliest of the alerting windows that follow
    each other with gaps under :data:`EPISODE_GAP` — whichever version served them, since
    a version promoted during a drift does not end it. None without such a window.

    >>> from datetime import UTC, datetime, timedelta
    >>> def alert(day):
    ...     start = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(days=day)
    ...     return MetricRow("fraud", "score_psi", start, start + timedelta(days=1), value=0.4,
    ...                      status="alert", model_version=1 if day < 30 else 2)
    >>> drift_onset([alert(0), alert(20), alert(24), alert(31)]).date().isoformat()
    '2026-06-21'
    """
    alerting = sorted(
        {
            (row.window_start, row.window_end)
            for row in rows
            if row.metric in (names.PSI, names.SCORE_PSI) and row.status == "alert"
        },
        key=lambda window: window[1],
    )
    if not alerting:
        return None
    onset, _ = alerting[-1]
    for start, end in reversed(alerting[:-1]):
        if end < onset - EPISODE_GAP:
            break
        onset = min(onset, start)
    return onset


def _earlier_attempt(
    attempts: Sequence[AuditEntry], onset: datetime | None, moment: datetime
) -> dict[str, Any]:
    """The evidence's note when the last attempt came before the drift episode and so asks
    no new evidence of the next (none otherwise)."""
    last = latest_attempt(attempts, moment)
    if onset is None or last is None or not before_episode(last, onset, moment):
        return {}
    return {
        "new_evidence": (
            f"none asked: the last attempt ({as_utc(last.at).date().isoformat()}) came before "
            f"the drift began ({as_utc(onset).date().isoformat()})"
        )
    }


def _waiting_for_labels(
    onset: datetime | None,
    trigger: str,
    moment: datetime,
    spans: tuple[timedelta | None, timedelta | None],
    labels_ready: Callable[[datetime], datetime | None] | None,
    evidence: dict[str, Any],
) -> str | None:
    """Why a drift or performance trigger must wait for post-drift labels, if so: until
    ``labels_ready`` says the drifted traffic holds a holdout's positives (provisional labels
    included), and at the latest until a holdout of it has matured (``spans``: the label
    maturity horizon and the holdout's length)."""
    label_horizon, holdout = spans
    if trigger == "schedule" or label_horizon is None or holdout is None or onset is None:
        return None
    start = as_utc(onset)
    matured = start + label_horizon + holdout
    ready, rule = matured, "matured"
    if moment < matured and labels_ready is not None:
        early = labels_ready(start)
        if early is not None and as_utc(early) < matured:
            ready, rule = as_utc(early), "provisional"
    evidence["drift_onset"] = start.isoformat()
    evidence["labels_ready_at"] = ready.isoformat()
    evidence["labels_ready_by"] = rule
    if moment >= ready:
        return None
    return (
        f"waiting for labels: drift began {start.date().isoformat()}, and a holdout of "
        f"matured labels from the drifted traffic exists from {matured.date().isoformat()} "
        f"({format_duration(label_horizon)} maturity + {format_duration(holdout)} holdout), "
        "sooner once it holds enough positives with provisional labels"
    )


def drift_trigger(rows: Sequence[MetricRow], config: RetrainingConfig) -> tuple[str, str] | None:
    """The drift trigger's reason, if the last windows all breached."""
    triggers = config.triggers
    alerts_by_window: dict[tuple[datetime, datetime], list[MetricRow]] = defaultdict(list)
    windows: set[tuple[datetime, datetime]] = set()
    for row in rows:
        if row.metric != names.PSI or row.feature is None:
            continue
        key = (row.window_start, row.window_end)
        windows.add(key)
        if row.status == "alert":
            alerts_by_window[key].append(row)
    latest = sorted(windows, key=lambda key: (key[1], key[0]))[-triggers.psi_windows :]
    if len(latest) < triggers.psi_windows:
        return None
    if any(len(alerts_by_window[key]) < triggers.psi_features for key in latest):
        return None
    last = sorted(alerts_by_window[latest[-1]], key=lambda row: -(row.value or 0.0))
    named = ", ".join(f"{row.feature} ({_number(row.value)})" for row in last)
    start, end = latest[-1]
    return "drift", (
        f"PSI above the alert level on {named} in each of the last {triggers.psi_windows} "
        f"window{'s' if triggers.psi_windows > 1 else ''}, the latest "
        f"{start.date().isoformat()} to {end.date().isoformat()}"
    )


def performance_trigger(
    rows: Sequence[MetricRow],
    config: RetrainingConfig,
    champion_metrics: Mapping[str, Any],
    champion_version: int | None,
) -> tuple[str, str] | None:
    """The performance trigger's reason: the largest relative drop beyond the limit.

    A daily window holds a handful of frauds, so one window's precision or recall is noise:
    each metric (realized, or ``estimated_``) is judged on its judged windows ending within
    ``triggers.performance_window`` of its latest one, pooled (realized values weighted by
    the windows' known positives, estimates by their scored events), and only with at least
    ``triggers.performance_min_windows`` of them. A realized metric is compared with the
    champion's holdout value; an estimate with the champion's own estimate over its first
    span of service (like with like: an estimate carries its own bias, so it is never
    compared with a realized value), on windows after that span only: a champion promoted
    days ago has no service to compare with its first span yet, and a pool that shares
    windows with its own reference measures the canary's small windows, not a drop.
    """
    triggers = config.triggers
    limit = triggers.performance_drop
    if limit is None:
        return None
    series: dict[str, list[MetricRow]] = defaultdict(list)
    weights = _window_weights(rows, champion_version)
    for row in rows:
        base = row.metric.removeprefix(names.ESTIMATED_PREFIX)
        if (
            base not in triggers.performance_metrics
            or row.feature is not None
            or row.value is None
            or row.status in UNJUDGED_STATUSES
            or (champion_version is not None and row.model_version not in (None, champion_version))
        ):
            continue
        series[row.metric].append(row)
    span, needed = triggers.performance_window, triggers.performance_min_windows
    worst: tuple[float, str] | None = None
    for name, found in series.items():
        base = name.removeprefix(names.ESTIMATED_PREFIX)
        latest = max(row.window_end for row in found)
        recent = [row for row in found if row.window_end > latest - span]
        weight = weights[names.POSITIVE_LABELS if name == base else names.SCORED_EVENTS]
        if name == base:  # realized: against the holdout's realized value
            reference, against = champion_metrics.get(base), f"the champion's holdout {base}"
        else:  # estimated: against its own estimate on the first span it served
            first_end = min(row.window_end for row in found) + span - timedelta(days=1)
            early = [row for row in found if row.window_end <= first_end]
            reference = _pooled(early, weight) if len(early) >= needed else None
            # a drop is measured on service after that span, never on windows it shares
            recent = [row for row in recent if row.window_end > first_end]
            against = f"its estimate in the first {format_duration(span)} served"
        if len(recent) < needed:
            continue
        if not isinstance(reference, int | float) or reference <= 0:
            continue
        mean = _pooled(recent, weight)
        drop = (reference - mean) / reference
        if drop > limit and (worst is None or drop > worst[0]):
            worst = (
                drop,
                f"{name} {_number(mean)} (pooled over {len(recent)} windows to "
                f"{latest.date().isoformat()}) is {drop:.0%} below {against} "
                f"{_number(reference)} (limit {limit:.0%})",
            )
    return None if worst is None else ("performance", worst[1])


def _window_weights(
    rows: Sequence[MetricRow], champion_version: int | None
) -> dict[str, dict[tuple[datetime, int | None], float]]:
    """Per window, its known positives and its scored events: the weights that pool daily
    values into one figure for a span (a day with one fraud must not count as much as a day
    with twenty)."""
    weights: dict[str, dict[tuple[datetime, int | None], float]] = {
        name: {} for name in POOLING_WEIGHTS
    }
    for row in rows:
        ours = champion_version is None or row.model_version in (None, champion_version)
        if ours and row.metric in weights and row.feature is None and row.value is not None:
            weights[row.metric][(row.window_end, row.model_version)] = float(row.value)
    return weights


def _pooled(
    rows: Sequence[MetricRow], weights: Mapping[tuple[datetime, int | None], float]
) -> float:
    """The windows' values pooled by their weights (equal weights where none is known)."""
    pairs = [
        (float(row.value or 0.0), weights.get((row.window_end, row.model_version), 1.0))
        for row in rows
    ]
    total = sum(weight for _, weight in pairs)
    if total <= 0:
        return sum(value for value, _ in pairs) / len(pairs)
    return sum(value * weight for value, weight in pairs) / total


def _last_training(
    trained_at: datetime | None, attempts: Sequence[AuditEntry], moment: datetime
) -> datetime | None:
    """When a model was last trained: the champion's training or any later attempt (a
    scheduled attempt the gate refused still counts: the schedule does not retry daily)."""
    moments = [as_utc(entry.at) for entry in attempts
               if entry.kind in ATTEMPT_KINDS and entry.at <= moment]  # fmt: skip
    if trained_at is not None:
        moments.append(as_utc(trained_at))
    return max(moments) if moments else None


def schedule_period(
    config: RetrainingConfig, attempts: Sequence[AuditEntry], as_of: datetime
) -> timedelta | None:
    """``triggers.schedule``, or the shorter ``triggers.schedule_in_recovery`` while the loop
    recovers from a degraded champion (:func:`recovery_reason`): every attempt decided since
    the last refusal was accepted, one of them for a degraded champion (its own evidence,
    :func:`attempt_details`, names ``champion_degraded``). A drift that goes on (fraud that
    keeps adapting) makes each month's model stale sooner, and each newer model has beaten the
    last; a refusal says the champion holds, and the usual schedule returns.

    >>> from watchkeeper.storage.metadata.records import AuditEntry
    >>> from datetime import UTC
    >>> day = datetime(2026, 8, 1, tzinfo=UTC)
    >>> config = RetrainingConfig.model_validate({"triggers": {"schedule": "30d"}})
    >>> def audited(at, accepted, **evidence):
    ...     record = {"accepted": accepted, "evidence": evidence}
    ...     return AuditEntry(1, "fraud", "retrain_attempt", at, "agent", "", record, at)
    >>> won = audited(day, True, champion_degraded="drift")
    >>> format_duration(schedule_period(config, [won], day + timedelta(days=1)))
    '14d'
    >>> again = audited(day + timedelta(days=14), True)  # scheduled, and it won again
    >>> format_duration(schedule_period(config, [won, again], day + timedelta(days=15)))
    '14d'
    >>> held = audited(day + timedelta(days=28), False)
    >>> format_duration(schedule_period(config, [won, again, held], day + timedelta(days=29)))
    '30d'
    >>> format_duration(schedule_period(config, [], day))
    '30d'
    """
    period = config.triggers.schedule
    recovery = config.triggers.schedule_in_recovery
    if recovery is None or recovery_reason(attempts, as_of) is None:
        return period
    return recovery if period is None else min(period, recovery)


def recovery_reason(attempts: Sequence[AuditEntry], as_of: datetime) -> str | None:
    """Why the loop is recovering from a degraded champion (a drift, a performance drop), in
    words; None when it is not. It is while the attempts decided since the last refusal (at
    or before ``as_of``) were all accepted by the gate, one of them for a degraded champion.
    A request to a team that trains elsewhere (a ``retrain_request``) has no gate: it never
    starts a recovery. A scheduled attempt in recovery finds the champion degraded too: the
    world it was trained for is still moving, so an undecided gate may prefer the fresher
    challenger, as after the drift itself.

    >>> from watchkeeper.storage.metadata.records import AuditEntry
    >>> from datetime import UTC
    >>> day = datetime(2026, 8, 1, tzinfo=UTC)
    >>> def audited(at, accepted, **evidence):
    ...     record = {"accepted": accepted, "evidence": evidence}
    ...     return AuditEntry(1, "fraud", "retrain_attempt", at, "agent", "", record, at)
    >>> first = audited(day - timedelta(days=90), True)  # the first model
    >>> won = audited(day, True, champion_degraded="PSI above the alert level on mcc")
    >>> recovery_reason([first, won], day + timedelta(days=1))
    'recovering from a degraded champion: every attempt since 2026-08-01 beat its champion (PSI above the alert level on mcc)'
    """
    run = []
    for entry in reversed(decided_attempts(attempts, as_of)):
        if entry.kind != RETRAIN_ATTEMPT or not entry.evidence.get("accepted"):
            break
        run.append(entry)
    degraded = [entry for entry in run if attempt_details(entry).get("champion_degraded")]
    if not degraded:
        return None
    first = degraded[-1]
    since = as_utc(first.at).date().isoformat()
    why = attempt_details(first)["champion_degraded"]
    return (
        f"recovering from a degraded champion: every attempt since {since} beat its champion "
        f"({why})"
    )


def schedule_trigger(
    config: RetrainingConfig,
    as_of: datetime,
    last_trained_at: datetime | None,
    period: timedelta | None = None,
) -> tuple[str, str] | None:
    """The schedule trigger's reason, once ``period`` (``triggers.schedule`` by default; see
    :func:`schedule_period`) passed since the last training (or training attempt)."""
    period = config.triggers.schedule if period is None else period
    if period is None or last_trained_at is None:
        return None
    trained = as_utc(last_trained_at)
    if as_of - trained < period:
        return None
    return "schedule", (
        f"scheduled: {format_duration(period)} since the last training on "
        f"{trained.date().isoformat()}"
    )


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


__all__ = [
    "DEGRADING_TRIGGERS",
    "POOLING_WEIGHTS",
    "RetrainDecision",
    "champion_degradation",
    "decide_retrain",
    "drift_onset",
    "drift_trigger",
    "performance_trigger",
    "recovery_reason",
    "schedule_period",
    "schedule_trigger",
]
