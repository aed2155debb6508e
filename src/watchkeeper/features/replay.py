"""Replaying a frame through the online engine, in time order, as serving would have seen it.

Rows are validated as the batch engine validates them (same policy, same rejected rows), then
fed one by one in time order — by timestamp, ties by input position — to
:meth:`~watchkeeper.features.online_engine.OnlineFeatureEngine.score`. The result has the
shape of the batch engine's: the event id and one column per feature, rows in input order.

>>> import polars as pl
>>> from datetime import datetime, UTC
>>> from watchkeeper.features.fitted import FittedFeatureSpec
>>> from watchkeeper.features.online_engine import OnlineFeatureEngine
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "card": {"type": "string"}},
...     transforms=[{"name": "n", "op": "count", "by": "card", "window": "1h"}])
>>> frame = pl.DataFrame({"event_id": ["late", "early"], "card": ["x", "x"],
...     "ts": [datetime(2026, 1, 1, 12, 30, tzinfo=UTC), datetime(2026, 1, 1, 12, tzinfo=UTC)]})
>>> engine = OnlineFeatureEngine(FittedFeatureSpec(spec=spec, training_rows=0))
>>> replay_online(engine, frame).features.rows()
[('late', 1), ('early', 0)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.features.batch_engine import BatchResult
from watchkeeper.features.frame_validation import ROW_COLUMN, InvalidRowPolicy, validate_frame

if TYPE_CHECKING:
    from watchkeeper.features.online_engine import OnlineFeatureEngine

PROGRESS_EVERY = 10_000


def replay_online(
    engine: OnlineFeatureEngine,
    frame: pl.DataFrame,
    policy: InvalidRowPolicy = "fail",
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Score every valid row of ``frame`` with ``engine`` in time order.

    ``progress`` is called with the number of events scored since its previous call.
    """
    spec = engine.plan.fitted.spec
    validated = validate_frame(spec, frame, policy)
    valid = validated.valid
    in_time_order = valid.with_row_index("__position").sort([spec.timestamp, ROW_COLUMN])
    positions = in_time_order["__position"].to_list()
    inputs = in_time_order.select(list(spec.inputs))
    names = engine.plan.column_names
    results: list[Any] = [None] * valid.height
    done = 0
    for position, event in zip(positions, inputs.iter_rows(named=True), strict=True):
        features = engine.score(event)
        results[position] = tuple(features[name] for name in names)
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress is not None and done % PROGRESS_EVERY:
        progress(done % PROGRESS_EVERY)
    schema = {column.name: column.dtype for column in engine.plan.columns}
    features_frame = pl.DataFrame(results, schema=schema, orient="row")
    if spec.event_id in valid.columns:
        features_frame = features_frame.insert_column(0, valid[spec.event_id])
    return BatchResult(features=features_frame, rejected=validated.rejected)


__all__ = ["replay_online"]
