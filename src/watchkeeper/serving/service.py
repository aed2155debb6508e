"""What one app instance holds: the registry, the rollout controller, the scorer, the metrics.

Created by :func:`watchkeeper.serving.app.create_app`; nothing here is global. The serving
models are loaded lazily on the first request and reloaded after every rollout action taken
through this instance. A change made elsewhere (another worker, the CLI) is noticed within
``refresh_seconds``: the aliases and the running rollout are re-read at most that often, and
the models reloaded when they differ.
"""

from __future__ import annotations

import logging
import threading
import time

from watchkeeper.clock import Clock
from watchkeeper.errors import WatchkeeperError
from watchkeeper.features.state.store import EntityStateStore
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.rollout.controller import RolloutController, RolloutStatus
from watchkeeper.serving.admin_token import AdminToken
from watchkeeper.serving.event_time_range import TimeRange
from watchkeeper.serving.idempotency import EventIdLedger
from watchkeeper.serving.metrics import ServingMetrics
from watchkeeper.serving.models import load_serving_models
from watchkeeper.serving.monitoring_gauges import MonitoringCollector
from watchkeeper.serving.pending_states import PendingStates
from watchkeeper.serving.rejection_log import RejectionLog
from watchkeeper.serving.scorer import Scorer
from watchkeeper.workspace import Workspace

logger = logging.getLogger(__name__)


class ScoringService:
    """The state of one service instance over a workspace."""

    def __init__(
        self,
        workspace: Workspace,
        clock: Clock,
        admin_token: AdminToken,
        state: EntityStateStore | None = None,
        refresh_seconds: float = 2.0,
        log_predictions: bool = True,
    ) -> None:
        self.workspace = workspace
        self.config = workspace.config
        self.clock = clock
        self.admin_token = admin_token
        self.registry = ModelRegistry.for_workspace(workspace)
        self.controller = RolloutController.for_workspace(workspace, clock)
        self.metrics = ServingMetrics()
        self.time_range = TimeRange.for_config(self.config, clock)
        """Where live event and outcome times may lie around ``clock`` (``serving.event_time``)."""
        self.metrics.registry.register(
            MonitoringCollector(
                workspace.metadata, self.config.model.name, clock, rollout=self._rollout_info
            )
        )
        self.rejections = RejectionLog(
            workspace.events,
            clock,
            event_id=self.config.keys.event_id,
            event_time=self.config.keys.event_time,
            time_range=self.time_range,
        )
        self.state = state if state is not None else self._open_state()
        self.pending_states = PendingStates(self.state)
        """Shared by every scorer this service builds: states of requests still in flight."""
        self.idempotency = EventIdLedger(
            self.config.serving.idempotency_window, self.config.keys.event_id
        )
        """Shared by every scorer this service builds: the event ids scored (their records
        live in the online state store, shared by the workers)."""
        self.refresh_seconds = refresh_seconds
        self.log_predictions = log_predictions
        self._scorer: Scorer | None = None
        self._lock = threading.Lock()
        self._checked_at = time.monotonic()
        self._fingerprint: tuple[object, ...] | None = None

    def scorer(self) -> Scorer:
        """The scorer of the current champion (and canary), loaded on first use."""
        scorer = self._scorer
        if scorer is not None and time.monotonic() - self._checked_at >= self.refresh_seconds:
            self._checked_at = time.monotonic()
            if self._current_fingerprint() != self._fingerprint:
                try:
                    self.reload()
                except WatchkeeperError as error:  # a request is better served by the old models
                    logger.error(
                        "could not load the new serving models, serving the previous ones: %s",
                        error,
                    )
                scorer = self._scorer
        if scorer is None:
            with self._lock:
                if self._scorer is None:
                    self._scorer = self._load()
                scorer = self._scorer
        return scorer

    def reload(self) -> RolloutStatus:
        """Reload the serving models after a rollout change; publish the rollout state.

        The new models replace the old ones only once they loaded: when loading fails, the
        error is raised and the service goes on scoring with the models it had.
        """
        with self._lock:
            status = self.controller.status()
            self._scorer = self._load()
            self.publish(status)
        return status

    def publish(self, status: RolloutStatus) -> None:
        """Set the rollout gauges from ``status``."""
        share = status.rollout.canary_share if status.rollout is not None else 0.0
        self.metrics.set_rollout(status.state, status.aliases, share)

    def _rollout_info(self) -> tuple[str, int | None, int | None]:
        """The rollout state, champion and challenger, as the metadata store has them now."""
        status = self.controller.status()
        running = status.rollout if status.state != "idle" else None
        challenger = running.challenger_version if running is not None else None
        return status.state, status.aliases.get("champion"), challenger

    def close(self) -> None:
        """Close the online state store."""
        self.state.close()

    def _current_fingerprint(self) -> tuple[object, ...]:
        running = self.registry.metadata.rollouts.active(self.registry.model_name)
        return (tuple(sorted(self.registry.aliases().items())), running.id if running else None)

    def _load(self) -> Scorer:
        fingerprint = self._current_fingerprint()
        models = load_serving_models(self.registry)
        self._fingerprint = fingerprint  # only once loaded: a failed load is tried again
        return Scorer(
            models,
            self.pending_states,
            self.workspace.events,
            self.config.keys,
            self.clock,
            log_predictions=self.log_predictions,
            rejections=self.rejections,
            fsync_predictions=self.config.serving.fsync_predictions,
            time_range=self.time_range,
            idempotency=self.idempotency,
            task=self.config.model.task,
            classes=self.config.label.classes,
        )

    def _open_state(self) -> EntityStateStore:
        return self.workspace.open_online_state()


__all__ = ["ScoringService"]
