"""``POST /v1/predictions``: what a model served outside watchkeeper decided, logged row by row.

A batch of posted predictions is read into one frame (:mod:`~watchkeeper.serving.prediction_frame`)
and checked by the same rules as logged files and frames
(:func:`~watchkeeper.intake.prediction_checks.check_predictions`); the team's version labels
are numbered as they first arrive (``team-v1`` -> 1). Good rows are appended through the
spool, as the service's other writes are: their inputs, typed, to the raw-event table
(``transactions``), the predictions to ``predictions``. Each refused row is
answered with its position, field and reason and appended to ``rejections`` (source
``predictions``). One bad row never refuses the others.

Idempotent by event id, as scoring is (:mod:`~watchkeeper.serving.idempotency`): a logged
event id is recorded in the service's event id ledger (the online state store, shared by the
workers, remembered for ``serving.idempotency_window``) with a digest of its rows as stored
(inputs, time, entity, label and the task's columns; not ``latency_ms``). Posted again with
the same content, it counts as ``repeated`` and is not written again; with different
content, the row is refused (``conflicting_duplicate``). Within one worker, batches are
logged one at a time, so two concurrent posts of one id never both write it; two workers
receiving one id in the same millisecond may both write it (the table keeps one row per
event id on read).

>>> LoggedPredictions(logged=0, repeated=0, refused=[]).status
200
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from watchkeeper.clock import Clock
from watchkeeper.errors import WatchkeeperError
from watchkeeper.features.entity_state import EntityState
from watchkeeper.intake.logged_rows import REFUSAL_SCHEMA, refusals
from watchkeeper.intake.prediction_checks import ModelVersions, PredictionRules, check_predictions
from watchkeeper.serving.event_time_range import TimeRange
from watchkeeper.serving.idempotency import SEEN_VALUE, EventIdLedger, content_digest
from watchkeeper.serving.pending_states import PendingStates
from watchkeeper.serving.prediction_frame import (
    RowRefusal,
    frame_columns,
    prediction_frame,
)
from watchkeeper.storage.events.store import EventStore

logger = logging.getLogger(__name__)

PREDICTIONS_TABLE = "predictions"
EVENTS_TABLE = "transactions"
REJECTION_SOURCE = "predictions"
"""The ``source`` of the ``rejections`` rows of refused posted predictions."""
CONFLICT = "conflicting_duplicate"
_NOT_CONTENT = ("latency_ms", "raw_input", "features")
"""Columns a repeat may change: the latency is the request's; the raw input and features of
a logged prediction are empty (its inputs are in the raw-event table's row)."""


@dataclass(frozen=True)
class LoggedPredictions:
    """What one post did: rows ``logged`` now, ``repeated`` (logged before, same content),
    the ``refused`` rows, by position in the body, and how many fields the workspace does
    not declare were dropped (``unknown_fields``)."""

    logged: int
    repeated: int
    refused: list[RowRefusal] = field(default_factory=list)
    unknown_fields: int = 0

    @property
    def status(self) -> int:
        """200 when any row was logged or repeated (or none was sent); when every row was
        refused, 409 if each one repeats a logged id with different content, else 422.

        >>> conflict = RowRefusal(0, "e1", "event_id", CONFLICT, "already logged")
        >>> LoggedPredictions(0, 0, [conflict]).status, LoggedPredictions(1, 0, [conflict]).status
        (409, 200)
        """
        if self.logged or self.repeated or not self.refused:
            return 200
        return 409 if all(row.reason == CONFLICT for row in self.refused) else 422

    def to_dict(self) -> dict[str, Any]:
        """The answer's body; a whole refusal also carries the usual ``error`` object."""
        body: dict[str, Any] = {
            "logged": self.logged,
            "repeated": self.repeated,
            "refused": [row.to_dict() for row in self.refused],
        }
        if self.status != 200:
            message = f"all {len(self.refused)} predictions were refused (see refused)"
            body["error"] = {"field": "predictions", "message": message}
        return body


class PredictionLog:
    """Checks posted predictions and logs them (see the module); one per service."""

    def __init__(
        self,
        events: EventStore,
        rules: PredictionRules,
        model_versions: ModelVersions,
        *,
        clock: Clock,
        ledger: EventIdLedger,
        records: PendingStates,
        time_range: TimeRange | None = None,
        reject_unknown: bool = False,
    ) -> None:
        self.events = events
        self.rules = rules
        self.model_versions = model_versions
        self.clock = clock
        self.ledger = ledger
        self.records = records
        self.time_range = time_range
        self.reject_unknown = reject_unknown
        self.columns = frame_columns(rules)
        self._lock = threading.Lock()

    def log(self, items: Sequence[Any]) -> LoggedPredictions:
        """Check ``items`` (the body's ``predictions``) and log the good ones.

        A storage error while appending the good rows is raised (nothing is recorded as
        logged); the refused rows' ``rejections`` are appended after, and a failure there is
        logged, not raised.
        """
        built = prediction_frame(
            items,
            self.columns,
            event_id=self.rules.event_id,
            event_time=self.rules.event_time,
            time_range=self.time_range,
            reject_unknown=self.reject_unknown,
        )
        refused = list(built.refused)
        logged = repeated = 0
        if built.frame.height:
            checked = check_predictions(built.frame, self.rules, self.model_versions)
            refused += [
                RowRefusal(built.positions[row], event_id, name, reason, detail)
                for row, event_id, name, reason, detail in checked.refused.iter_rows()
            ]
            first_position: dict[str, int] = {}
            for position, event_id in zip(
                built.positions, built.frame[self.rules.event_id].to_list(), strict=True
            ):
                first_position.setdefault(event_id, position)
            with self._lock:
                logged, seen, conflicts = self._append_new(
                    checked.accepted, checked.events, first_position
                )
            repeated = checked.repeated + seen
            refused += conflicts
        refused.sort(key=lambda row: row.index)
        self._reject(refused)
        return LoggedPredictions(logged, repeated, refused, built.unknown_fields)

    def _append_new(
        self,
        accepted: pl.DataFrame,
        inputs: pl.DataFrame | None,
        first_position: dict[str, int],
    ) -> tuple[int, int, list[RowRefusal]]:
        """Append the rows (predictions, and ``inputs``: their raw events) whose event id the
        ledger does not know; count those it knows with the same content, refuse those it
        knows with another."""
        if accepted.height == 0:
            return 0, 0, []
        now = self.clock.now()
        key = self.rules.event_id
        event_ids: list[str] = accepted["event_id"].to_list()
        events = {
            row[key]: row for row in (inputs.iter_rows(named=True) if inputs is not None else ())
        }
        digests = [
            content_digest({"prediction": row, "event": events.get(row["event_id"])})
            for row in accepted.drop(_NOT_CONTENT, strict=False).iter_rows(named=True)
        ]
        keys = [self.ledger.keys(event_id, now) for event_id in event_ids]
        with self.records.lock:
            self.ledger.forget_expired(self.records, now)
            found = self.records.get_many([key for pair in keys for key in pair])
        new: list[bool] = []
        seen = 0
        conflicts: list[RowRefusal] = []
        for position, (event_id, digest) in enumerate(zip(event_ids, digests, strict=True)):
            current, previous = found[2 * position], found[2 * position + 1]
            stored = current if current is not None else previous
            new.append(stored is None)
            if stored is None:
                continue
            entry = stored.values.get(SEEN_VALUE) or [None]
            if entry[0] == digest:
                seen += 1
                continue
            conflicts.append(
                RowRefusal(
                    first_position[event_id],
                    event_id,
                    self.rules.event_id,
                    CONFLICT,
                    f"event id {event_id[:80]!r} was already logged with different content",
                )
            )
        rows = accepted.filter(pl.Series(new, dtype=pl.Boolean))
        if rows.height:
            if inputs is not None:
                fresh = rows.select(pl.col("event_id").alias(key))
                self.events.append(EVENTS_TABLE, inputs.join(fresh, on=key, how="semi"))
            self.events.append(PREDICTIONS_TABLE, rows)
            records = {
                pair[0]: EntityState(values={SEEN_VALUE: [digest]})
                for pair, digest, is_new in zip(keys, digests, new, strict=True)
                if is_new
            }
            with self.records.lock:
                self.records.put_many(records)
        return rows.height, seen, conflicts

    def _reject(self, refused: list[RowRefusal]) -> None:
        if not refused:
            return
        frame = pl.DataFrame(
            {
                "row": [row.index for row in refused],
                "event_id": [row.event_id for row in refused],
                "field": [row.field for row in refused],
                "reason": [row.reason for row in refused],
                "detail": [row.detail for row in refused],
            },
            schema=REFUSAL_SCHEMA,
        )
        try:
            self.events.append("rejections", refusals(frame, PREDICTIONS_TABLE, REJECTION_SOURCE))
        except WatchkeeperError:  # the refusals are still answered and counted
            logger.exception("could not log %d refused predictions", len(refused))


__all__ = [
    "CONFLICT",
    "REJECTION_SOURCE",
    "LoggedPredictions",
    "PredictionLog",
]
