"""Writing logged predictions and outcomes into an event store, idempotently by event id.

:class:`EventLog` checks a frame (:mod:`~watchkeeper.intake.prediction_checks`,
:mod:`~watchkeeper.intake.outcome_checks`), drops rows the store already holds with the same
content (logging a file twice counts it once), refuses a prediction whose event id is stored
with a different content (``conflicting_duplicate``, naming the column), writes the new rows
in one Delta commit, and the refused rows to ``rejections``. A later, different outcome of an
event is not a conflict: it is a correction, and the latest one received wins.

>>> import tempfile
>>> from datetime import UTC, datetime
>>> from pathlib import Path
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.intake.outcome_checks import OutcomeRules
>>> from watchkeeper.storage.events.store import open_event_store
>>> folder = Path(tempfile.mkdtemp())
>>> store = open_event_store(str(folder / "events"), folder / "spool.db",
...                          EventTimeClock(datetime(2026, 2, 1, tzinfo=UTC)))
>>> log = EventLog(store, outcome_rules=OutcomeRules("binary", ("chargeback", "reversal")))
>>> frame = pl.DataFrame({"event_id": ["a", "b"], "outcome": ["chargeback", "banana"],
...     "outcome_ts": [datetime(2026, 1, 9, tzinfo=UTC)] * 2})
>>> log.outcomes(frame).counts(), log.outcomes(frame).counts()
((1, 0, 1), (0, 1, 1))
>>> store.close()
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from watchkeeper.errors import SchemaError
from watchkeeper.intake.logged_rows import CheckedRows, empty_refusals, refusals
from watchkeeper.intake.outcome_checks import OutcomeRules, check_outcomes
from watchkeeper.intake.prediction_checks import (
    ModelVersions,
    PredictionRules,
    check_predictions,
)
from watchkeeper.storage.events.store import EventStore

_PREDICTION_CONTENT = (
    "ts",
    "entity",
    "model_label",
    "score",
    "decision",
    "probabilities",
    "prediction",
)
"""The columns compared when an event id is logged again (inputs are compared as text)."""

_OUTCOME_KEY = ["event_id", "outcome", "outcome_ts"]


@dataclass(frozen=True)
class LogSummary:
    """What one logging call did: rows read, new rows logged, repeats (already logged,
    counted once) and refused rows, with the refusals counted by reason."""

    table: str
    rows: int
    logged: int
    repeated: int
    refused: int
    reasons: Mapping[str, int] = field(default_factory=dict)

    def counts(self) -> tuple[int, int, int]:
        """``(logged, repeated, refused)``."""
        return self.logged, self.repeated, self.refused

    def __add__(self, other: LogSummary) -> LogSummary:
        reasons = Counter(self.reasons)
        reasons.update(other.reasons)
        return LogSummary(
            self.table,
            self.rows + other.rows,
            self.logged + other.logged,
            self.repeated + other.repeated,
            self.refused + other.refused,
            dict(reasons),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "table": self.table,
            "rows": self.rows,
            "logged": self.logged,
            "repeated": self.repeated,
            "refused": self.refused,
            "reasons": dict(sorted(self.reasons.items())),
        }


@dataclass(frozen=True)
class PreparedLog:
    """A checked batch of ``table``, ready for :meth:`EventLog.commit`: ``rows`` read."""

    table: str
    rows: int
    checked: CheckedRows


def empty_summary(table: str) -> LogSummary:
    """A summary of nothing logged yet into ``table``.

    >>> empty_summary("outcomes").counts()
    (0, 0, 0)
    """
    return LogSummary(table, 0, 0, 0, 0)


class EventLog:
    """Checks and writes logged predictions and outcomes into ``events`` (see the module)."""

    def __init__(
        self,
        events: EventStore,
        prediction_rules: PredictionRules | None = None,
        outcome_rules: OutcomeRules | None = None,
        model_versions: ModelVersions | None = None,
    ) -> None:
        self._events = events
        self._prediction_rules = prediction_rules
        self._outcome_rules = outcome_rules
        self._model_versions = model_versions
        self._stored: dict[str, pl.DataFrame] = {}

    def predictions(self, frame: pl.DataFrame, model_label: str | None = None) -> LogSummary:
        """Check and log predictions; see :func:`check_predictions` for the columns."""
        return self.commit(self.prepare_predictions(frame, model_label))

    def outcomes(self, frame: pl.DataFrame) -> LogSummary:
        """Check and log outcomes; see :func:`check_outcomes` for the columns."""
        return self.commit(self.prepare_outcomes(frame))

    def prepare_predictions(
        self, frame: pl.DataFrame, model_label: str | None = None
    ) -> PreparedLog:
        """Check predictions and set aside what the store holds already; write nothing.

        :meth:`commit` writes the result. Batches prepared one after the other see each
        other's rows, so a file's batches may be committed while the next is prepared.
        """
        if self._prediction_rules is None or self._model_versions is None:
            raise SchemaError("this log was opened without the rules of predictions")
        checked = check_predictions(
            frame, self._prediction_rules, self._model_versions, model_label
        )
        new, repeated, conflicting = self._split_predictions(checked.accepted)
        refused = (
            pl.concat([checked.refused, conflicting]) if conflicting.height else checked.refused
        )
        events = checked.events
        if events is not None and new.height < checked.accepted.height:
            key = self._prediction_rules.event_id
            events = events.join(new.select(pl.col("event_id").alias(key)), on=key, how="semi")
        self._remember("predictions", new)
        return PreparedLog(
            "predictions",
            frame.height,
            CheckedRows(new, refused, checked.repeated + repeated, events),
        )

    def prepare_outcomes(self, frame: pl.DataFrame) -> PreparedLog:
        """Check outcomes and set aside those stored already; write nothing (see
        :meth:`prepare_predictions`)."""
        if self._outcome_rules is None:
            raise SchemaError("this log was opened without the rules of outcomes")
        checked = check_outcomes(frame, self._outcome_rules)
        stored = self._stored_rows("outcomes", _OUTCOME_KEY)
        new = checked.accepted.join(stored, on=_OUTCOME_KEY, how="anti", nulls_equal=True)
        repeated = checked.accepted.height - new.height
        self._remember("outcomes", new)
        return PreparedLog(
            "outcomes", frame.height, CheckedRows(new, checked.refused, checked.repeated + repeated)
        )

    def commit(self, prepared: PreparedLog) -> LogSummary:
        """Write a prepared batch: the events' inputs, the rows, the refusals."""
        checked, table = prepared.checked, prepared.table
        # idempotency is by event id (see prepare): a fresh load id spares a fingerprint
        load = f"log-{uuid.uuid4().hex}"
        if checked.events is not None and checked.events.height:
            self._events.write_bulk("transactions", checked.events, load_id=f"{load}-events")
        if checked.accepted.height:
            self._events.write_bulk(table, checked.accepted, load_id=load)
        if checked.refused.height:
            self._events.write_bulk("rejections", refusals(checked.refused, table))
        reasons = Counter(checked.refused["reason"].to_list())
        return LogSummary(
            table,
            prepared.rows,
            checked.accepted.height,
            checked.repeated,
            checked.refused.height,
            dict(reasons),
        )

    def _split_predictions(self, accepted: pl.DataFrame) -> tuple[pl.DataFrame, int, pl.DataFrame]:
        compared = [name for name in _PREDICTION_CONTENT if name in accepted.columns]
        stored = self._stored_rows("predictions", ["event_id", *compared])
        if stored.height == 0 or accepted.height == 0:
            return accepted, 0, empty_refusals()
        paired = accepted.with_row_index("__position").join(
            stored, on="event_id", how="inner", suffix="__stored"
        )
        differs = pl.coalesce(
            [
                pl.when(~pl.col(name).eq_missing(pl.col(f"{name}__stored"))).then(pl.lit(name))
                for name in compared
            ]
        )
        paired = paired.with_columns(differs.alias("__differs"))
        conflicting = paired.filter(pl.col("__differs").is_not_null())
        new = accepted.join(paired.select("event_id"), on="event_id", how="anti")
        refused = conflicting.select(
            pl.col("__position").alias("row"),
            "event_id",
            pl.col("__differs").alias("field"),
            pl.lit("conflicting_duplicate").alias("reason"),
            pl.format("event id already logged with a different {}", pl.col("__differs")).alias(
                "detail"
            ),
        )
        return new, paired.height - conflicting.height, refused

    def _stored_rows(self, table: str, columns: list[str]) -> pl.DataFrame:
        cached = self._stored.get(table)
        if cached is None:
            cached = self._events.read(table, columns=columns)
            self._stored[table] = cached
        return cached

    def _remember(self, table: str, new: pl.DataFrame) -> None:
        stored = self._stored.get(table)
        if stored is not None and new.height:
            self._stored[table] = pl.concat(
                [stored, new.select(stored.columns)], how="vertical_relaxed"
            )


__all__ = ["EventLog", "LogSummary", "PreparedLog", "empty_summary"]
