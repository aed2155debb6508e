"""The windowed features of one ``by`` key as Spark columns, with the Polars engine's semantics.

Rows are partitioned by the key and ordered by event time (microseconds) and arrival, so a
row's window — the earlier events of its key, ties broken by arrival, with timestamp
``>= t - w`` — is known to every aggregate. Three window specifications serve every operation:

* ``rows``: key, then (time, arrival); running (prefix) totals, row numbers and the previous
  event, exactly as :mod:`~watchkeeper.features.window_aggregates` scans its sorted rows;
* ``before(w)``: key, time, ``RANGE BETWEEN UNBOUNDED PRECEDING AND w + 1 PRECEDING``: the rows
  older than the window, whose last prefix total is the window's start (taken with
  ``max_by`` on (time, arrival), so it never depends on the physical order of ties);
* ``earlier(w)`` and ``tied``: the strictly earlier timestamps of the window
  (``RANGE BETWEEN w PRECEDING AND 1 PRECEDING``) and the same-timestamp earlier arrivals
  (partition by key and time, rows before the current one), whose union is the window, for
  min, max and count_distinct.

Sums, means and standard deviations are differences of compensated prefix totals computed
with the very functions of :mod:`~watchkeeper.features.compensated` applied to Spark columns:
Spark's doubles are IEEE-754 binary64 and Catalyst never reassociates floating-point
arithmetic, so both engines perform the same operations in the same order.

>>> from watchkeeper.features.plan import WindowFeature, WindowGroup
>>> count = WindowFeature("n", "count", None, 3_600_000_000, None, False)
>>> group = WindowGroup("card", (count,), 3_600_000_000, (), ())
>>> needed_stages(group)
('rows', 'starts')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from watchkeeper.features import compensated as _compensated
from watchkeeper.features.spark_arithmetic import ColumnProgram, Staged
from watchkeeper.features.spec import MICROSECONDS_PER_SECOND

compensated: Any = _compensated
"""The compensated functions, applied here to Spark columns and staged values (duck typing)."""

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, WindowSpec

    from watchkeeper.features.plan import WindowFeature, WindowGroup

TIME = "__wk_time_us"
"""Event time in microseconds since the epoch (a long), added by the engine."""
ARRIVAL = "__wk_arrival"
"""Arrival order (a long): breaks ties of equal timestamps, as the input position does."""


def needed_stages(group: WindowGroup) -> tuple[str, ...]:
    """Which window passes the group needs (for the plan explanation and the docs)."""
    operations = {feature.operation for feature in group.features}
    stages = ["rows"]
    if operations - {"time_since_last"}:
        stages.append("starts")
    if operations & {"min", "max", "count_distinct"}:
        stages.append("ranges")
    return tuple(stages)


def add_group_features(frame: DataFrame, group: WindowGroup) -> DataFrame:
    """``frame`` with one column per windowed feature of ``group`` (named as declared)."""
    return _GroupColumns(group).apply(frame)


class _GroupColumns:
    """Builds the columns of one group in stages; helper columns are dropped at the end."""

    def __init__(self, group: WindowGroup) -> None:
        from pyspark.sql import Window
        from pyspark.sql import functions as sf

        self.sf = sf
        self.unbounded = Window.unboundedPreceding
        self.group = group
        key = group.key
        self.rows: WindowSpec = Window.partitionBy(key).orderBy(TIME, ARRIVAL)
        self.by_time: WindowSpec = Window.partitionBy(key).orderBy(TIME)
        self.tied: WindowSpec = (
            Window.partitionBy(key, TIME)
            .orderBy(ARRIVAL)
            .rowsBetween(Window.unboundedPreceding, -1)
        )
        self.prefix = "__wk_"
        self.helpers: list[str] = []

    def _name(self, *parts: object) -> str:
        name = self.prefix + "_".join(str(part) for part in parts)
        self.helpers.append(name)
        return name

    def apply(self, frame: DataFrame) -> DataFrame:
        sf, group = self.sf, self.group
        inclusive = self.rows.rowsBetween(self.unbounded, 0)
        squared = {f.input for f in group.features if f.operation == "std"}
        counted = {
            f.input
            for f in group.features
            if f.input is not None and f.operation != "time_since_last"
        }
        # Stage 1: per-row values and running (inclusive) totals in (time, arrival) order.
        stage: dict[str, Column] = {self._name("row"): sf.row_number().over(self.rows) - 1}
        stage[self._name("previous")] = sf.lag(TIME).over(self.rows)
        for field in counted:
            stage[self._name("seen", field)] = sf.count(field).over(inclusive)
        for field in group.summed_fields:
            x = sf.when(sf.col(field).isNotNull(), sf.col(field).cast("double")).otherwise(
                sf.lit(0.0)
            )
            frame = frame.withColumn(self._name("x", field), x)
            stage[self._name("total", field)] = sf.sum(self._col("x", field)).over(inclusive)
            if field in squared:
                square, error = compensated.two_product(
                    self._col("x", field), self._col("x", field)
                )
                frame = frame.withColumns(
                    {self._name("square", field): square, self._name("square_error", field): error}
                )
                stage[self._name("squares", field)] = sf.sum(self._col("square", field)).over(
                    inclusive
                )
        frame = frame.withColumns(stage)
        # Stage 2: exclusive totals (the previous row's), and each addition's rounding error.
        stage = {}
        for field in group.summed_fields:
            stage[self._name("total_before", field)] = sf.coalesce(
                sf.lag(self._col("total", field)).over(self.rows), sf.lit(0.0)
            )
            if field in squared:
                stage[self._name("squares_before", field)] = sf.coalesce(
                    sf.lag(self._col("squares", field)).over(self.rows), sf.lit(0.0)
                )
        frame = frame.withColumns(stage) if stage else frame
        stage = {}
        for field in group.summed_fields:
            _, rounding = compensated.two_sum(
                self._col("total_before", field), self._col("x", field)
            )
            stage[self._name("rounding", field)] = rounding
            if field in squared:
                _, square_rounding = compensated.two_sum(
                    self._col("squares_before", field), self._col("square", field)
                )
                stage[self._name("square_rounding", field)] = square_rounding + self._col(
                    "square_error", field
                )
        frame = frame.withColumns(stage) if stage else frame
        # Stage 3: running errors.
        stage = {}
        for field in group.summed_fields:
            stage[self._name("error", field)] = sf.sum(self._col("rounding", field)).over(inclusive)
            if field in squared:
                stage[self._name("squares_error", field)] = sf.sum(
                    self._col("square_rounding", field)
                ).over(inclusive)
        frame = frame.withColumns(stage) if stage else frame
        # Stage 4: exclusive errors, and each window's start (the totals before it).
        stage = {}
        for field in group.summed_fields:
            stage[self._name("error_before", field)] = sf.coalesce(
                sf.lag(self._col("error", field)).over(self.rows), sf.lit(0.0)
            )
            if field in squared:
                stage[self._name("squares_error_before", field)] = sf.coalesce(
                    sf.lag(self._col("squares_error", field)).over(self.rows), sf.lit(0.0)
                )
        order = sf.struct(sf.col(TIME), sf.col(ARRIVAL))
        for window in group.windows:
            older = self.by_time.rangeBetween(self.unbounded, -(window + 1))
            stage[self._name("start", window)] = sf.count(sf.lit(1)).over(older)
            for field in counted:
                stage[self._name("seen_start", field, window)] = sf.coalesce(
                    sf.max_by(self._col("seen", field), order).over(older), sf.lit(0)
                )
            for field in group.summed_fields:
                names = ["total", "error"] + (
                    ["squares", "squares_error"] if field in squared else []
                )
                for name in names:
                    stage[self._name(f"{name}_start", field, window)] = sf.coalesce(
                        sf.max_by(self._col(name, field), order).over(older), sf.lit(0.0)
                    )
        frame = frame.withColumns(stage)
        # Stage 5: the features; compensated arithmetic is staged (see spark_arithmetic).
        self.program = ColumnProgram(self.prefix + "step_")
        features = {feature.name: self._feature(feature) for feature in group.features}
        frame = self.program.apply(frame)
        self.helpers.extend(self.program.names)
        keyed = sf.col(group.key).isNotNull()
        frame = frame.withColumns(
            {
                name: _filled(sf.when(keyed, value), feature.fill)
                for (name, value), feature in zip(features.items(), group.features, strict=True)
            }
        )
        return frame.drop(*dict.fromkeys(self.helpers))

    def _col(self, *parts: object) -> Column:
        return self.sf.col(self.prefix + "_".join(str(part) for part in parts))

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
        if operation in ("min", "max", "count_distinct"):
            return self._ranged(feature)
        present = self._present(field, window)
        if operation == "count":
            return present
        total = compensated.window_total(
            self._staged("total_before", field),
            self._staged("error_before", field),
            self._staged("total_start", field, window),
            self._staged("error_start", field, window),
        )
        if operation == "sum":
            return total.reference
        if operation == "mean":
            return sf.when(present > 0, (total / present.cast("double")).reference)
        return self._std(field, window, present)

    def _staged(self, *parts: object) -> Staged:
        return self.program.column(self.prefix + "_".join(str(part) for part in parts))

    def _present(self, field: str, window: int) -> Column:
        sf = self.sf
        current = sf.when(sf.col(field).isNotNull(), sf.lit(1)).otherwise(sf.lit(0))
        present_before = self._col("seen", field) - current
        return present_before - self._col("seen_start", field, window)

    def _std(self, field: str, window: int, counts: Column) -> Column:
        sf = self.sf
        sum_high, sum_low = compensated.window_pair(
            self._staged("total_before", field),
            self._staged("error_before", field),
            self._staged("total_start", field, window),
            self._staged("error_start", field, window),
        )
        squares_high, squares_low = compensated.window_pair(
            self._staged("squares_before", field),
            self._staged("squares_error_before", field),
            self._staged("squares_start", field, window),
            self._staged("squares_error_start", field, window),
        )
        enough = counts >= 2
        safe_count = sf.when(enough, counts).otherwise(sf.lit(2)).cast("double")
        deviations = compensated.sum_of_squared_deviations(
            sum_high, sum_low, squares_high, squares_low, safe_count
        )
        variance = deviations / (safe_count - 1.0)
        deviation: Column = sf.when(enough, sf.sqrt(sf.greatest(variance.reference, sf.lit(0.0))))
        return deviation

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


def _filled(value: Column, fill: Any) -> Column:
    from pyspark.sql import functions as sf

    return value if fill is None else sf.coalesce(value, sf.lit(fill))


__all__ = ["ARRIVAL", "TIME", "add_group_features", "needed_stages"]
