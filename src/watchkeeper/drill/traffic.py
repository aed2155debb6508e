"""The recent traffic a drill copies: raw inputs of the last windows, with warm-up history.

The source is the prediction log — each event's logged ``raw_input`` JSON, decoded in one
vectorised pass, with the log's own event id and event time (shadow rows are the same events
again and are left out) — or, when no prediction is logged, the ``transactions`` table. The
drilled windows are the last ``days`` windows of the monitoring window length, up to the one
holding the newest event; before them comes the warm-up history the windowed features need
(the fitted spec's longest window), which is featurised but neither injected nor profiled.

Reading only: nothing here writes to a store.

>>> raw = pl.DataFrame({"raw_input": ['{"amount": 12.5, "country": "DE"}', '{"amount": 3}']})
>>> decode_raw_inputs(raw["raw_input"]).rows()
[(12.5, 'DE'), (3.0, None)]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.errors import ConfigError, DatasetError, SchemaError
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.monitoring.job.windows import (
    LATEST,
    Window,
    complete_windows,
    shifted,
    window_floor,
)
from watchkeeper.storage.events.prediction_routes import SHADOW_ROUTE
from watchkeeper.storage.events.store import EventStore

TRAFFIC_SOURCES = ("predictions", "transactions")


@dataclass(frozen=True)
class RecentTraffic:
    """Raw inputs of the warm-up and the drilled windows, in event-time order.

    ``drilled`` marks the rows inside ``windows``; ``source`` says where they came from.
    """

    frame: pl.DataFrame
    drilled: npt.NDArray[np.bool_]
    windows: tuple[Window, ...]
    source: str

    @property
    def drilled_events(self) -> int:
        """How many events lie in the drilled windows."""
        return int(self.drilled.sum())


def decode_raw_inputs(raw_input: pl.Series) -> pl.DataFrame:
    """One column per field of the logged raw-input JSON (types inferred from every row).

    A field null in every row is read as text, so the schema check sees a missing value.
    """
    if raw_input.len() == 0:
        return pl.DataFrame()
    try:
        decoded = raw_input.str.json_decode(infer_schema_length=None)
    except pl.exceptions.PolarsError as error:
        first = str(error).splitlines()[0]
        raise SchemaError(
            f"the logged raw_input cannot be decoded as JSON objects ({first})"
        ) from None
    frame = decoded.struct.unnest()
    return frame.with_columns(
        pl.col(name).cast(pl.String) for name, dtype in frame.schema.items() if dtype == pl.Null
    )


def drilled_windows(newest: datetime, days: int, length: timedelta) -> tuple[Window, ...]:
    """The last ``days`` windows up to (and including) the one holding ``newest``.

    >>> from datetime import UTC
    >>> [str(w) for w in drilled_windows(datetime(2026, 6, 3, 9, tzinfo=UTC), 2, timedelta(days=1))]
    ['2026-06-02/2026-06-03', '2026-06-03/2026-06-04']
    >>> drilled_windows(datetime(9999, 12, 31, 9, tzinfo=UTC), 2, timedelta(days=1))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.DatasetError: the newest event time 9999-12-31T09:00:00+00:00 has no window that ends (a datetime stops at 9999-12-31); drill a workspace whose event times are plausible
    """
    end = shifted(window_floor(as_utc(newest), length), length)
    if end == LATEST:
        raise DatasetError(
            f"the newest event time {as_utc(newest).isoformat()} has no window that ends "
            "(a datetime stops at 9999-12-31); drill a workspace whose event times are plausible"
        )
    return tuple(complete_windows(end - days * length, end, length))


def read_recent_traffic(
    events: EventStore,
    spec: FeatureSpec,
    *,
    days: int,
    window_length: timedelta,
    workspace_name: str = "the workspace",
) -> RecentTraffic:
    """Copy the last ``days`` windows of traffic (and their warm-up) out of ``events``."""
    if days < 1:
        raise ConfigError(f"--days {days} must be at least 1")
    predictions = events.read("predictions", columns=["ts"])
    source = "predictions" if predictions.height else "transactions"
    times = predictions if predictions.height else events.read("transactions", columns=["ts"])
    if times.height == 0:
        raise DatasetError(
            f"{workspace_name} has no logged predictions and no transactions to drill on; "
            "log traffic first (watchkeeper serve, the PredictionLogger or watchkeeper simulate)"
        )
    newest: datetime = times["ts"].max()  # type: ignore[assignment]
    windows = drilled_windows(newest, days, window_length)
    start = windows[0].start
    read_from = start - spec.longest_window
    end = windows[-1].end
    if source == "predictions":
        frame = _prediction_inputs(events, spec, read_from, end)
    else:
        frame = events.read("transactions", start=read_from, end=end).drop(
            "is_fraud", "event_date", "arrival_sequence", strict=False
        )
    frame = frame.sort(spec.timestamp, maintain_order=True)
    drilled = (frame[spec.timestamp] >= start).to_numpy()
    return RecentTraffic(frame, drilled, windows, source)


def _prediction_inputs(
    events: EventStore, spec: FeatureSpec, start: datetime, end: datetime
) -> pl.DataFrame:
    logged = events.read(
        "predictions", start=start, end=end, columns=["event_id", "ts", "route", "raw_input"]
    ).filter(pl.col("route").fill_null("") != SHADOW_ROUTE)
    inputs = decode_raw_inputs(logged["raw_input"])
    keys = [spec.event_id, spec.timestamp]
    inputs = inputs.drop(*[name for name in keys if name in inputs.columns])
    identity = logged.select(
        pl.col("event_id").alias(spec.event_id), pl.col("ts").alias(spec.timestamp)
    )
    return pl.concat([identity, inputs], how="horizontal") if inputs.width else identity


__all__ = [
    "SHADOW_ROUTE",
    "TRAFFIC_SOURCES",
    "RecentTraffic",
    "decode_raw_inputs",
    "drilled_windows",
    "read_recent_traffic",
]
