"""A spent attempt budget is a critical notice to the model's owner, sent once.

When the retrain policy stops for a spent attempt budget
(:mod:`~watchkeeper.training.attempt_budget`), the loop must not go quiet while its champion
may be losing money. :func:`announce_budget` — called by the agent's retraining step with
every policy decision — fires the alert :data:`BUDGET_RULE` (critical, on every channel of
``alerts.channels``, through :func:`~watchkeeper.alerts.owner_notice.notify_owner`) with what
is needed: the budget's figures and when it frees, the last attempt's outcome and reason,
the new labels the next attempt waits for, what the owner can do, and the champion's losses
as monitoring measured them (the last :data:`LOSS_SPAN` against the same span before the
drift began). The alert stays firing while the budget stays spent, so the owner is told
once; when the policy finds room in the budget again (it freed, a new drift episode began,
the owner acted) the alert is resolved, and a later exhaustion alerts again.

>>> from datetime import UTC, datetime
>>> from watchkeeper.training.retrain_policy import RetrainDecision
>>> budget = {"used": 10, "limit": 10, "since": "2026-06-02T00:00:00+00:00", "period": "90d",
...           "exhausted": True, "resumes_at": "2026-09-28T00:00:00+00:00"}
>>> losses = {"estimated_fraud_loss_approved": {"last": 52300.0, "before_drift": 10400.0}}
>>> notice = budget_notice("fraud", RetrainDecision(False, "drift", "spent", {
...     "attempt_budget": budget}), champion_version=1, losses=losses, last_attempt=None)
>>> notice.severity, notice.summary.split(". ")[-1]
('critical', 'champion version 1: estimated_fraud_loss_approved 52,300 in the last 7 days (10,400 before the drift)')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from watchkeeper import metric_names as names
from watchkeeper.clock import as_utc, utc_from_iso
from watchkeeper.storage.metadata.alert_store import FIRING
from watchkeeper.storage.metadata.store import MetadataStore
from watchkeeper.training.attempts import RetrainAttempt, recorded_attempts
from watchkeeper.training.retrain_policy import RetrainDecision

if TYPE_CHECKING:
    from watchkeeper.alerts.channels import AlertChannel
    from watchkeeper.alerts.owner_notice import OwnerNotice
    from watchkeeper.workspace import Workspace

BUDGET_RULE = "retraining budget spent"
BUDGET_METRIC = names.RETRAIN_BUDGET_SPENT

LOSS_METRICS = (
    names.estimated(names.FRAUD_LOSS_APPROVED),
    names.FRAUD_LOSS_APPROVED,
    names.estimated(names.BUSINESS_VALUE),
    names.BUSINESS_VALUE,
)
"""The champion's money in the metric series the notice reports, those the model has."""

LOSS_SPAN = timedelta(days=7)
"""The span the champion's losses are summed over: the latest, and the one before the drift."""


def champion_losses(
    metadata: MetadataStore,
    model: str,
    version: int | None,
    *,
    as_of: datetime,
    drift_onset: datetime | None,
) -> dict[str, dict[str, float | None]]:
    """For each of :data:`LOSS_METRICS` the champion has, its sum over the windows ending in
    the last :data:`LOSS_SPAN` and over the same span before ``drift_onset`` (realized
    values of young windows count the labels known so far: a lower bound)."""
    moment = as_utc(as_of)
    found: dict[str, dict[str, float | None]] = {}
    for metric in LOSS_METRICS:
        rows = [
            row
            for row in metadata.metrics(model, metric=metric, feature="")
            if row.value is not None and (version is None or row.model_version == version)
        ]
        if not rows:
            continue
        before = None if drift_onset is None else _span_sum(rows, as_utc(drift_onset))
        found[metric] = {"last": _span_sum(rows, moment), "before_drift": before}
    return found


def _span_sum(rows: Sequence[Any], end: datetime) -> float:
    return float(sum(row.value for row in rows if end - LOSS_SPAN < as_utc(row.window_end) <= end))


def budget_notice(
    model: str,
    decision: RetrainDecision,
    *,
    champion_version: int | None,
    losses: Mapping[str, Mapping[str, float | None]],
    last_attempt: RetrainAttempt | None,
) -> OwnerNotice:
    """The owner's notice for a decision stopped by a spent budget (see the module)."""
    from watchkeeper.alerts.owner_notice import OwnerNotice

    budget = decision.evidence["attempt_budget"]
    resumes = budget.get("resumes_at")
    parts = [
        f"retraining of {model!r} stopped: {budget['used']} refused attempt(s) since "
        f"{str(budget['since'])[:10]} (retraining.max_attempts {budget['limit']}); it resumes"
        + (f" on {str(resumes)[:10]}" if resumes else "")
        + " or when the owner acts: retrain by hand (watchkeeper retrain --reason ...), "
        "promote a version, or raise retraining.max_attempts",
    ]
    if last_attempt is not None:
        parts.append(f"last attempt {last_attempt.outcome}: {last_attempt.reason}")
    wait = decision.evidence.get("new_evidence")
    if wait and wait.get("have") is not None and wait["have"] < wait["needed"]:
        expected = wait.get("ready_at")
        parts.append(
            f"needed: {wait['needed']:g} new matured {wait['unit']} after "
            f"{str(wait['since'])[:10]}, {wait['have']:g} so far"
            + (f" (expected by {str(expected)[:10]})" if expected else "")
        )
    if losses:
        shown = "; ".join(
            f"{name} {_money(values.get('last'))} in the last {LOSS_SPAN.days} days"
            + (
                f" ({_money(values['before_drift'])} before the drift)"
                if values.get("before_drift") is not None
                else ""
            )
            for name, values in losses.items()
        )
        owner = (
            "the champion" if champion_version is None else f"champion version {champion_version}"
        )
        parts.append(f"{owner}: {shown}")
    evidence = {
        "decision": {"trigger": decision.trigger, "reason": decision.reason},
        "attempt_budget": budget,
        "new_evidence": wait,
        "champion_version": champion_version,
        "champion_losses": {name: dict(values) for name, values in losses.items()},
        "last_attempt": None if last_attempt is None else last_attempt.to_dict(),
    }
    return OwnerNotice(
        rule=BUDGET_RULE,
        metric=BUDGET_METRIC,
        severity="critical",
        value=float(budget["used"]),
        summary=". ".join(parts),
        evidence=evidence,
    )


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def announce_budget(
    workspace: Workspace,
    decision: RetrainDecision,
    *,
    channels: Sequence[AlertChannel] | None = None,
) -> str | None:
    """Alert the owner when ``decision`` stopped for a spent budget and no such alert fires
    yet; resolve a firing one when the decision found room in the budget. Returns what was
    done, in words, or None when nothing was (no trigger: the budget was not consulted).
    ``channels`` replace the workspace's alert channels (tests)."""
    from watchkeeper.alerts.owner_notice import notify_owner, resolve_owner_notice
    from watchkeeper.registry.registry import CHAMPION, ModelRegistry

    budget = decision.evidence.get("attempt_budget")
    if budget is None:
        return None
    config, metadata = workspace.config, workspace.metadata
    model = config.model.name
    if not budget.get("exhausted"):
        if resolve_owner_notice(metadata, model, BUDGET_RULE, workspace.clock):
            return "retraining budget available again: the owner's alert is resolved"
        return None
    stored = metadata.alerts.get(model, BUDGET_RULE, None)
    if stored is not None and stored.state == FIRING:
        return None  # told already; the alert fires until the budget has room again
    champion = ModelRegistry.for_workspace(workspace).aliases().get(CHAMPION)
    onset = decision.evidence.get("drift_onset")
    now = workspace.clock.now()
    losses = champion_losses(
        metadata,
        model,
        champion,
        as_of=now,
        drift_onset=None if onset is None else utc_from_iso(str(onset)),
    )
    last = recorded_attempts(metadata, model, limit=1)
    notice = budget_notice(
        model,
        decision,
        champion_version=champion,
        losses=losses,
        last_attempt=last[0] if last else None,
    )
    notify_owner(metadata, model, config.owner, config.alerts, workspace.clock, notice,
                 channels=channels)  # fmt: skip
    return f"the owner was alerted (critical): {notice.summary}"


__all__ = [
    "BUDGET_METRIC",
    "BUDGET_RULE",
    "LOSS_METRICS",
    "LOSS_SPAN",
    "announce_budget",
    "budget_notice",
    "champion_losses",
]
