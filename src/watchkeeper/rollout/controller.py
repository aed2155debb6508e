"""The rollout controller: idle -> canary -> promoted | rolled_back, driven by event time.

:meth:`RolloutController.start` makes a validated version the challenger and opens a canary
against the current champion. :meth:`~RolloutController.evaluate` (on each monitoring tick,
or on demand) checks the guards of :mod:`watchkeeper.rollout.guards` on the canary's
statistics: any failed guard rolls back at once; after ``rollout.duration`` of event time and
``rollout.min_events`` scored events it promotes, or waits for an owner's approval when
``rollout.require_approval`` is set. Every transition is one transaction over the rollout row
and the registry (:mod:`watchkeeper.storage.metadata.rollout_store`) and is recorded in the audit log.

>>> import tempfile
>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.config.lifecycle import RolloutConfig
>>> from watchkeeper.registry.registry import ModelRegistry
>>> from watchkeeper.storage.artifacts.store import open_artifact_store
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> from watchkeeper.modeling.model import SklearnModel
>>> clock = EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC))
>>> metadata = open_metadata_store("sqlite://", clock)
>>> registry = ModelRegistry(metadata, open_artifact_store(tempfile.mkdtemp()), "fraud")
>>> model = SklearnModel(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), ["amount"])
>>> for _ in range(2):
...     _ = registry.register(model, feature_schema={"amount": "Float64"}, threshold=0.5)
>>> _ = registry.set_status(1, "champion", reason="first version")
>>> controller = RolloutController(registry, RolloutConfig(min_events=10), clock)
>>> controller.start(2, actor="dana")  # the gate never judged version 2
Traceback (most recent call last):
...
watchkeeper.errors.RolloutError: version 2 was never validated by the gate; to start its canary anyway, force it with a reason (--force --reason, or force and reason over HTTP)
>>> controller.start(2, actor="dana", reason="judged by hand", force=True).state
'canary'
>>> quiet = RouteStatistics(events=20, latency_ms_total=20.0)
>>> controller.evaluate(CanaryStatistics(quiet, quiet)).action
'waiting'
>>> _ = clock.advance(timedelta(hours=48))
>>> controller.evaluate(CanaryStatistics(quiet, quiet)).action
'promoted'
>>> registry.aliases()
{'champion': 2}
>>> metadata.close()
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from watchkeeper.clock import Clock
from watchkeeper.config import ModelTask
from watchkeeper.config.lifecycle import RolloutConfig
from watchkeeper.config.workspace_file import LabelConfig
from watchkeeper.errors import RolloutError, WatchkeeperError
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.registry.statuses import (
    CANDIDATE,
    CHALLENGER,
    CHAMPION,
    RETIRED,
    ROLLED_BACK,
    status_plan,
)
from watchkeeper.rollout.canary_reference import canary_reference
from watchkeeper.rollout.canary_statistics import canary_statistics, holdout_flag_rate
from watchkeeper.rollout.gate_clearance import gate_verdict, override_evidence
from watchkeeper.rollout.guards import CanaryStatistics, GuardCheck, RouteStatistics, check_guards
from watchkeeper.rollout.rollback_alert import RollbackAlerts
from watchkeeper.storage.events.store import EventStore
from watchkeeper.storage.metadata import rollout_store
from watchkeeper.storage.metadata.decision_kinds import (
    ROLLOUT_PROMOTE,
    ROLLOUT_ROLLBACK,
    ROLLOUT_START,
)
from watchkeeper.storage.metadata.rollout_store import RolloutRecord
from watchkeeper.workspace import Workspace

Action = Literal["idle", "waiting", "awaiting_approval", "promoted", "rolled_back"]


@dataclass(frozen=True)
class RolloutStatus:
    """The rollout state (``idle`` when nothing runs), the running or last rollout, the aliases."""

    state: str
    rollout: RolloutRecord | None
    aliases: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view for the CLI and the HTTP API."""
        rollout = self.rollout
        return {
            "state": self.state,
            "aliases": dict(self.aliases),
            "rollout": None
            if rollout is None
            else {
                "id": rollout.id,
                "state": rollout.state,
                "challenger_version": rollout.challenger_version,
                "champion_version": rollout.champion_version,
                "canary_share": rollout.canary_share,
                "shadow": rollout.shadow,
                "started_at": rollout.started_at.isoformat(),
                "ended_at": rollout.ended_at.isoformat() if rollout.ended_at else None,
                "actor": rollout.actor,
                "reason": rollout.reason,
            },
        }


@dataclass(frozen=True)
class RolloutEvaluation:
    """What one evaluation did, the guard verdicts, and the message to alert with (if any)."""

    action: Action
    checks: tuple[GuardCheck, ...]
    rollout: RolloutRecord | None
    alert: str | None = None


STATE_TO_REFILL = (
    "the new champion computes its features with another fitted spec: fill its online state "
    "with 'watchkeeper features backfill-state'"
)
"""The audit evidence of a promotion that changed the fitted spec."""


class RolloutController:
    """Starts, evaluates, promotes and rolls back the canary of one model's registry."""

    def __init__(
        self,
        registry: ModelRegistry,
        config: RolloutConfig,
        clock: Clock,
        *,
        alerts: RollbackAlerts | None = None,
        label: LabelConfig | None = None,
        task: ModelTask = "binary",
    ) -> None:
        """``alerts`` tells the owner of every rollback; ``label`` enables the realized guard;
        ``task`` (the workspace's ``model.task``) chooses the guards."""
        self.task: ModelTask = task
        self.registry = registry
        self.config = config
        self.clock = clock
        self.alerts = alerts
        self.label = label
        self._store = registry.metadata.rollouts
        self._model = registry.model_name

    @classmethod
    def for_workspace(cls, workspace: Workspace, clock: Clock | None = None) -> RolloutController:
        """The controller of a workspace's model: its rollout settings, labels and alerts."""
        config = workspace.config
        moment = clock if clock is not None else workspace.clock
        registry = ModelRegistry.for_workspace(workspace)
        alerts = RollbackAlerts(
            registry.metadata, registry.model_name, config.owner, config.alerts, moment
        )
        return cls(
            registry,
            config.rollout,
            moment,
            alerts=alerts,
            label=config.label,
            task=config.model.task,
        )

    def status(self) -> RolloutStatus:
        """The running rollout's state, else ``idle`` with the last rollout (if any)."""
        running = self._store.active(self._model)
        aliases = self.registry.aliases()
        if running is not None:
            return RolloutStatus(running.state, running, aliases)
        return RolloutStatus("idle", self._store.latest(self._model), aliases)

    def running(self) -> RolloutRecord:
        """The running rollout; :class:`RolloutError` when none runs."""
        found = self._store.active(self._model)
        if found is None:
            raise RolloutError(f"no rollout of {self._model!r} is running")
        return found

    def start(
        self, version: int | str, *, actor: str, reason: str = "canary", force: bool = False
    ) -> RolloutRecord:
        """Make ``version`` the challenger and open its canary against the champion.

        A version the validation gate did not accept (refused, or never judged) needs
        ``force`` and a ``reason``, both written to the audit log. Nothing changes unless the
        champion and the challenger both load (every artifact verified).
        """
        challenger = self.registry.resolve(version)
        champion = self.registry.aliases().get(CHAMPION)
        if champion is None:
            raise RolloutError(f"model {self._model!r} has no champion to canary against")
        if champion == challenger:
            raise RolloutError(f"version {challenger} is already the champion")
        verdict = gate_verdict(self.registry.metadata, self._model, challenger)
        evidence: dict[str, Any] = {"gate": verdict.describe()}
        if not verdict.cleared:
            if not force:
                raise RolloutError(
                    f"version {challenger} was {verdict.describe()}; to start its canary "
                    "anyway, force it with a reason (--force --reason, or force and reason "
                    "over HTTP)"
                )
            if not reason.strip():
                raise RolloutError("a forced canary needs a reason, for the audit log")
            evidence = override_evidence(verdict, reason)
        self._check_loads(f"canary of version {challenger} not started", champion, challenger)
        plan = status_plan(
            self._model, challenger, CHALLENGER, reason=reason, demote_previous_to=CANDIDATE
        )
        record = self._store.start(
            self._model,
            challenger_version=challenger,
            champion_version=champion,
            canary_share=self.config.canary_share,
            shadow=self.config.shadow,
            plan=plan,
            actor=actor,
            reason=reason,
        )
        if self.alerts is not None:
            self.alerts.resolve()
        forced = " (forced past the gate)" if evidence.get("forced") else ""
        self._audit(
            ROLLOUT_START,
            f"canary of version {challenger} started{forced}: {reason}",
            actor,
            {"rollout": record.id, "challenger": challenger, "champion": champion, **evidence},
        )
        return record

    def promote(
        self, *, actor: str, reason: str = "promoted", evidence: dict[str, Any] | None = None
    ) -> RolloutRecord:
        """End the canary by making the challenger the champion (the old one retires).

        When the challenger computes its features with another fitted spec than the
        champion, the online state (filled for the champion's) must be filled again: the
        audit log says so (evidence ``online_state``), and so do ``/readyz`` and ``serve``
        until ``watchkeeper features backfill-state`` has run.
        """
        from watchkeeper.registry.fitted_specs import feature_spec_changes

        running = self.running()
        self._check_loads(
            f"version {running.challenger_version} not promoted", running.challenger_version
        )
        if feature_spec_changes(
            self.registry, running.champion_version, running.challenger_version
        ):
            evidence = {**(evidence or {}), "online_state": STATE_TO_REFILL}
        plan = status_plan(
            self._model,
            running.challenger_version,
            CHAMPION,
            reason=reason,
            demote_previous_to=RETIRED,
        )
        return self._finish(
            running, rollout_store.PROMOTED, plan, "promoted", actor, reason, evidence
        )

    def rollback(
        self, *, actor: str, reason: str = "rolled back", evidence: dict[str, Any] | None = None
    ) -> RolloutRecord:
        """End the canary by rolling the challenger back; the champion keeps serving."""
        running = self.running()
        plan = status_plan(self._model, running.challenger_version, ROLLED_BACK, reason=reason)
        return self._finish(
            running, rollout_store.ROLLED_BACK, plan, "rolled back", actor, reason, evidence
        )

    def _finish(
        self,
        running: RolloutRecord,
        outcome: str,
        plan: Any,
        verb: str,
        actor: str,
        reason: str,
        evidence: dict[str, Any] | None,
    ) -> RolloutRecord:
        """End the running canary with ``outcome`` (plan applied atomically) and audit it."""
        record = self._store.finish(
            self._model,
            running.id,
            outcome,
            plan=plan,
            actor=actor,
            reason=reason,
            evidence=evidence,
        )
        kind = ROLLOUT_PROMOTE if outcome == rollout_store.PROMOTED else ROLLOUT_ROLLBACK
        self._audit(
            kind,
            f"version {running.challenger_version} {verb}: {reason}",
            actor,
            {"rollout": running.id, **(evidence or {})},
        )
        if outcome == rollout_store.ROLLED_BACK and self.alerts is not None:
            self.alerts.rolled_back(
                challenger_version=running.challenger_version,
                rollout_id=running.id,
                reason=reason,
                actor=actor,
                evidence=evidence,
            )
        return record

    def evaluate(
        self, statistics: CanaryStatistics, *, actor: str = "watchkeeper"
    ) -> RolloutEvaluation:
        """Check the guards; roll back on any failure, promote (or await approval) when due."""
        running = self._store.active(self._model)
        if running is None:
            return RolloutEvaluation("idle", (), self._store.latest(self._model))
        checks = tuple(check_guards(statistics, self.config.guards))
        evidence = {
            "checks": [vars(check) for check in checks],
            "challenger_events": statistics.challenger.events,
        }
        failed = [check for check in checks if not check.passed]
        if failed:
            reason = "; ".join(check.describe() for check in failed)
            record = self.rollback(actor=actor, reason=f"guard failed: {reason}", evidence=evidence)
            alert = (
                f"canary of version {running.challenger_version} of {self._model!r} "
                f"rolled back: {reason}"
            )
            return RolloutEvaluation("rolled_back", checks, record, alert)
        elapsed = self.clock.now() - running.started_at
        due = (
            elapsed >= self.config.duration
            and statistics.challenger.events >= self.config.min_events
        )
        if not due:
            return RolloutEvaluation("waiting", checks, running)
        if self.config.require_approval:
            if running.state != rollout_store.AWAITING_APPROVAL:
                running = self._store.mark(
                    self._model,
                    running.id,
                    rollout_store.AWAITING_APPROVAL,
                    reason="guards passed for the whole duration; waiting for the owner",
                )
            return RolloutEvaluation("awaiting_approval", checks, running)
        record = self.promote(
            actor=actor, reason="guards passed for the whole duration", evidence=evidence
        )
        return RolloutEvaluation("promoted", checks, record)

    def evaluate_from_events(
        self,
        events: EventStore,
        *,
        actor: str = "watchkeeper",
        challenger_errors: int | None = None,
    ) -> RolloutEvaluation:
        """:meth:`evaluate` on what was logged since the canary started, up to now.

        The challenger's holdout flag rate comes from its registry metrics
        (:func:`~watchkeeper.rollout.canary_statistics.holdout_flag_rate`), the reference of
        its scores from its stored profile
        (:func:`~watchkeeper.rollout.canary_reference.canary_reference`); its errors from
        the model errors every worker logged (unless ``challenger_errors`` is given); with a
        ``label`` configuration, realized performance from the outcomes received by now.
        """
        running = self._store.active(self._model)
        if running is None:
            return RolloutEvaluation("idle", (), self._store.latest(self._model))
        metrics = self.registry.record(running.challenger_version).metrics
        statistics = canary_statistics(
            events,
            running,
            holdout=holdout_flag_rate(metrics),
            challenger_errors=challenger_errors,
            label=self.label,
            as_of=self.clock.now(),
            task=self.task,
        )
        if self.task == "binary":
            reference = canary_reference(self.registry, running.challenger_version)
            statistics = replace(
                statistics,
                reference_score_counts=reference.score_counts,
                reference_source=reference.source,
            )
        return self.evaluate(statistics, actor=actor)

    def _check_loads(self, refused: str, *versions: int) -> None:
        """Load each version the action will serve (model and fitted spec, every artifact
        verified) and check it serves the workspace's task; raise :class:`RolloutError`
        before anything changes when one fails."""
        for version in versions:
            try:
                loaded = self.registry.load(version)
                self.registry.feature_spec(version)
            except WatchkeeperError as error:
                raise RolloutError(f"{refused}, nothing changed: {error}") from None
            if loaded.task != self.task:
                raise RolloutError(
                    f"{refused}, nothing changed: version {version} is a {loaded.task} model "
                    f"and the workspace's model.task is {self.task}"
                )

    def _audit(self, kind: str, summary: str, actor: str, evidence: dict[str, Any]) -> None:
        self.registry.metadata.record_decision(
            model=self._model, kind=kind, summary=summary, evidence=evidence, actor=actor
        )


__all__ = [
    "CanaryStatistics",
    "RolloutController",
    "RolloutEvaluation",
    "RolloutStatus",
    "RouteStatistics",
]
