"""Which windows open for labels need their realized rows recomputed on this run.

A window stays open for labels until it is mature (a maturity horizon, 60 days, after its
end), so a daily run has up to sixty of them. Their realized performance and money depend on
their events and on the labels known as of ``--until``; those labels change only when

* an outcome of one of their events is received (``received_at`` after the previous run);
* one of their events passes the maturity horizon (pending becomes negative); or
* the window itself becomes mature (its rows become final, status ``ok``).

The first is read from the outcomes directly. All three, and anything else that changed the
labels (outcomes loaded late with an earlier ``received_at``, predictions logged late), move
the window's label counts: its events, its labelled events and its positives, stored with its
realized rows (:data:`~watchkeeper.metric_names.LABEL_COUNT_METRICS`). So a
window is recomputed when it becomes mature, when an outcome of it was received since the last
run, or when its counts differ from the stored ones; every other open window keeps its rows.

>>> from datetime import UTC, datetime
>>> labelled = pl.DataFrame({
...     "ts": [datetime(2026, 6, 1, 3, tzinfo=UTC), datetime(2026, 6, 2, 4, tzinfo=UTC)],
...     "model_version": [1, 1], "label": [1, None]}).with_columns(pl.col("label").cast(pl.Int8))
>>> label_counts(labelled, timedelta(days=1))[(datetime(2026, 6, 1, tzinfo=UTC), 1)]
(1, 1, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.clock import as_utc
from watchkeeper.monitoring.job.windows import Window, window_start_of
from watchkeeper.monitoring.outcomes.labels import is_window_mature
from watchkeeper.storage.metadata.records import MetricRow

LabelCounts = tuple[int, int, int]
"""A window's events, labelled events and positive labels, for one model version."""

WindowVersion = tuple[datetime, int]
"""A window's start and a model version."""


def label_counts(labelled: pl.DataFrame, length: timedelta) -> dict[WindowVersion, LabelCounts]:
    """Events, labelled events and positives per (window start, version) of ``labelled``
    (``ts``, ``model_version`` and ``label``: 1, 0 or null)."""
    if labelled.height == 0:
        return {}
    grouped = (
        labelled.group_by(window_start_of(pl.col("ts"), length).alias("start"), "model_version")
        .agg(
            events=pl.len(),
            known=pl.col("label").is_not_null().sum(),
            positives=(pl.col("label") == 1).sum(),
        )
        .sort("start", "model_version")
    )
    return {
        (as_utc(start), int(version)): (int(events), int(known), int(positives))
        for start, version, events, known, positives in grouped.iter_rows()
    }


def stored_label_counts(rows: Sequence[MetricRow]) -> dict[WindowVersion, LabelCounts]:
    """The counts stored with the realized rows (``scored_events``, ``labelled_events``,
    ``positive_labels``), per (window start, version)."""
    values: dict[WindowVersion, dict[str, float | None]] = {}
    for row in rows:
        if row.model_version is None:
            continue
        values.setdefault((as_utc(row.window_start), row.model_version), {})[row.metric] = row.value
    counts: dict[WindowVersion, LabelCounts] = {}
    for key, found in values.items():
        events, known, positives = (found.get(name) for name in names.LABEL_COUNT_METRICS)
        if events is not None and known is not None and positives is not None:
            counts[key] = (int(events), int(known), int(positives))
    return counts


def windows_to_relabel(
    open_windows: Sequence[Window],
    labelled: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    since: datetime | None,
    until: datetime,
    maturity_horizon: timedelta,
    stored: Mapping[WindowVersion, LabelCounts],
) -> list[Window]:
    """The open windows whose realized rows must be recomputed (see the module's notes).

    ``labelled`` holds the open windows' events labelled as of ``until`` (``event_id``,
    ``ts``, ``model_version``, ``label``); ``outcomes`` the outcome rows (``event_id``,
    ``received_at``); ``since`` the moment the previous run's labels were known at the latest.
    """
    if not open_windows:
        return []
    length = open_windows[0].end - open_windows[0].start
    changed: set[datetime] = {
        window.start
        for window in open_windows
        if is_window_mature(window.end, until, maturity_horizon)
    }
    received = outcomes.filter(pl.col("received_at") <= until)
    if since is not None:
        received = received.filter(pl.col("received_at") > since)
    if received.height:
        touched = labelled.filter(pl.col("event_id").is_in(received["event_id"].implode()))
        changed |= {key[0] for key in label_counts(touched, length)}
    counts = label_counts(labelled, length)
    changed |= {
        start for (start, version), value in counts.items() if stored.get((start, version)) != value
    }
    return [window for window in open_windows if window.start in changed]


__all__ = [
    "LabelCounts",
    "WindowVersion",
    "label_counts",
    "stored_label_counts",
    "window_start_of",
    "windows_to_relabel",
]
