"""How :class:`MetricRow` maps onto the ``metric_series`` table, and the SQL that reads and writes it.

A row's identity is its model, model version, window, feature and metric. The table cannot
hold NULL in that key (NULLs never conflict, so upserts would duplicate), so "no feature" is
stored as ``''`` and "no model version" as ``0``; they come back as None. A NaN value is stored
as NULL, which every database keeps alike.

>>> from datetime import datetime, timezone
>>> day = datetime(2026, 2, 1, tzinfo=timezone.utc)
>>> values = row_values(MetricRow("fraud", "auc", day, day, value=float("nan"), status="no_data"), day)
>>> values["feature"], values["model_version"], values["value"]
('', 0, None)
>>> from_values(values).feature is None
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watchkeeper.clock import as_utc
from watchkeeper.storage.metadata.database import conflict_aware_insert
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.storage.metadata.tables import NO_FEATURE, NO_MODEL_VERSION, metric_series

KEY_COLUMNS = ("model", "model_version", "window_start", "window_end", "feature", "metric")
"""The columns that identify one monitoring result (the table's unique constraint)."""

UPDATED_COLUMNS = ("value", "threshold", "status", "computed_at")
"""The columns a repeated result replaces."""


def row_values(row: MetricRow, computed_at: datetime) -> dict[str, Any]:
    """The column values of ``row``; ``computed_at`` is used when the row has none."""
    value = None if row.value is None or math.isnan(row.value) else float(row.value)
    return {
        "model": row.model,
        "model_version": NO_MODEL_VERSION if row.model_version is None else row.model_version,
        "window_start": row.window_start,
        "window_end": row.window_end,
        "feature": NO_FEATURE if row.feature is None else row.feature,
        "metric": row.metric,
        "value": value,
        "threshold": row.threshold,
        "status": row.status,
        "computed_at": computed_at if row.computed_at is None else row.computed_at,
    }


def from_values(values: Mapping[str, Any] | sa.RowMapping) -> MetricRow:
    """The :class:`MetricRow` that a table row (or :func:`row_values`) describes."""
    version = values["model_version"]
    return MetricRow(
        model=values["model"],
        metric=values["metric"],
        window_start=values["window_start"],
        window_end=values["window_end"],
        value=values["value"],
        status=values["status"],
        feature=None if values["feature"] == NO_FEATURE else values["feature"],
        model_version=None if version == NO_MODEL_VERSION else version,
        threshold=values["threshold"],
        computed_at=values["computed_at"],
    )


def upsert(connection: Connection, rows: Iterable[MetricRow], computed_at: datetime) -> int:
    """Insert rows, replacing the stored result for any key already present; return how many.

    Rows repeating a key within one call count once: the last one wins.
    """
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        values = row_values(row, computed_at)
        by_key[tuple(values[name] for name in KEY_COLUMNS)] = values
    if not by_key:
        return 0
    statement = conflict_aware_insert(connection, metric_series)
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS),
        set_={name: statement.excluded[name] for name in UPDATED_COLUMNS},
    )
    connection.execute(statement, list(by_key.values()))
    return len(by_key)


def select(
    model: str,
    metric: str | None = None,
    feature: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> sa.Select[Any]:
    """The query for a model's results, oldest window first (see ``MetadataStore.metrics``)."""
    series = metric_series
    query = sa.select(series).where(series.c.model == model)
    if metric is not None:
        query = query.where(series.c.metric == metric)
    if feature is not None:
        query = query.where(series.c.feature == feature)
    if start is not None:
        query = query.where(series.c.window_start >= as_utc(start))
    if end is not None:
        query = query.where(series.c.window_end <= as_utc(end))
    return query.order_by(
        series.c.window_start,
        series.c.window_end,
        series.c.feature,
        series.c.metric,
        series.c.model_version,
    )


__all__ = ["KEY_COLUMNS", "UPDATED_COLUMNS", "from_values", "row_values", "select", "upsert"]
