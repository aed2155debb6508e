"""Refused events, one row each in the event store's ``rejections`` table.

The service counts every refusal in Prometheus and also appends it to ``rejections`` (through
the spool, like predictions), so data quality can count refusals per window and reason, and
every worker's refusals end up in one place. A row names the reason code
(:func:`~watchkeeper.intake.reason_codes.rejection_reason`), the field at fault, the message, where it happened (``source``:
``score``, ``score_batch``, ``outcomes``, ``predictions``) and, when they could be read, the
event's id and time (else the receiving clock's now). Nothing else is written for a refused
event.

A refusal is stored whatever the refused request held: text is written as UTF-8 can hold it
(lone surrogates and NUL as backslash escapes, :func:`~watchkeeper.serving.request_body.printable`),
an id longer than :data:`~watchkeeper.config.features.DEFAULT_MAX_LENGTH` is left out (the
detail quotes its beginning), and an event time outside the service's plausible range
(:mod:`~watchkeeper.serving.event_time_range`) is replaced by the clock's now, so the row
lands in today's partition, not in year 9999's.

A model that fails to score an event is logged here too, with the reason
:data:`~watchkeeper.rollout.model_errors.MODEL_ERROR` and the version and the route in
``detail`` (:mod:`watchkeeper.rollout.model_errors`): the canary's error-rate guard counts
these rows, whichever worker logged them.

>>> model_error_detail(2, "canary", "returned nan"), model_error_version("version=2 route=canary: x")
('version=2 route=canary: returned nan', 2)
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pyarrow as pa

from watchkeeper.clock import Clock
from watchkeeper.config.features import DEFAULT_MAX_LENGTH
from watchkeeper.errors import InvalidInputError, WatchkeeperError
from watchkeeper.features.schema_validation import parse_timestamp
from watchkeeper.intake.reason_codes import rejection_reason
from watchkeeper.rollout.model_errors import MODEL_ERROR, model_error_detail, model_error_version
from watchkeeper.serving.event_time_range import TimeRange
from watchkeeper.serving.request_body import printable
from watchkeeper.storage.events.store import EventStore
from watchkeeper.storage.events.tables import event_table

logger = logging.getLogger(__name__)

REJECTIONS_TABLE = "rejections"
_POSITION = re.compile(r"^(?P<list>events|outcomes|predictions)\[(?P<index>\d+)\]")


class RejectionLog:
    """Appends refusals to the ``rejections`` table; a failed append is logged, never raised.

    ``event_id`` and ``event_time`` name the fields of an event that hold its id and time;
    ``time_range``: where an event's own time must lie to date its row (None: anywhere).
    """

    def __init__(
        self,
        events: EventStore,
        clock: Clock,
        *,
        event_id: str = "event_id",
        event_time: str = "ts",
        time_range: TimeRange | None = None,
    ) -> None:
        self.events = events
        self.clock = clock
        self.time_range = time_range
        self.event_id = event_id
        self.event_time = event_time
        self._schema = event_table(REJECTIONS_TABLE).schema

    def record(
        self,
        *,
        source: str,
        reason: str,
        field: str | None,
        detail: str,
        event: Any = None,
        time_field: str | None = None,
    ) -> bool:
        """Append one rejection of ``event`` (any JSON value); True when it is durable."""
        event_id, moment = self._identify(event, time_field or self.event_time)
        row = {
            "rejection_id": [uuid.uuid4().hex],
            "ts": [moment],
            "event_id": [event_id],
            "reason": [reason],
            "field": [None if field is None else printable(field[:200])],
            "detail": [printable(detail[:500])],
            "source": [source],
        }
        try:
            self.events.append(REJECTIONS_TABLE, pa.Table.from_pydict(row, schema=self._schema))
        except WatchkeeperError:  # the refusal is still answered and counted
            logger.exception("could not log a rejection (%s on %s)", reason, source)
            return False
        return True

    def record_request(
        self, *, source: str, field: str, message: str, status: int, payload: Any
    ) -> bool:
        """Log the refusal of a request: the event at fault is found from ``field``.

        ``events[3].amount`` names the fourth event of a batch, ``outcomes[0]...`` an outcome
        (or the body itself when one outcome was posted); otherwise the body is the event.
        """
        event, time_field = payload, self.event_time
        found = _POSITION.match(field)
        if found is not None and isinstance(payload, Mapping):
            items = payload.get(found["list"], [payload] if found["list"] == "outcomes" else None)
            index = int(found["index"])
            event = items[index] if isinstance(items, list) and index < len(items) else None
        if source == "outcomes":
            time_field = "outcome_ts"
        return self.record(
            source=source,
            reason=rejection_reason(field, message, status),
            field=field,
            detail=f"{field}: {message}",
            event=event,
            time_field=time_field,
        )

    def _identify(self, event: Any, time_field: str) -> tuple[str | None, datetime]:
        if not isinstance(event, Mapping):
            return None, self.clock.now()
        identifier = event.get(self.event_id)
        event_id = (
            printable(identifier)
            if isinstance(identifier, str) and 0 < len(identifier) <= DEFAULT_MAX_LENGTH
            else None
        )
        if (
            event_id is None
            and isinstance(identifier, int | float)
            and not isinstance(identifier, bool)
        ):
            event_id = str(identifier)
        try:
            moment = parse_timestamp(time_field, event.get(time_field))
        except InvalidInputError:
            return event_id, self.clock.now()
        if self.time_range is not None and not self.time_range.contains(moment):
            return event_id, self.clock.now()
        return event_id, moment


__all__ = [
    "MODEL_ERROR",
    "REJECTIONS_TABLE",
    "RejectionLog",
    "model_error_detail",
    "model_error_version",
    "rejection_reason",
]
