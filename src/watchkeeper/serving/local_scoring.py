"""Scoring in this process: what ``POST /v1/score`` does, without a server.

A batch job, a notebook or a test scores events through the same
:class:`~watchkeeper.serving.service.ScoringService` as the HTTP service: the same validation
and event-time guard, the online features from the workspace's state store, the rollout's
router (champion, canary, shadow), the prediction rows logged to the event store's spool
and the per-entity state folded after them. The service's models follow the registry: a
promotion made elsewhere is picked up within ``refresh_seconds``.

>>> import tempfile
>>> from pathlib import Path
>>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as workspace:
...     with LocalScorer(workspace) as scorer:
...         scorer.score({"event_id": "e1"})
Traceback (most recent call last):
...
watchkeeper.errors.RegistryError: model 'card-fraud' has no champion to serve
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from watchkeeper.clock import Clock
from watchkeeper.serving.admin_token import AdminToken
from watchkeeper.serving.scorer import ScoreResult
from watchkeeper.serving.service import ScoringService
from watchkeeper.workspace import Workspace


class LocalScorer:
    """Scores events against a workspace's serving models; close it (or use ``with``) to
    close its online state store.

    ``clock`` (default: the workspace's) is the service's now, which the event-time guard
    and the prediction log read; ``log_predictions=False`` scores without logging the
    predictions (each event still updates its entities' online state).
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        clock: Clock | None = None,
        log_predictions: bool = True,
        refresh_seconds: float = 2.0,
    ) -> None:
        self.service = ScoringService(
            workspace,
            clock if clock is not None else workspace.clock,
            AdminToken(None),
            refresh_seconds=refresh_seconds,
            log_predictions=log_predictions,
        )

    def score(self, event: Mapping[str, Any], *, model_version: int | None = None) -> ScoreResult:
        """Score one event (a mapping of the workspace's keys and inputs); ``model_version``
        pins the deciding model to the champion or the canary's challenger."""
        return self.service.scorer().score(event, model_version=model_version)

    def score_many(
        self, events: Sequence[Mapping[str, Any]], *, model_version: int | None = None
    ) -> list[ScoreResult]:
        """Score events in order, each seeing the ones before it; one invalid event rejects
        the batch before anything is written, naming its position."""
        return self.service.scorer().score_many(events, model_version=model_version)

    def close(self) -> None:
        """Close the online state store."""
        self.service.close()

    def __enter__(self) -> LocalScorer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["LocalScorer"]
