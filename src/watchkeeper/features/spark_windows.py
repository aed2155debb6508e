"""The windowed features of one ``by`` key as Spark window functions, with Polars' semantics.

Rows are partitioned by the key and ordered by event time (microseconds) and arrival, so a
row's window — the earlier events of its key, ties broken by arrival, with timestamp
``>= t - w`` — is known to every aggregate. Three kinds of window frame serve every operation:

* ``rows``: key, then (time, arrival), unbounded preceding to the current row: running
  (prefix) totals, counts, row numbers and the previous event, exactly the sequential scans
  of :mod:`~watchkeeper.features.window_aggregates` over its sorted rows;
* ``older(w)``: key, time, ``RANGE BETWEEN UNBOUNDED PRECEDING AND w + 1 PRECEDING``: the rows
  older than the window; the last of their prefix totals is the window's start (taken with
  ``max_by`` on (time, arrival), so it never depends on the physical order of ties);
* ``earlier(w)`` and ``tied``: the strictly earlier timestamps of the window
  (``RANGE BETWEEN w PRECEDING AND 1 PRECEDING``) and the same-timestamp earlier arrivals
  (partitioned by key and time, the rows before the current one), whose union is the window,
  for min, max and count_distinct.

Counts, min, max, count_distinct and time_since_last become feature columns here. Sums,
means and standard deviations leave their compensated prefix totals (at the row and at each
window's start) in helper columns; the engine's last, row-local pass turns them into values
with the NumPy functions the Polars engine uses (:func:`summed_helpers` names them), so both
engines perform the same IEEE-754 operations in the same order.

>>> helper(0, "total_start", "amount", 3_600_000_000)
'__wk0_total_start_amount_3600000000'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from watchkeeper.features import compensated as _compensated
from watchkeeper.features.spec import MICROSECONDS_PER_SECOND

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, WindowSpec

    from watchkeeper.features.plan import WindowFeature, WindowGroup

compensated: Any = _compensated
"""The compensated functions, applied here to Spark columns (their arithmetic is duck-typed)."""

TIME = "__wk_time_us"
"""Event time in microseconds since the epoch (a long), added by the engine."""
ARRIVAL = "__wk_arrival"
"""Arrival order (a long): breaks ties of equal timestamps, as the input position does."""
SUMMED = frozenset({"sum", "mean", "std"})
"""Operations finished by the engine's row-local pass from the helper columns."""


def helper(group: int, *parts: object) -> str:
    """The name of a helper column of group number ``group``."""
    return f"__wk{group}_" + "_".join(str(part) for part in parts)


def summed_helpers(group: int, feature: WindowFeature) -> dict[str, str]:
    """The helper columns a sum, mean or std reads, by role (see :func:`add_group_features`)."""
    field, window = feature.input, feature.window
    roles = {
        "total": helper(group, "total_before", field),
        "error": helper(group, "error_before", field),
        "total_start": helper(group, "total_start", field, window),
        "error_start": helper(group, "error_start", field, window),
        "count": helper(group, "present", field, window),
    }
    if feature.operation == "std":
        roles |= {
            "squares": helper(group, "squares_before", field),
            "squares_error": helper(group, "squares_error_before", field),
            "squares_start": helper(group, "squares_start", field, window),
            "squares_error_start": helper(group, "squares_error_start", field, window),
        }
    return roles


def add_group_features(frame: DataFrame, number: int, group: WindowGroup) -> DataFrame:
    """``frame`` with the group's direct features and the helpers of its summed ones."""
    return _GroupColumns(number, group).apply(frame)


class _GroupColumns:
    """Builds the columns of one group in a few window passes sharing one partitioning."""

    def __init__(self, number: int, group: WindowGroup) -> None:
        from pyspark.sql import Window, functions

        self.sf: Any = functions
        self.number = number
        self.group = group
        key = group.key
        self.unbounded = Window.unboundedPreceding
        self.rows: WindowSpec = Window.partitionBy(key).orderBy(TIME, ARRIVAL)
        self.by_time: WindowSpec = Window.partitionBy(key).orderBy(TIME)
        self.tied: WindowSpec = (
            Window.partitionBy(key, TIME).orderBy(ARRIVAL).rowsBetween(self.unbounded, -1)
        )
        self.scratch: list[str] = []

    def _name(self, *parts: object, keep: bool = False) -> str:
        name = helper(self.number, *parts)
        if not keep:
            self.scratch.append(name)
        return name

    def _col(self, *parts: object) -> Column:
        column: Column = self.sf.col(helper(self.number, *parts))
        return column

    def apply(self, frame: DataFrame) -> DataFrame:
        sf, group = self.sf, self.group
        summed = {f.input: f for f in group.features if f.operation in SUMMED and f.input}
        squared = {f.input for f in group.features if f.operation == "std" and f.input}
        counted = {f.input for f in group.features if f.input is not None}
        inclusive = self.rows.rowsBetween(self.unbounded, 0)
        # Pass 1: per-row values and running (inclusive) totals in (time, arrival) order.
        stage: dict[str, Column] = {self._name("row"): sf.row_number().over(self.rows) - 1}
        stage[self._name("previous")] = sf.lag(TIME).over(self.rows)
        for field in counted:
            stage[self._name("seen", field)] = sf.count(field).over(inclusive)
        values: dict[str, Column] = {}
        for field in summed:
            x = sf.when(sf.col(field).isNotNull(), sf.col(field).cast("double"))
            values[self._name("x", field)] = x.otherwise(sf.lit(0.0))
        frame = frame.withColumns(values) if values else frame
        squares: dict[str, Column] = {}
        for field in squared:
            square, error = compensated.two_product(self._col("x", field), self._col("x", field))
            squares |= {self._name("square", field): square, self._name("sq_err", field): error}
        frame = frame.withColumns(squares) if squares else frame
        for field in summed:
            stage[self._name("total", field)] = sf.sum(self._col("x", field)).over(inclusive)
            if field in squared:
                square_total = sf.sum(self._col("square", field)).over(inclusive)
                stage[self._name("squares", field)] = square_total
        frame = frame.withColumns(stage)
        # Pass 2: exclusive totals (the previous row's), then each addition's rounding error.
        stage = self._previous_values(summed, squared, "total", "squares")
        frame = frame.withColumns(stage) if stage else frame
        stage = {}
        for field in summed:
            _, rounding = compensated.two_sum(
                self._col("total_before", field), self._col("x", field)
            )
            stage[self._name("rounding", field)] = rounding
            if field in squared:
                _, square_rounding = compensated.two_sum(
                    self._col("squares_before", field), self._col("square", field)
                )
                stage[self._name("sq_rounding", field)] = square_rounding + self._col(
                    "sq_err", field
                )
        frame = frame.withColumns(stage) if stage else frame
        # Pass 3: running errors.
        stage = {}
        for field in summed:
            stage[self._name("error", field)] = sf.sum(self._col("rounding", field)).over(inclusive)
            if field in squared:
                stage[self._name("squares_error", field)] = sf.sum(
                    self._col("sq_rounding", field)
                ).over(inclusive)
        frame = frame.withColumns(stage) if stage else frame
        # Pass 4: exclusive errors, and each window's start (the totals of the older rows).
        stage = self._previous_values(summed, squared, "error", "squares_error")
        order = sf.struct(sf.col(TIME), sf.col(ARRIVAL))
        for window in group.windows:
            older = self.by_time.rangeBetween(self.unbounded, -(window + 1))
            stage[self._name("start", window)] = sf.count(sf.lit(1)).over(older)
            for field in counted:
                last = sf.max_by(self._col("seen", field), order).over(older)
                stage[self._name("seen_start", field, window)] = sf.coalesce(last, sf.lit(0))
            for field in summed:
                names = ["total", "error"] + (
                    ["squares", "squares_error"] if field in squared else []
                )
                for name in names:
                    last = sf.max_by(self._col(name, field), order).over(older)
                    stage[self._name(f"{name}_start", field, window, keep=True)] = sf.coalesce(
                        last, sf.lit(0.0)
                    )
        frame = frame.withColumns(stage)
        # Pass 5: the features computed here, and the window counts of the summed ones.
        keyed = sf.col(group.key).isNotNull()
        features: dict[str, Column] = {}
        for feature in group.features:
            if feature.operation in SUMMED:
                assert feature.input is not None
                count = self._present(feature.input, feature.window)
                features[helper(self.number, "present", feature.input, feature.window)] = count
            else:
                value = sf.when(keyed, self._feature(feature))
                fill = feature.fill
                features[feature.name] = value if fill is None else sf.coalesce(value, sf.lit(fill))
        frame = frame.withColumns(features)
        return frame.drop(*dict.fromkeys(self.scratch))

    def _previous_values(
        self, summed: Iterable[str], squared: set[str], name: str, squares_name: str
    ) -> dict[str, Column]:
        """The previous row's running ``name`` (and ``squares_name`` for stds); 0 at a key's first."""
        sf = self.sf
        stage: dict[str, Column] = {}
        for field in summed:
            for kind in [name] + ([squares_name] if field in squared else []):
                before = sf.lag(self._col(kind, field)).over(self.rows)
                stage[self._name(f"{kind}_before", field, keep=True)] = sf.coalesce(
                    before, sf.lit(0.0)
                )
        return stage

    def _feature(self, feature: WindowFeature) -> Column:
        sf = self.sf
        operation, field, window = feature.operation, feature.input, feature.window
        if operation == "time_since_last":
            gap = (sf.col(TIME) - self._col("previous")).cast("double")
            seconds: Column = gap / float(MICROSECONDS_PER_SECOND)
            return seconds
        if operation == "count" and field is None:
            events: Column = self._col("row") - self._col("start", window)
            return events
        assert field is not None
        if operation == "count":
            return self._present(field, window)
        return self._ranged(feature)

    def _present(self, field: str, window: int) -> Column:
        """Present values of ``field`` in the window (prefix counts before the row and start)."""
        sf = self.sf
        current = sf.when(sf.col(field).isNotNull(), sf.lit(1)).otherwise(sf.lit(0))
        counts: Column = self._col("seen", field) - current - self._col("seen_start", field, window)
        return counts

    def _ranged(self, feature: WindowFeature) -> Column:
        """min, max, count_distinct over earlier timestamps in range plus earlier ties."""
        sf = self.sf
        assert feature.input is not None
        value = sf.col(feature.input)
        earlier = self.by_time.rangeBetween(-feature.window, -1)
        if feature.operation == "count_distinct":
            union = sf.array_union(
                sf.collect_set(value).over(earlier), sf.collect_set(value).over(self.tied)
            )
            distinct: Column = sf.size(union).cast("long")
            return distinct
        aggregate = sf.min if feature.operation == "min" else sf.max
        combine = sf.least if feature.operation == "min" else sf.greatest
        extreme: Column = combine(aggregate(value).over(earlier), aggregate(value).over(self.tied))
        return extreme


__all__ = ["ARRIVAL", "SUMMED", "TIME", "add_group_features", "helper", "summed_helpers"]
