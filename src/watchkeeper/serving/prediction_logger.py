"""An in-process prediction logger, for teams that serve with their own code.

Their service calls :meth:`PredictionLogger.log` after each decision; the row goes through
the same spool into the same ``predictions`` table as the watchkeeper service's, so
monitoring, skew checks and canary statistics read it the same way. ``log`` returns once the
row is durable (the spool's acknowledgement).

>>> import tempfile
>>> from pathlib import Path
>>> from watchkeeper.workspace import Workspace
>>> workspace = Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws"))
>>> logger = PredictionLogger(workspace)
>>> receipt = logger.log(
...     {"event_id": "e1", "ts": "2026-06-01T10:00:00Z", "card_id": "c1", "amount": 12.0},
...     features={"log_amount": 2.56}, score=0.07, decision=False, model_version=3)
>>> receipt.row_count
1
>>> _ = workspace.events.flush()
>>> workspace.events.read("predictions")["route"].to_list()
['champion']
>>> workspace.close()
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from watchkeeper.errors import InvalidInputError
from watchkeeper.features.schema_validation import parse_timestamp
from watchkeeper.serving.rejection_log import RejectionLog, rejection_reason
from watchkeeper.storage.events.store import AppendReceipt
from watchkeeper.storage.events.tables import SERVED_PREDICTION_SCHEMA
from watchkeeper.workspace import Workspace


class PredictionLogger:
    """Logs predictions made elsewhere into a workspace's event store, durably."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.keys = workspace.config.keys
        self._schema = SERVED_PREDICTION_SCHEMA
        self._rejections = RejectionLog(
            workspace.events,
            workspace.clock,
            event_id=self.keys.event_id,
            event_time=self.keys.event_time,
        )

    def log(
        self,
        event: Mapping[str, Any],
        *,
        features: Mapping[str, Any],
        score: float,
        decision: bool,
        model_version: int,
        route: str = "champion",
        latency_ms: float | None = None,
    ) -> AppendReceipt:
        """Append one prediction: the raw event, the features the model saw, what it said.

        The event must carry the workspace's event id and event time keys
        (:class:`~watchkeeper.errors.InvalidInputError` otherwise, and the refusal is a row
        of the ``rejections`` table).
        """
        event_id = event.get(self.keys.event_id)
        try:
            if event_id is None or str(event_id) == "":
                raise InvalidInputError(self.keys.event_id, "required but missing (it is a key)")
            moment = parse_timestamp(self.keys.event_time, event.get(self.keys.event_time))
        except InvalidInputError as error:
            self._rejections.record(
                source="logger",
                reason=rejection_reason(error.field, error.reason),
                field=error.field,
                detail=str(error),
                event=event,
            )
            raise
        entity = event.get(self.keys.entity)
        row = {
            "event_id": [str(event_id)],
            "ts": [moment],
            "entity": [None if entity is None else str(entity)],
            "model_version": [int(model_version)],
            "route": [route],
            "score": [float(score)],
            "decision": [bool(decision)],
            "latency_ms": [latency_ms],
            "raw_input": [json.dumps(dict(event), sort_keys=True, default=str)],
            "features": [json.dumps(dict(features), default=str)],
        }
        return self.workspace.events.append(
            "predictions", pa.Table.from_pydict(row, schema=self._schema)
        )


__all__ = ["PredictionLogger"]
