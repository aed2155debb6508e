"""Fitting: learn vocabularies and statistics from training data into a fitted spec.

* ``encode``: the ``top_k`` most frequent values (all when ``top_k`` is unset), ties broken by
  the smaller value, with each value's share of the training rows; values outside it fall in
  an explicit unseen bucket and missing values in a missing bucket, whose shares are kept too.
* ``standardize``: mean and population standard deviation (ddof 0) of the non-missing values;
  a constant or empty column gets standard deviation 1, so it maps to 0 rather than to NaN.

Rows that break the schema are handled by the policy of
:func:`~watchkeeper.features.frame_validation.validate_frame`.

>>> import polars as pl
>>> from datetime import datetime, UTC
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(
...     inputs={"ts": {"type": "timestamp"}, "channel": {"type": "category"},
...             "amount": {"type": "float"}},
...     transforms=[{"name": "channel_code", "op": "encode", "input": "channel",
...                  "method": "ordinal", "top_k": 1},
...                 {"name": "amount_z", "op": "standardize", "input": "amount"}])
>>> frame = pl.DataFrame({"ts": [datetime(2026, 1, 1, tzinfo=UTC)] * 4,
...                       "channel": ["web", "web", "pos", None], "amount": [1.0, 3.0, None, 5.0]})
>>> fitted = fit(spec, frame)
>>> fitted.vocabulary("channel_code").values, fitted.vocabulary("channel_code").unseen_frequency
(['web'], 0.25)
>>> fitted.standardization("amount_z").mean
3.0
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl

from watchkeeper.features.fitted import FittedFeatureSpec, Standardization, Vocabulary
from watchkeeper.features.frame_validation import InvalidRowPolicy, validate_frame

if TYPE_CHECKING:
    from watchkeeper.config import TransformConfig
    from watchkeeper.features.spec import FeatureSpec


def fit(
    spec: FeatureSpec, frame: pl.DataFrame, policy: InvalidRowPolicy = "fail"
) -> FittedFeatureSpec:
    """Learn the fitted parameters of ``spec`` from the raw training ``frame``."""
    valid = validate_frame(spec, frame, policy).valid
    parameters: dict[str, Standardization | Vocabulary] = {}
    for feature in spec.transforms:
        if feature.op == "standardize":
            parameters[feature.name] = fit_standardization(valid[_input(feature)])
        elif feature.op == "encode":
            parameters[feature.name] = fit_vocabulary(valid[_input(feature)], feature.top_k)
    return FittedFeatureSpec(spec=spec, parameters=parameters, training_rows=valid.height)


def fit_standardization(values: pl.Series) -> Standardization:
    """Mean and population standard deviation of the non-missing ``values``.

    >>> fit_standardization(pl.Series([2.0, 4.0, None]))
    Standardization(kind='standardization', mean=3.0, std=1.0)
    >>> fit_standardization(pl.Series([7.0, 7.0])).std
    1.0
    """
    present = values.drop_nulls().cast(pl.Float64)
    if present.is_empty():
        return Standardization(mean=0.0, std=1.0)
    mean = math.fsum(present.to_list()) / present.len()
    deviation = present.std(ddof=0)
    std = float(deviation) if isinstance(deviation, float) else 0.0
    if not math.isfinite(std) or std <= 0.0:
        std = 1.0
    return Standardization(mean=mean, std=std)


def fit_vocabulary(values: pl.Series, top_k: int | None) -> Vocabulary:
    """The ``top_k`` most frequent values (ties: smaller value first) and the bucket shares.

    >>> fit_vocabulary(pl.Series(["b", "a", "b", None, "c"]), top_k=2)
    Vocabulary(kind='vocabulary', values=['b', 'a'], frequencies=[0.4, 0.2], unseen_frequency=0.2, missing_frequency=0.2)
    """
    total = values.len()
    counts = (
        values.drop_nulls()
        .value_counts(name="count")
        .sort(["count", values.name], descending=[True, False])
    )
    kept_counts = counts.head(top_k) if top_k is not None else counts
    kept = kept_counts[values.name].to_list()
    kept_total = int(kept_counts["count"].sum())
    missing = values.null_count()
    denominator = total if total else 1
    return Vocabulary(
        values=kept,
        frequencies=[count / denominator for count in kept_counts["count"].to_list()],
        unseen_frequency=(total - missing - kept_total) / denominator,
        missing_frequency=missing / denominator,
    )


def _input(feature: TransformConfig) -> str:
    assert feature.input is not None
    return feature.input


__all__ = ["fit", "fit_standardization", "fit_vocabulary"]
