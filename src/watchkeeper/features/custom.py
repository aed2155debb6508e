"""Custom row functions (``function: module:function``), applied row by row in both engines.

The function receives one validated event as a dict of every declared input (floats as
``float``, timestamps as aware UTC datetimes, missing values as ``None``) and returns a
number or ``None``; the feature is a float (``fill`` where ``None``). Both engines call the
very same function on the very same values, so they agree by construction. The module is
imported when an engine is built from the spec, never when a spec is loaded.

>>> function = load_row_function("watchkeeper.features.custom:example_amount_per_hour")
>>> function({"amount": 30.0, "hours": 2})
15.0
>>> load_row_function("watchkeeper.features.custom:nothing_here")
Traceback (most recent call last):
...
watchkeeper.errors.FeatureError: custom function 'watchkeeper.features.custom:nothing_here': module watchkeeper.features.custom has no function nothing_here
"""

from __future__ import annotations

import importlib
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from watchkeeper.errors import FeatureError
from watchkeeper.features.row_feature import filled, filled_value

RowFunction = Callable[[Mapping[str, Any]], Any]


def load_row_function(reference: str) -> RowFunction:
    """Import ``module:function`` and return the function."""
    module_name, _, function_name = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise FeatureError(
            f"custom function {reference!r}: cannot import {module_name}: {error}"
        ) from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise FeatureError(
            f"custom function {reference!r}: module {module_name} has no function {function_name}"
        )
    return function  # type: ignore[no-any-return]


def example_amount_per_hour(row: Mapping[str, Any]) -> float | None:
    """An example row function: ``amount / hours`` (``None`` when either is missing or 0)."""
    amount, hours = row.get("amount"), row.get("hours")
    if amount is None or not hours:
        return None
    return float(amount) / float(hours)


class CustomFeature:
    """A ``custom`` feature: a user's row function, called once per event."""

    def __init__(self, name: str, reference: str, inputs: tuple[str, ...], fill: Any) -> None:
        self._name = name
        self._reference = reference
        self._inputs = inputs
        self._function = load_row_function(reference)
        self._fill = fill

    @property
    def columns(self) -> tuple[str, ...]:
        """The one output column."""
        return (self._name,)

    def expressions(self) -> list[pl.Expr]:
        """Batch expression: the function mapped over a struct of the inputs, row by row."""
        rows = pl.struct([pl.col(name) for name in self._inputs])
        result = rows.map_elements(self._checked_call, return_dtype=pl.Float64, skip_nulls=False)
        return [filled(result, self._fill).alias(self._name)]

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """Online value."""
        return (filled_value(self._checked_call(row), self._fill),)

    def _checked_call(self, row: Mapping[str, Any]) -> float | None:
        result = self._function(dict(row))
        if result is None:
            return None
        if isinstance(result, bool) or not isinstance(result, numbers.Real):
            raise FeatureError(
                f"custom function {self._reference!r} returned {result!r}; expected a number or None"
            )
        value = float(result)
        if not math.isfinite(value):
            raise FeatureError(
                f"custom function {self._reference!r} returned {value!r}; expected a finite number"
            )
        return value


__all__ = ["CustomFeature", "RowFunction", "example_amount_per_hour", "load_row_function"]
