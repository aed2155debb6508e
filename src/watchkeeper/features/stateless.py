"""Numeric and pass-through stateless features: identity, fill_missing, clip, log1p,
standardize, bucketize and ratio, each written for both engines side by side.

Semantics (the same in both engines):

* ``identity`` / ``fill_missing``: the input as it is (``fill`` where missing);
* ``clip``: the input limited to ``[lower, upper]`` (either bound optional), as a float;
* ``log1p``: ``log(1 + x)``; missing for ``x <= -1``, which has no logarithm;
* ``standardize``: ``(x - mean) / std`` with the fitted mean and population std;
* ``bucketize``: how many ``boundaries`` are ``<= x`` (0 .. len(boundaries));
* ``ratio``: ``numerator / denominator``; missing when either is missing or the denominator is 0.

A missing input gives a missing result, replaced by ``fill`` when the feature has one.

>>> from watchkeeper.config import InputField, TransformConfig
>>> feature = NumericFeature(TransformConfig(name="b", op="bucketize", input="x",
...                                          boundaries=[0, 10]), fill=None)
>>> feature.values({"x": 10.0}), feature.values({"x": -1.0}), feature.values({"x": None})
((2,), (0,), (None,))
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.features.row_feature import filled, filled_value

if TYPE_CHECKING:
    from watchkeeper.config import TransformConfig
    from watchkeeper.features.fitted import Standardization


class PassThroughFeature:
    """``identity`` and ``fill_missing``: the input value, with ``fill`` where missing."""

    def __init__(self, feature: TransformConfig, fill: Any) -> None:
        assert feature.input is not None
        self._name = feature.name
        self._input = feature.input
        self._fill = fill

    @property
    def columns(self) -> tuple[str, ...]:
        """The one output column."""
        return (self._name,)

    def expressions(self) -> list[pl.Expr]:
        """Batch expression."""
        return [filled(pl.col(self._input), self._fill).alias(self._name)]

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """Online value."""
        return (filled_value(row[self._input], self._fill),)


class NumericFeature:
    """clip, log1p, standardize, bucketize and ratio over numeric inputs."""

    def __init__(
        self,
        feature: TransformConfig,
        fill: Any,
        standardization: Standardization | None = None,
    ) -> None:
        self._feature = feature
        self._fill = fill
        self._standardization = standardization

    @property
    def columns(self) -> tuple[str, ...]:
        """The one output column."""
        return (self._feature.name,)

    def expressions(self) -> list[pl.Expr]:
        """Batch expression."""
        feature = self._feature
        operation = feature.op
        result: pl.Expr
        if operation == "ratio":
            assert feature.numerator is not None and feature.denominator is not None
            numerator = pl.col(feature.numerator).cast(pl.Float64)
            denominator = pl.col(feature.denominator).cast(pl.Float64)
            result = pl.when(denominator != 0.0).then(numerator / denominator)
        else:
            assert feature.input is not None
            value = pl.col(feature.input).cast(pl.Float64)
            if operation == "clip":
                result = value.clip(feature.lower, feature.upper)
            elif operation == "log1p":
                result = pl.when(value > -1.0).then(value.log1p())
            elif operation == "standardize":
                assert self._standardization is not None
                mean, std = self._standardization.mean, self._standardization.std
                result = (value - mean) / std
            else:
                boundaries = feature.boundaries or []
                counted = pl.sum_horizontal(
                    [(value >= bound).cast(pl.Int64) for bound in boundaries]
                )
                result = pl.when(value.is_not_null()).then(counted)
        return [filled(result, self._fill).alias(feature.name)]

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """Online value."""
        return (filled_value(self._value(row), self._fill),)

    def _value(self, row: Mapping[str, Any]) -> Any:
        feature = self._feature
        operation = feature.op
        if operation == "ratio":
            numerator, denominator = row[feature.numerator or ""], row[feature.denominator or ""]
            if numerator is None or denominator is None or denominator == 0:
                return None
            return float(numerator) / float(denominator)
        raw = row[feature.input or ""]
        if raw is None:
            return None
        value = float(raw)
        if operation == "clip":
            if feature.lower is not None and value < feature.lower:
                value = float(feature.lower)
            if feature.upper is not None and value > feature.upper:
                value = float(feature.upper)
            return value
        if operation == "log1p":
            return math.log1p(value) if value > -1.0 else None
        if operation == "standardize":
            assert self._standardization is not None
            return (value - self._standardization.mean) / self._standardization.std
        return bisect_right(feature.boundaries or [], value)


__all__ = ["NumericFeature", "PassThroughFeature"]
