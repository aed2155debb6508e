"""The reference of a model version served outside watchkeeper, built from its own log.

No training run profiles a holdout for an external version, so its reference is the first
``monitoring.reference_window`` (28 days by default) of the predictions it logged: a
profile of its inputs (read typed from the ``transactions`` table; categorical or numeric by
each input's declared type) and of the task's prediction columns, and, once the labels of
those rows have matured, an estimator of performance before labels fitted on them:

- binary: a :class:`~watchkeeper.performance.binary_estimation.ScoreCalibrator` of the score;
- multiclass: a :class:`~watchkeeper.performance.multiclass_estimation.MulticlassCalibrator`;
- regression: a :class:`~watchkeeper.performance.regression_estimation.LossEstimator` on the
  numeric (and yes/no) inputs and the prediction.

The profile holds :func:`prediction_columns_for_profile` (the same columns as a trained
version's reference) and, for a binary model, its ``decision`` too (as ``"true"``/``"false"``
categories): an external model's threshold is unknown, so the reference flag rate is counted.

>>> from watchkeeper.config import InputField, KeysConfig
>>> inputs = {"event_id": InputField(type="string"), "ts": InputField(type="timestamp"),
...           "plan": InputField(type="category"), "fee": InputField(type="float"),
...           "renews": InputField(type="bool")}
>>> input_kinds(inputs, KeysConfig(entity="account_id"))
{'plan': 'categorical', 'fee': 'numeric', 'renews': 'categorical'}
>>> profile_kinds({"fee": "numeric"}, "multiclass")
{'fee': 'numeric', 'decision': 'categorical', 'score': 'numeric'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import InputField, KeysConfig, LabelConfig, ModelTask, MonitoringConfig
from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.prediction_columns import (
    DECISION_COLUMN,
    PREDICTION_COLUMN,
    PREDICTION_KINDS,
    SCORE_COLUMN,
    prediction_columns_for_profile,
)
from watchkeeper.monitoring.profiles.profile_builder import build_reference_profile
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.performance.multiclass_estimation import MulticlassCalibrator
from watchkeeper.performance.regression_estimation import LossEstimator

ExternalEstimator = ScoreCalibrator | MulticlassCalibrator | LossEstimator
"""What estimates an external version's performance before labels."""

ESTIMATOR_MEDIA_TYPE = "application/json"
SCORE = SCORE_COLUMN
DECISION = DECISION_COLUMN
PREDICTION = PREDICTION_COLUMN
PROBABILITIES = "probabilities"

_KINDS = PREDICTION_KINDS
_NUMERIC_TYPES = frozenset({"float", "int"})
_CATEGORICAL_TYPES = frozenset({"category", "string", "bool"})


def external_prediction_columns(task: ModelTask) -> tuple[str, ...]:
    """The prediction columns an external version's profiles hold (binary adds ``decision``).

    >>> external_prediction_columns("binary")
    ('score', 'decision')
    """
    columns = prediction_columns_for_profile(task)
    return (*columns, DECISION) if task == "binary" else columns


def input_kinds(inputs: Mapping[str, InputField], keys: KeysConfig) -> dict[str, FeatureKind]:
    """The profiled inputs and their kinds: numbers numeric, categories, strings and yes/no
    categorical; the keys (event id, entity, event time) and timestamps are not profiled."""
    skipped = {keys.event_id, keys.entity, keys.event_time}
    kinds: dict[str, FeatureKind] = {}
    for name, field in inputs.items():
        if name in skipped:
            continue
        if field.type in _NUMERIC_TYPES:
            kinds[name] = "numeric"
        elif field.type in _CATEGORICAL_TYPES:
            kinds[name] = "categorical"
    return kinds


def profile_kinds(inputs: Mapping[str, FeatureKind], task: ModelTask) -> dict[str, FeatureKind]:
    """Every profiled column of an external version of ``task`` with its kind."""
    return {**inputs, **{name: _KINDS[name] for name in external_prediction_columns(task)}}


def profiled_frame(served: pl.DataFrame, kinds: Mapping[str, FeatureKind]) -> pl.DataFrame:
    """The columns of ``served`` (predictions joined with their inputs) to profile, yes/no
    values as the categories ``"true"``/``"false"`` and numbers as Float64.

    >>> frame = pl.DataFrame({"decision": [True, None], "x": [1, 2]})
    >>> profiled_frame(frame, {"x": "numeric", "decision": "categorical"}).rows()
    [(1.0, 'true'), (2.0, None)]
    """
    absent = [name for name in kinds if name not in served.columns]
    if absent:
        raise SchemaError(f"the logged predictions have no column {absent[0]!r} to profile")
    columns = []
    for name, kind in kinds.items():
        column = pl.col(name)
        if kind == "numeric":
            columns.append(column.cast(pl.Float64))
        elif served[name].dtype == pl.Boolean:
            columns.append(
                pl.when(column).then(pl.lit("true")).when(~column).then(pl.lit("false"))
                .otherwise(None).alias(name)
            )  # fmt: skip
        else:
            columns.append(column.cast(pl.String))
    return served.select(columns)


def build_external_reference(
    served: pl.DataFrame, kinds: Mapping[str, FeatureKind], monitoring: MonitoringConfig
) -> DatasetProfile:
    """Profile a version's reference rows (see :func:`profiled_frame`), fixing the plan from
    their exact quantiles and counts."""
    if served.height == 0:
        raise SchemaError("a reference needs logged predictions; the reference window has none")
    return build_reference_profile(
        profiled_frame(served, kinds),
        dict(kinds),
        bins=monitoring.bins,
        top_k=monitoring.top_k,
        sketch_k=monitoring.sketch_k,
        threads=1,
    )


def class_probabilities(
    probabilities: pl.Series, classes: Sequence[str]
) -> npt.NDArray[np.float64]:
    """The logged JSON probabilities (or a struct of class -> probability) as a rows x
    ``classes`` array (a missing class is 0).

    >>> class_probabilities(pl.Series(['{"a": 0.25, "b": 0.75}']), ["a", "b"]).tolist()
    [[0.25, 0.75]]
    >>> class_probabilities(pl.Series([{"b": 0.5, "a": 0.5}]), ["a", "b"]).tolist()
    [[0.5, 0.5]]
    """
    if isinstance(probabilities.dtype, pl.Struct):
        fields = probabilities.struct.unnest()
        decoded = fields.select(
            pl.col(name).cast(pl.Float64) if name in fields.columns else pl.lit(0.0).alias(name)
            for name in classes
        )
    else:
        schema = pl.Struct(dict.fromkeys(classes, pl.Float64))
        decoded = probabilities.str.json_decode(schema).struct.unnest()
    matrix: npt.NDArray[np.float64] = decoded.fill_null(0.0).to_numpy().astype(np.float64)
    return matrix.reshape(probabilities.len(), len(classes))


def fit_estimator(
    task: ModelTask,
    labelled: pl.DataFrame,
    label: LabelConfig,
    numeric_inputs: Sequence[str],
) -> ExternalEstimator:
    """Fit the task's estimator on the reference rows with a ``label`` (the others are left
    out): binary labels 1/0, multiclass class names, regression numbers."""
    known = labelled.filter(pl.col("label").is_not_null())
    if known.height == 0:
        raise SchemaError("none of the reference rows has a label yet")
    if task == "binary":
        return ScoreCalibrator.fit(known[SCORE].to_numpy(), known["label"].to_numpy())
    if task == "multiclass":
        classes = list(label.classes or ())
        return MulticlassCalibrator.fit(
            class_probabilities(known[PROBABILITIES], classes), known["label"].to_list(), classes
        )
    return LossEstimator.fit(
        known.select(numeric_inputs), known[PREDICTION].to_numpy(), known["label"].to_numpy()
    )


def estimator_to_bytes(task: ModelTask, estimator: ExternalEstimator) -> bytes:
    """The JSON bytes stored in the artifact store for ``estimator``."""
    payload = {"task": task, "estimator": estimator.to_dict()}
    return json.dumps(payload, sort_keys=True).encode()


def estimator_from_bytes(payload: bytes) -> ExternalEstimator:
    """Rebuild an estimator from :func:`estimator_to_bytes`.

    >>> calibrator = ScoreCalibrator((0.0, 1.0), (0.1, 0.9))
    >>> estimator_from_bytes(estimator_to_bytes("binary", calibrator)) == calibrator
    True
    """
    data: dict[str, Any] = json.loads(payload)
    task, stored = data.get("task"), data.get("estimator", {})
    if task == "binary":
        return ScoreCalibrator.from_dict(stored)
    if task == "multiclass":
        return MulticlassCalibrator.from_dict(stored)
    if task == "regression":
        return LossEstimator.from_dict(stored)
    raise SchemaError(f"a stored estimator names the task {task!r}, not one watchkeeper knows")


__all__ = [
    "ESTIMATOR_MEDIA_TYPE",
    "ExternalEstimator",
    "build_external_reference",
    "class_probabilities",
    "estimator_from_bytes",
    "estimator_to_bytes",
    "external_prediction_columns",
    "fit_estimator",
    "input_kinds",
    "prediction_columns_for_profile",
    "profile_kinds",
    "profiled_frame",
]
