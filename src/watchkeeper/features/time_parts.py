"""Timestamp parts in the spec's time zone: hour of day, day of week, day of month, weekend.

Both engines convert the UTC event time to the configured IANA zone first, so daylight saving
changes are honoured (Europe/Berlin: 01:30 UTC on 2026-03-29 is 03:30 local). ``day_of_week``
counts from Monday = 0 to Sunday = 6; ``is_weekend`` is 1 on Saturday and Sunday, else 0.

>>> from datetime import datetime, UTC
>>> from watchkeeper.config import TransformConfig
>>> hour = TimePartFeature(TransformConfig(name="h", op="hour_of_day", input="ts"),
...                        "Europe/Berlin", fill=None)
>>> hour.values({"ts": datetime(2026, 3, 29, 1, 30, tzinfo=UTC)})
(3,)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import polars as pl

from watchkeeper.features.row_feature import filled, filled_value

if TYPE_CHECKING:
    from watchkeeper.config import TransformConfig

_SATURDAY = 5  # datetime.weekday(): Monday 0 ... Sunday 6


class TimePartFeature:
    """One of hour_of_day, day_of_week, day_of_month, is_weekend."""

    def __init__(self, feature: TransformConfig, timezone: str, fill: Any) -> None:
        assert feature.input is not None
        self._name = feature.name
        self._input = feature.input
        self._operation = feature.op
        self._timezone = timezone
        self._zone = ZoneInfo(timezone)
        self._fill = fill

    @property
    def columns(self) -> tuple[str, ...]:
        """The one output column."""
        return (self._name,)

    def expressions(self) -> list[pl.Expr]:
        """Batch expression."""
        local = pl.col(self._input).dt.convert_time_zone(self._timezone)
        iso_weekday = local.dt.weekday()  # Monday 1 ... Sunday 7
        if self._operation == "hour_of_day":
            part = local.dt.hour()
        elif self._operation == "day_of_week":
            part = iso_weekday - 1
        elif self._operation == "day_of_month":
            part = local.dt.day()
        else:
            part = (iso_weekday >= _SATURDAY + 1).cast(pl.Int64)
        return [filled(part.cast(pl.Int64), self._fill).alias(self._name)]

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """Online value."""
        moment = row[self._input]
        if moment is None:
            return (filled_value(None, self._fill),)
        local = moment.astimezone(self._zone)
        if self._operation == "hour_of_day":
            return (local.hour,)
        if self._operation == "day_of_week":
            return (local.weekday(),)
        if self._operation == "day_of_month":
            return (local.day,)
        return (int(local.weekday() >= _SATURDAY),)


__all__ = ["TimePartFeature"]
