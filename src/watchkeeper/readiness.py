"""The readiness scorecard: the case study's five questions, answered from a workspace.

Each question gets ``pass``, ``warn`` or ``fail`` with the evidence found (configuration, the
metric series, the registry, the audit log) and, when it is not a pass, the remedy.

1. If the data changes next month, how would we know?  (automated drift detection)
2. What is the process for retraining and redeploying?  (automated, versioned, validated)
3. Who owns this model's performance after deployment?  (a named owner, alerts routed)
4. Can we trace what data and code produced the production model?  (lineage)
5. How do we measure business value?  (a business outcome defined and tracked)

>>> import tempfile, pathlib
>>> from watchkeeper.workspace import Workspace
>>> root = Workspace.create(pathlib.Path(tempfile.mkdtemp()) / "ws")
>>> with Workspace.open(root) as workspace:
...     card = assess(workspace)
>>> [(answer.key, answer.status) for answer in card.answers]  # doctest: +NORMALIZE_WHITESPACE
[('drift_detection', 'warn'), ('retraining', 'warn'), ('ownership', 'warn'),
 ('lineage', 'fail'), ('business_outcome', 'warn')]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from watchkeeper import metric_names as names
from watchkeeper.durations import format_duration
from watchkeeper.errors import RegistryError
from watchkeeper.storage.metadata.decision_kinds import RETRAIN_ATTEMPT
from watchkeeper.workspace import Workspace

Status = Literal["pass", "warn", "fail"]

DRIFT_EVIDENCE = frozenset(
    {
        names.PSI,
        names.SCORE_PSI,
        names.JS_DISTANCE,
        names.WASSERSTEIN,
        names.DOMAIN_AUC,
        names.FLAG_RATE,
        names.DECISION_PSI,
        names.PREDICTION_PSI,
    }
)
"""Series (and alert rules on them) that answer "is drift detected?"."""
MONEY_EVIDENCE = frozenset(
    {
        names.BUSINESS_VALUE,
        names.VALUE_AGAINST_BASELINE,
        names.FRAUD_LOSS_APPROVED,
        names.COST,
        names.estimated(names.BUSINESS_VALUE),
    }
)
"""Series that answer "is the business outcome tracked?"."""
LINEAGE_PARTS = ("data", "code", "environment", "hyperparameters", "evaluation", "trigger")


@dataclass(frozen=True)
class Answer:
    """One question's verdict, the evidence behind it and what to do about it."""

    key: str
    question: str
    status: Status
    evidence: list[str]
    remedy: str | None


@dataclass(frozen=True)
class Scorecard:
    """The five answers for one model."""

    model: str
    answers: list[Answer]

    @property
    def passed(self) -> bool:
        """True when no question fails."""
        return all(answer.status != "fail" for answer in self.answers)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "model": self.model,
            "passed": self.passed,
            "answers": [asdict(a) for a in self.answers],
        }


def _metric_names(workspace: Workspace) -> set[str]:
    return {row.metric for row in workspace.metadata.metrics(workspace.config.model.name)}


def _drift(workspace: Workspace, metrics: set[str]) -> Answer:
    question = "If the data our model receives changes next month, how would we know?"
    config = workspace.config
    rules = [rule for rule in config.alerts.rules if rule.metric in DRIFT_EVIDENCE]
    evidence = [
        f"PSI thresholds: warn {config.monitoring.psi.warn}, alert {config.monitoring.psi.alert}",
        f"{len(rules)} alert rule(s) on drift metrics: "
        + (", ".join(f"{rule.name} ({rule.metric})" for rule in rules) or "none"),
    ]
    tracked = sorted(metrics & DRIFT_EVIDENCE)
    evidence.append(f"drift metrics in the series: {', '.join(tracked) or 'none yet'}")
    if not rules:
        return Answer(
            "drift_detection",
            question,
            "fail",
            evidence,
            "add alert rules on psi and score_psi under alerts.rules",
        )
    if not tracked:
        return Answer(
            "drift_detection",
            question,
            "warn",
            evidence,
            "run 'watchkeeper monitor' (or 'watchkeeper run') so drift is measured",
        )
    return Answer("drift_detection", question, "pass", evidence, None)


def _retraining(workspace: Workspace) -> Answer:
    question = "What is the process for retraining and redeploying this model?"
    config = workspace.config
    retraining = config.retraining
    attempts = workspace.metadata.decisions(config.model.name, kind=RETRAIN_ATTEMPT, limit=1000)
    versions = workspace.metadata.versions(config.model.name)
    evidence = [
        f"drift-triggered retraining {'enabled' if retraining.enabled else 'disabled'} "
        f"(PSI on {retraining.triggers.psi_features} feature(s) for "
        f"{retraining.triggers.psi_windows} window(s); cooldown "
        f"{format_duration(retraining.cooldown)})",
        f"validation gate: {retraining.primary_metric} with a bootstrap interval, "
        f"margin {retraining.margin}, power {retraining.min_power:g} asked against "
        f"{retraining.detectable_effect:.0%} of the champion's room (below it: undecided)",
        f"attempt budget: {retraining.max_attempts} refused attempt(s) per drift episode "
        f"(within {format_duration(retraining.budget_period)}), the owner alerted when spent; "
        f"after a refusal the next attempt waits for new labels",
        f"{len(versions)} registered version(s), {len(attempts)} recorded attempt(s)",
    ]
    overrides = _gate_overrides(workspace)
    evidence.extend(overrides)
    if overrides:
        return Answer(
            "retraining",
            question,
            "fail",
            evidence,
            "retrain so the validation gate judges a version, and canary that one (or roll "
            "the forced canary back)",
        )
    if not retraining.enabled:
        return Answer(
            "retraining",
            question,
            "fail",
            evidence,
            "set retraining.enabled: true so drift starts a validated attempt",
        )
    if not versions:
        return Answer(
            "retraining",
            question,
            "warn",
            evidence,
            "train the first version with 'watchkeeper train'",
        )
    return Answer("retraining", question, "pass", evidence, None)


def _gate_overrides(workspace: Workspace) -> list[str]:
    """A line for the champion and the running canary when they went live forced past the
    validation gate."""
    from watchkeeper.rollout.gate_clearance import forced_starts

    model = workspace.config.model.name
    forced = forced_starts(workspace.metadata, model)
    if not forced:
        return []
    running = workspace.metadata.rollouts.active(model)
    live = {
        "champion": workspace.metadata.version_status.aliases(model).get("champion"),
        "canary": running.challenger_version if running is not None else None,
    }
    lines = []
    for role, version in live.items():
        entry = forced.get(version) if version is not None else None
        if entry is not None:
            evidence = dict(entry.evidence)
            lines.append(
                f"{role} version {version} was forced past the validation gate "
                f"({evidence.get('gate')}) by {entry.actor} on {entry.at:%Y-%m-%d}: "
                f"{evidence.get('force_reason')}"
            )
    return lines


def _ownership(workspace: Workspace) -> Answer:
    question = "Who owns this model's performance after deployment?"
    config = workspace.config
    channels = [channel.type for channel in config.alerts.channels]
    evidence = [
        f"owner: {config.owner.name} <{config.owner.contact}>",
        f"alert channels: {', '.join(channels) or 'none'}; {len(config.alerts.rules)} rule(s)",
    ]
    if not config.alerts.rules:
        return Answer(
            "ownership",
            question,
            "fail",
            evidence,
            "add alert rules so the owner hears of drift and performance drops",
        )
    if set(channels) <= {"log"}:
        return Answer(
            "ownership",
            question,
            "warn",
            evidence,
            "route alerts to the owner: add an email, slack or webhook channel",
        )
    return Answer("ownership", question, "pass", evidence, None)


def _lineage(workspace: Workspace) -> Answer:
    question = "Can we trace exactly what data and code produced the model in production?"
    from watchkeeper.registry.registry import ModelRegistry

    registry = ModelRegistry.for_workspace(workspace)
    try:
        champion = registry.record("champion")
    except RegistryError:
        return Answer(
            "lineage",
            question,
            "fail",
            ["no champion version is registered"],
            "train and register a model with 'watchkeeper train'",
        )
    lineage = dict(champion.lineage)
    missing = [part for part in LINEAGE_PARTS if not lineage.get(part)]
    evidence = [f"champion: version {champion.version}"]
    data = lineage.get("data") or {}
    if data:
        evidence.append(
            f"data: {data.get('rows')} rows, window {data.get('window_start')} to "
            f"{data.get('window_end')}, table versions {data.get('table_versions')}"
        )
    code = lineage.get("code") or {}
    if code:
        evidence.append(f"code: git {code.get('git_commit')} (dirty: {code.get('git_dirty')})")
    if missing:
        evidence.append(f"missing: {', '.join(missing)}")
        return Answer(
            "lineage",
            question,
            "fail",
            evidence,
            "retrain with 'watchkeeper retrain' so the version carries full lineage",
        )
    return Answer("lineage", question, "pass", evidence, None)


def _business(workspace: Workspace, metrics: set[str]) -> Answer:
    question = "How do we measure whether this model is delivering business value?"
    business = workspace.config.monitoring.business
    tracked = sorted(metrics & MONEY_EVIDENCE)
    evidence = [
        f"value model: review {business.review_cost} {business.currency} per flag, false declines "
        f"{business.false_decline_rate:.0%} of the amount + {business.false_decline_cost} "
        f"{business.currency}, baseline {business.baseline}",
        f"business metrics in the series: {', '.join(tracked) or 'none yet'}",
    ]
    if not tracked:
        return Answer(
            "business_outcome",
            question,
            "warn",
            evidence,
            "run 'watchkeeper monitor' with outcomes flowing in, so money is tracked",
        )
    return Answer("business_outcome", question, "pass", evidence, None)


def assess(workspace: Workspace) -> Scorecard:
    """Answer the five questions for the workspace's model."""
    metrics = _metric_names(workspace)
    return Scorecard(
        model=workspace.config.model.name,
        answers=[
            _drift(workspace, metrics),
            _retraining(workspace),
            _ownership(workspace),
            _lineage(workspace),
            _business(workspace, metrics),
        ],
    )


__all__ = ["Answer", "Scorecard", "assess"]
