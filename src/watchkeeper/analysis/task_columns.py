"""Which columns hold the model's outputs and the truth, and which task they make.

Columns are found by their names unless given (the first match, case ignored):

==============  =====================================================================
role            names
==============  =====================================================================
target          ``target``, ``label``, ``y``, ``y_true``, ``actual``, ``ground_truth``
prediction      ``prediction``, ``predicted``, ``y_pred``, ``decision``, ``pred``,
                ``predicted_class``
score           ``score``, ``y_score``, ``y_pred_proba``, ``predicted_probability``,
                ``probability``, ``proba``
probabilities   one column ``probabilities`` / ``class_probabilities`` (a struct, or JSON
                text, of class -> probability), or one column per class named
                ``proba_<class>``, ``probability_<class>``, ``prob_<class>``
==============  =====================================================================

The task, unless given: **multiclass** with class probabilities, **binary** with a score,
**regression** with a floating-point prediction, **multiclass** with a text prediction.
Binary needs a score and a prediction (the decision: 0/1 or true/false), multiclass a
prediction (the decided class), regression a prediction (a number).

>>> import pyarrow as pa
>>> table = pa.table({"x": [1.0, 2.0], "score": [0.2, 0.9], "y_pred": [0, 1], "label": [0, 1]})
>>> found = find_task_columns(table)
>>> found.task, found.score, found.prediction, found.target
('binary', 'score', 'y_pred', 'label')
>>> task_frame(table, found, "reference", target=True).rows()
[(0.2, False, 0), (0.9, True, 1)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
import polars as pl
import pyarrow as pa

from watchkeeper.config import ModelTask
from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.job.external_reference import DECISION, PREDICTION, PROBABILITIES, SCORE
from watchkeeper.monitoring.outcomes.task_performance import LABEL
from watchkeeper.performance.inputs import PROBABILITY_SUM_TOLERANCE

TARGET_NAMES = ("target", "label", "y", "y_true", "actual", "ground_truth")
PREDICTION_NAMES = ("prediction", "predicted", "y_pred", "decision", "pred", "predicted_class")
SCORE_NAMES = ("score", "y_score", "y_pred_proba", "predicted_probability", "probability", "proba")
PROBABILITIES_NAMES = ("probabilities", "class_probabilities")
PROBABILITY_PREFIXES = ("proba_", "probability_", "prob_")
MAX_CLASSES = 1_000
"""Most classes a multiclass target may have: more is an identifier or a free text."""
INPUT_PREFIX = "input:"
"""Prefix of a feature's column in a task frame (the loss models' inputs)."""

TASKS: tuple[str, ...] = get_args(ModelTask)
_OPTIONS = {
    "task": "--task",
    "target": "--target-column",
    "prediction": "--prediction-column",
    "score": "--score-column",
    "probabilities": "--probability-column",
    "timestamp": "--timestamp-column",
    "exclude": "--exclude",
    "roles": "--role",
}
Probabilities = str | Sequence[str] | Mapping[str, str]
"""Class probabilities: one column (struct or JSON text), the per-class columns (class named
by what follows their common prefix), or class -> column."""


@dataclass(frozen=True)
class TaskColumns:
    """The task and the columns of its outputs and truth (None: absent)."""

    task: ModelTask | None
    target: str | None = None
    prediction: str | None = None
    score: str | None = None
    probability_columns: tuple[tuple[str, str], ...] = ()
    probability_column: str | None = None
    classes: tuple[str, ...] = ()

    @property
    def outputs(self) -> tuple[str, ...]:
        """The columns of the model's outputs (never features)."""
        named = (self.prediction, self.score, self.probability_column)
        columns = [name for name in named if name is not None]
        return (*columns, *(column for _, column in self.probability_columns))

    def describe(self) -> dict[str, Any]:
        """The roles as JSON: the task, its columns and classes."""
        described: dict[str, Any] = {
            "task": self.task,
            "target": self.target,
            "prediction": self.prediction,
            "score": self.score,
        }
        if self.probability_columns:
            described["probabilities"] = dict(self.probability_columns)
        elif self.probability_column is not None:
            described["probabilities"] = self.probability_column
        if self.classes:
            described["classes"] = list(self.classes)
        return described


def option(keyword: str) -> str:
    """A setting as both the Python API and ``watchkeeper performance`` name it.

    >>> option("target")
    'target= (--target-column)'
    """
    return f"{keyword}= ({_OPTIONS[keyword]})" if keyword in _OPTIONS else f"{keyword}="


def find_task_columns(
    table: pa.Table,
    *,
    task: str | None = None,
    target: str | None = None,
    prediction: str | None = None,
    score: str | None = None,
    probabilities: Probabilities | None = None,
) -> TaskColumns:
    """The task and its columns in the reference ``table``: given, else found by name."""
    if task is not None and task not in TASKS:
        raise DatasetError(f"task {task!r}: give one of {', '.join(TASKS)}")
    names = table.column_names
    target = _named(names, target, TARGET_NAMES, "target")
    prediction = _named(names, prediction, PREDICTION_NAMES, "prediction")
    score = _named(names, score, SCORE_NAMES, "score")
    per_class, column = _probabilities(names, probabilities)
    found = TaskColumns(
        _task(table, task, prediction, score, bool(per_class or column)),
        target,
        prediction,
        score,
        per_class,
        column,
    )
    if found.task is None:
        return found
    _check_required(found)
    if found.task != "multiclass":
        return TaskColumns(found.task, target, prediction, score)
    classes = _classes(table, found)
    return TaskColumns("multiclass", target, prediction, None, per_class, column, classes)


def _named(
    names: Sequence[str], given: str | None, candidates: Sequence[str], keyword: str
) -> str | None:
    if given is not None:
        if given not in names:
            raise DatasetError(
                f"{option(keyword)} {given!r}: not a column of the reference ({', '.join(names)})"
            )
        return given
    lowered = {name.lower(): name for name in reversed(names)}
    return next((lowered[name] for name in candidates if name in lowered), None)


def _probabilities(
    names: Sequence[str], given: Probabilities | None
) -> tuple[tuple[tuple[str, str], ...], str | None]:
    if isinstance(given, str):
        _named(names, given, (), "probabilities")
        return (), given
    if isinstance(given, Mapping):
        pairs = tuple((str(name), column) for name, column in given.items())
    elif given is not None:
        columns = list(given)
        pairs = tuple(zip(_class_names(columns), columns, strict=True))
    else:
        column = _named(names, None, PROBABILITIES_NAMES, "probabilities")
        if column is not None:
            return (), column
        lowered = [name.lower() for name in names]
        for prefix in PROBABILITY_PREFIXES:
            columns = [
                name for name, low in zip(names, lowered, strict=True) if low.startswith(prefix)
            ]
            if len(columns) >= 2:
                return tuple((name[len(prefix) :], name) for name in columns), None
        return (), None
    for _, column in pairs:
        _named(names, column, (), "probabilities")
    if len(pairs) < 2:
        raise DatasetError(
            f"{option('probabilities')}: give one column per class, at least two (or one "
            "struct/JSON column)"
        )
    return pairs, None


def _class_names(columns: Sequence[str]) -> list[str]:
    """Classes named by what follows the columns' common prefix, cut after its last
    separator: ``p_cat, p_car`` -> ``cat, car``."""
    first, last = min(columns), max(columns)  # their common prefix is everyone's
    shared = next(
        (index for index, (a, b) in enumerate(zip(first, last, strict=False)) if a != b),
        min(len(first), len(last)),
    )
    prefix = first[:shared] if len(columns) > 1 else ""
    cut = max((prefix.rfind(mark) for mark in "_-.: "), default=-1) + 1
    return [column[cut:] for column in columns]


def _task(
    table: pa.Table,
    given: str | None,
    prediction: str | None,
    score: str | None,
    with_probabilities: bool,
) -> ModelTask | None:
    if given is not None:
        return given  # type: ignore[return-value]
    if with_probabilities:
        return "multiclass"
    if score is not None:
        return "binary"
    if prediction is None:
        return None
    data_type = table.schema.field(prediction).type
    if pa.types.is_dictionary(data_type):
        data_type = data_type.value_type
    if pa.types.is_floating(data_type) or pa.types.is_decimal(data_type):
        return "regression"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "multiclass"
    raise DatasetError(
        f"column {prediction!r} ({data_type}): cannot tell the task from it (the rule: a score "
        "column makes binary, class probabilities or a text prediction multiclass, a "
        f"floating-point prediction regression); give {option('task')} binary, multiclass or "
        "regression"
    )


def _check_required(found: TaskColumns) -> None:
    needs = {
        "binary": (("score", found.score), ("prediction", found.prediction)),
        "multiclass": (("prediction", found.prediction),),
        "regression": (("prediction", found.prediction),),
    }[str(found.task)]
    for keyword, column in needs:
        if column is None:
            what = "decision (0/1 or true/false)" if found.task == "binary" else keyword
            raise DatasetError(
                f"task {found.task}: no {keyword} column found: give {option(keyword)}, the "
                f"model's {what if keyword == 'prediction' else 'score'}"
            )


def _classes(table: pa.Table, found: TaskColumns) -> tuple[str, ...]:
    if found.probability_columns:
        classes = tuple(name for name, _ in found.probability_columns)
        where = ", ".join(repr(column) for _, column in found.probability_columns)
    elif found.probability_column is not None:
        where = repr(found.probability_column)
        classes = tuple(
            _probability_struct(table, found.probability_column, "reference").struct.fields
        )
    else:
        where = " and ".join(repr(name) for name in (found.prediction, found.target) if name)
        values: set[str] = set()
        for column in (found.prediction, found.target):
            if column is not None:
                values.update(_class_values(table, column, "reference").drop_nulls().unique())
        classes = tuple(sorted(values))
    if len(classes) > MAX_CLASSES:
        raise DatasetError(
            f"column {where}: {len(classes):,} classes, more than {MAX_CLASSES:,} (the rule: "
            "a multiclass target has at most that many; is it an identifier?)"
        )
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise DatasetError(
            f"column {where}: classes {list(classes)} (the rule: at least two, each once)"
        )
    return classes


def task_frame(
    table: pa.Table,
    columns: TaskColumns,
    what: str,
    *,
    target: bool,
    inputs: Sequence[str] = (),
) -> pl.DataFrame:
    """The task's columns of ``table`` under their logged names (``score``, ``decision``,
    ``prediction``, ``probabilities``, ``label``; ``inputs`` prefixed by
    :data:`INPUT_PREFIX`), each checked against its rule (``what``: the frame's name)."""
    parts: dict[str, pl.Series] = {}
    if columns.task == "binary":
        parts[SCORE] = _numbers(table, str(columns.score), what, "a binary score")
        parts[DECISION] = _zero_one(table, str(columns.prediction), what, nulls=False).cast(
            pl.Boolean
        )
        if target:
            parts[LABEL] = _zero_one(table, _target(columns, table, what), what, nulls=True)
    elif columns.task == "multiclass":
        parts[DECISION] = _known_classes(table, str(columns.prediction), columns, what, False)
        if columns.probability_columns or columns.probability_column:
            parts[PROBABILITIES] = _class_probabilities(table, columns, what)
        if target:
            parts[LABEL] = _known_classes(table, _target(columns, table, what), columns, what, True)
    else:
        parts[PREDICTION] = _numbers(table, str(columns.prediction), what, "a prediction")
        if target:
            parts[LABEL] = _numbers(
                table, _target(columns, table, what), what, "a regression target", nulls=True
            )
    for name in inputs:
        series = _series(table, name, what)
        if not (series.dtype.is_numeric() or series.dtype == pl.Boolean):
            raise DatasetError(
                f"{what}: column {name!r} is {series.dtype} (the rule: the loss models' "
                "inputs are numeric or true/false, as in the reference)"
            )
        parts[f"{INPUT_PREFIX}{name}"] = series
    return pl.DataFrame({name: series.alias(name) for name, series in parts.items()})


def _target(columns: TaskColumns, table: pa.Table, what: str) -> str:
    if columns.target is None:
        raise DatasetError(
            f"no target column: give {option('target')} (found by the names "
            f"{', '.join(TARGET_NAMES)})"
        )
    if columns.target not in table.column_names:
        raise DatasetError(f"{what}: has no target column {columns.target!r}")
    return columns.target


def _series(table: pa.Table, name: str, what: str) -> pl.Series:
    if name not in table.column_names:
        raise DatasetError(
            f"{what}: has no column {name!r} (the reference's; columns: "
            f"{', '.join(table.column_names)})"
        )
    series = pl.from_arrow(table.column(name))
    assert isinstance(series, pl.Series)
    return series.alias(name)


def _numbers(table: pa.Table, name: str, what: str, role: str, *, nulls: bool = False) -> pl.Series:
    series = _series(table, name, what)
    if not (series.dtype.is_numeric() or series.dtype == pl.Boolean):
        raise DatasetError(
            f"{what}: column {name!r} is {series.dtype} (the rule: {role} is a number)"
        )
    values = series.cast(pl.Float64)
    if nulls:  # NaN is how a float column says "not known yet"
        values = values.fill_nan(None)
    bad = (values.is_infinite() | values.is_nan()).fill_null(False)
    if not nulls:
        bad = bad | values.is_null()
    if bad.any():
        row = int(bad.arg_max() or 0)
        rule = (
            "a finite number, null (or NaN) while unknown"
            if nulls
            else "a finite number on every row"
        )
        raise DatasetError(
            f"{what}: column {name!r}, row {row}: {values[row]} (the rule: {role} is {rule})"
        )
    return values


def _zero_one(table: pa.Table, name: str, what: str, *, nulls: bool) -> pl.Series:
    series = _series(table, name, what)
    rule = "0/1 or true/false" + (", null while unknown" if nulls else " on every row")
    if series.dtype == pl.Boolean:
        values = series.cast(pl.Int8)
    elif series.dtype.is_numeric():
        values = series.cast(pl.Float64).fill_nan(None)
        outside = values.is_not_null() & ~values.is_in([0.0, 1.0])
        if outside.any():
            row = int(outside.arg_max() or 0)
            raise DatasetError(
                f"{what}: column {name!r}, row {row}: {series[row]} (the rule: {rule})"
            )
        values = values.cast(pl.Int8)
    else:
        raise DatasetError(f"{what}: column {name!r} is {series.dtype} (the rule: {rule})")
    if not nulls and values.null_count():
        row = int(values.is_null().arg_max() or 0)
        raise DatasetError(f"{what}: column {name!r}, row {row}: null (the rule: {rule})")
    return values


def _class_values(table: pa.Table, name: str, what: str) -> pl.Series:
    """A column of classes as text: text as is, whole numbers and yes/no as their text."""
    series = _series(table, name, what)
    if series.dtype in (pl.String, pl.Categorical) or isinstance(series.dtype, pl.Enum):
        return series.cast(pl.String)
    if series.dtype.is_integer() or series.dtype == pl.Boolean:
        return series.cast(pl.String)
    if series.dtype.is_float():
        whole = series.drop_nulls()
        if (whole == whole.round(0)).all():
            return series.cast(pl.Int64).cast(pl.String)
    raise DatasetError(
        f"{what}: column {name!r} is {series.dtype} (the rule: a class is text or a whole number)"
    )


def _known_classes(
    table: pa.Table, name: str, columns: TaskColumns, what: str, nulls: bool
) -> pl.Series:
    values = _class_values(table, name, what)
    unknown = values.is_not_null() & ~values.is_in(list(columns.classes))
    if not nulls:
        unknown = unknown | values.is_null()
    if unknown.any():
        row = int(unknown.arg_max() or 0)
        raise DatasetError(
            f"{what}: column {name!r}, row {row}: {values[row]!r} (the rule: one of the "
            f"classes {list(columns.classes)}{', null while unknown' if nulls else ''})"
        )
    return values


def _probability_struct(table: pa.Table, name: str, what: str) -> pl.Series:
    series = _series(table, name, what)
    if series.dtype == pl.String:
        try:
            series = series.str.json_decode(infer_schema_length=None)
        except pl.exceptions.PolarsError:
            series = pl.Series(name, [None])
    if not isinstance(series.dtype, pl.Struct):
        raise DatasetError(
            f"{what}: column {name!r} is {series.dtype} (the rule: class probabilities are a "
            "struct or JSON object of class -> probability, or one column per class)"
        )
    return series


def _class_probabilities(table: pa.Table, columns: TaskColumns, what: str) -> pl.Series:
    if columns.probability_columns:
        fields = [
            _numbers(table, column, what, "a class probability").alias(name)
            for name, column in columns.probability_columns
        ]
        where = ", ".join(column for _, column in columns.probability_columns)
    else:
        where = str(columns.probability_column)
        decoded = _probability_struct(table, where, what).struct.unnest()
        fields = [
            decoded[name].cast(pl.Float64).fill_null(0.0)
            if name in decoded.columns
            else pl.Series(name, np.zeros(decoded.height))
            for name in columns.classes
        ]
    matrix = np.column_stack([field.to_numpy() for field in fields])
    bad = ~(np.isfinite(matrix) & (matrix >= 0) & (matrix <= 1)).all(axis=1)
    bad |= np.abs(matrix.sum(axis=1) - 1.0) > PROBABILITY_SUM_TOLERANCE
    if bad.any():
        row = int(np.argmax(bad))
        raise DatasetError(
            f"{what}: column {where!r}, row {row}: probabilities {matrix[row].tolist()} (the "
            f"rule: each in [0, 1], summing to 1 within {PROBABILITY_SUM_TOLERANCE})"
        )
    return pl.DataFrame(fields).to_struct(PROBABILITIES)


__all__ = [
    "INPUT_PREFIX",
    "MAX_CLASSES",
    "PREDICTION_NAMES",
    "PROBABILITIES_NAMES",
    "PROBABILITY_PREFIXES",
    "SCORE_NAMES",
    "TARGET_NAMES",
    "TaskColumns",
    "find_task_columns",
    "option",
    "task_frame",
]
