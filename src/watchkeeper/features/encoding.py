"""Categorical encodings with a fitted top-k vocabulary and explicit unseen/missing buckets.

* ``ordinal``: 0 for a missing value, 1 for an unseen one (not in the vocabulary), and
  ``2 + rank`` for the vocabulary's values, most frequent first;
* ``frequency``: the value's share of the training rows; the unseen and missing buckets get
  the shares of the training rows that fell in them;
* ``one_hot``: one 0/1 column per vocabulary value, then ``name:unseen`` and ``name:missing``.

>>> from watchkeeper.config import TransformConfig
>>> from watchkeeper.features.fitted import Vocabulary
>>> vocabulary = Vocabulary(values=["web", "pos"], frequencies=[0.6, 0.3],
...                         unseen_frequency=0.05, missing_frequency=0.05)
>>> ordinal = EncodingFeature(TransformConfig(name="c", op="encode", input="channel",
...                                           method="ordinal"), vocabulary)
>>> [ordinal.values({"channel": value}) for value in ("web", "pos", "atm", None)]
[(2,), (3,), (1,), (0,)]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.features.outputs import one_hot_columns

if TYPE_CHECKING:
    from watchkeeper.config import TransformConfig
    from watchkeeper.features.fitted import Vocabulary

MISSING_CODE = 0
UNSEEN_CODE = 1
FIRST_VALUE_CODE = 2


class EncodingFeature:
    """One ``encode`` feature with its fitted vocabulary."""

    def __init__(self, feature: TransformConfig, vocabulary: Vocabulary) -> None:
        assert feature.input is not None and feature.method is not None
        self._name = feature.name
        self._input = feature.input
        self._method = feature.method
        self._vocabulary = vocabulary
        self._codes = {
            value: FIRST_VALUE_CODE + rank for rank, value in enumerate(vocabulary.values)
        }
        self._frequencies = dict(zip(vocabulary.values, vocabulary.frequencies, strict=True))
        if self._method == "one_hot":
            self._columns = tuple(one_hot_columns(feature.name, vocabulary.values))
        else:
            self._columns = (feature.name,)

    @property
    def columns(self) -> tuple[str, ...]:
        """The output columns (several for one-hot)."""
        return self._columns

    def expressions(self) -> list[pl.Expr]:
        """Batch expressions."""
        column = pl.col(self._input)
        values = self._vocabulary.values
        if self._method == "one_hot":
            known = pl.lit(pl.Series(values)).implode() if values else None
            indicators = [(column == value).fill_null(False).cast(pl.Int64) for value in values]
            outside = column.is_not_null() & (
                ~column.is_in(known) if known is not None else pl.lit(True)
            )
            indicators += [outside.cast(pl.Int64), column.is_null().cast(pl.Int64)]
            return [
                expression.alias(name)
                for expression, name in zip(indicators, self._columns, strict=True)
            ]
        if self._method == "ordinal":
            codes: list[Any] = [self._codes[value] for value in values]
            missing: Any = MISSING_CODE
            unseen: Any = UNSEEN_CODE
            dtype: pl.DataType = pl.Int64()
        else:
            codes = list(self._vocabulary.frequencies)
            missing = self._vocabulary.missing_frequency
            unseen = self._vocabulary.unseen_frequency
            dtype = pl.Float64()
        if values:
            mapped = column.replace_strict(values, codes, default=unseen, return_dtype=dtype)
        else:
            mapped = pl.lit(unseen, dtype=dtype)
        return [
            pl.when(column.is_null())
            .then(pl.lit(missing, dtype=dtype))
            .otherwise(mapped)
            .alias(self._name)
        ]

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """Online values."""
        value = row[self._input]
        if self._method == "ordinal":
            if value is None:
                return (MISSING_CODE,)
            return (self._codes.get(value, UNSEEN_CODE),)
        if self._method == "frequency":
            if value is None:
                return (self._vocabulary.missing_frequency,)
            return (self._frequencies.get(value, self._vocabulary.unseen_frequency),)
        indicators = [
            int(value is not None and value == known) for known in self._vocabulary.values
        ]
        unseen = int(value is not None and value not in self._codes)
        return (*indicators, unseen, int(value is None))


__all__ = ["FIRST_VALUE_CODE", "MISSING_CODE", "UNSEEN_CODE", "EncodingFeature"]
