"""Checking logged predictions of any task, whole frames at a time.

A logged prediction is what a team's own service decided about an event: the event's id,
time and inputs, the team's model version label, and per task

* binary: ``score`` (a probability, in [0, 1]) and ``decision`` (true when acted on);
* multiclass: ``probabilities`` (a JSON object class -> probability, or one column
  ``probability_<class>`` per class) summing to 1, and optionally ``decision`` (a class;
  the most probable one when absent, or null in a row);
* regression: ``prediction`` (a finite number).

Inputs are checked by the same rules as the feature engines' edge
(:func:`~watchkeeper.features.frame_validation.validate_frame`). A row that breaks a rule is
refused with the column and a reason code (``missing_field``, ``wrong_type``, ``not_finite``
for NaN or infinity, ``out_of_range``, ``not_allowed`` for a category outside its declared
``allowed`` values, ``unknown_class``, ``bad_probabilities``, ``conflicting_duplicate``);
the others are kept. Nothing is coerced: a price in
the score column is refused, not read as a probability of 1.

>>> from datetime import UTC, datetime
>>> from watchkeeper.config import InputField
>>> rules = PredictionRules(task="binary", classes=(), inputs={"plan": InputField(
...     type="category")}, event_id="event_id", event_time="ts", entity="account_id")
>>> frame = pl.DataFrame({"event_id": ["a", "b"], "ts": [datetime(2026, 1, 5, tzinfo=UTC)] * 2,
...     "account_id": ["u1", "u2"], "plan": ["basic", "pro"], "model_label": ["v1", "v1"],
...     "score": [0.3, 129.0], "decision": [False, True]})
>>> checked = check_predictions(frame, rules, {"v1": 1}.__getitem__)
>>> checked.accepted["event_id"].to_list(), checked.refused.select("field", "reason").rows()
(['a'], [('score', 'out_of_range')])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from watchkeeper.errors import SchemaError
from watchkeeper.features.frame_validation import TIMESTAMP_TYPE, validate_frame
from watchkeeper.intake.logged_rows import (
    MISSING,
    ROW,
    Check,
    CheckedRows,
    empty_refusals,
    first_failure,
    refused_rows,
    validation_refusals,
)
from watchkeeper.performance.inputs import PROBABILITY_SUM_TOLERANCE

if TYPE_CHECKING:
    from watchkeeper.config import InputField, WorkspaceConfig

ModelVersions = Callable[[str], int]
"""Maps a team's model version label to watchkeeper's version number for it."""

PROBABILITY_TOLERANCE = PROBABILITY_SUM_TOLERANCE
"""How far from 1 a row's class probabilities may sum (float32 models round)."""

MODEL_LABEL = "model_label"
LATENCY = "latency_ms"
PROBABILITY_PREFIX = "probability_"
ROUTE = "external"
"""The route of a logged prediction: decided outside watchkeeper."""

_TASK_COLUMNS = {
    "binary": ("score", "decision"),
    "multiclass": ("probabilities", "decision"),
    "regression": ("prediction",),
}


@dataclass(frozen=True)
class LoggedInputs:
    """Inputs, event time and event id, as :func:`validate_frame` reads a spec."""

    inputs: Mapping[str, InputField]
    timestamp: str
    event_id: str


@dataclass(frozen=True)
class PredictionRules:
    """What a logged prediction of one workspace must hold."""

    task: str
    classes: tuple[str, ...]
    inputs: Mapping[str, InputField]
    event_id: str
    event_time: str
    entity: str
    probability_tolerance: float = PROBABILITY_TOLERANCE

    @classmethod
    def from_config(cls, config: WorkspaceConfig) -> PredictionRules:
        """The rules of the workspace ``config`` describes."""
        keys = config.keys
        return cls(
            task=config.model.task,
            classes=tuple(config.label.classes or ()),
            inputs=config.features.inputs,
            event_id=keys.event_id,
            event_time=keys.event_time,
            entity=keys.entity,
        )

    @property
    def spec(self) -> LoggedInputs:
        """The inputs as validation reads them, the event time among them."""
        from watchkeeper.config import InputField

        inputs = dict(self.inputs)
        if self.event_time not in inputs:
            inputs[self.event_time] = InputField(type="timestamp", required=True)
        return LoggedInputs(inputs, self.event_time, self.event_id)

    @property
    def known_columns(self) -> frozenset[str]:
        """Every column a logged prediction may carry."""
        task_columns = set(_TASK_COLUMNS[self.task])
        if self.task == "multiclass":
            task_columns |= {f"{PROBABILITY_PREFIX}{name}" for name in self.classes}
            task_columns.add("score")
        keys = {self.event_id, self.event_time, self.entity}
        return frozenset({*keys, *self.spec.inputs, MODEL_LABEL, LATENCY, *task_columns})


def check_predictions(
    frame: pl.DataFrame,
    rules: PredictionRules,
    model_versions: ModelVersions,
    model_label: str | None = None,
) -> CheckedRows:
    """Split ``frame`` into prediction-table rows and refused rows (see the module text).

    ``model_label`` stands for a missing ``model_label`` column. A column no rule knows,
    or a required column missing altogether, is a :class:`SchemaError` for the whole
    frame: it is a mapping problem, not a row problem. Repeated event ids within the frame
    are kept once when equal and refused (``conflicting_duplicate``) when they differ.
    """
    frame = _with_label_column(frame, model_label)
    _check_columns(frame, rules)
    indexed = frame.with_row_index(ROW)
    inputs = validate_frame(rules.spec, indexed, policy="quarantine")
    refused = [validation_refusals(inputs.rejected, rules.event_id)]
    candidates = indexed.join(inputs.valid.select(ROW), on=ROW, how="semi")
    canonical, checks = _canonical_task_columns(candidates, rules)
    checks = _key_checks(rules) + checks
    flagged = first_failure(canonical, checks)
    refused.append(refused_rows(flagged, _event_ids(flagged, rules.event_id)))
    kept = flagged.filter(pl.col("__code").is_null())
    typed_inputs = inputs.valid.drop(
        [name for name in (rules.event_id,) if name not in rules.spec.inputs], strict=False
    )
    rows, events = _prediction_rows(
        kept.select(
            ROW,
            rules.event_id,
            rules.entity,
            MODEL_LABEL,
            *_present(kept, LATENCY),
            *[name for name in kept.columns if name.startswith("__t_")],
        ),
        typed_inputs,
        rules,
        model_versions,
    )
    unique, repeated, conflicting = _within_batch(rows)
    refused.append(conflicting)
    events = events.join(unique.select(ROW), on=ROW, how="semi").drop(ROW)
    parts = [part.cast(empty_refusals().schema) for part in refused if part.height]
    all_refused = pl.concat(parts).sort(ROW) if parts else empty_refusals()
    return CheckedRows(
        accepted=unique.drop(ROW), refused=all_refused, repeated=repeated, events=events
    )


def _present(frame: pl.DataFrame, *names: str) -> list[str]:
    return [name for name in names if name in frame.columns]


def _with_label_column(frame: pl.DataFrame, model_label: str | None) -> pl.DataFrame:
    if MODEL_LABEL in frame.columns or model_label is None:
        return frame
    return frame.with_columns(pl.lit(model_label, dtype=pl.String).alias(MODEL_LABEL))


def _check_columns(frame: pl.DataFrame, rules: PredictionRules) -> None:
    unknown = [name for name in frame.columns if name not in rules.known_columns]
    if unknown:
        raise SchemaError(
            f"column(s) {', '.join(map(repr, unknown))} are neither inputs of this workspace "
            f"nor prediction columns of a {rules.task} model: drop them, or map them to "
            "known names (a column mapping)"
        )
    required = [rules.event_id, rules.event_time, rules.entity, MODEL_LABEL]
    if rules.task == "multiclass":
        per_class = all(f"{PROBABILITY_PREFIX}{name}" in frame.columns for name in rules.classes)
        if "probabilities" not in frame.columns and not per_class:
            raise SchemaError(
                "a multiclass prediction needs 'probabilities' (a JSON object class -> "
                f"probability) or one column per class ({PROBABILITY_PREFIX}<class>)"
            )
    else:
        required += list(_TASK_COLUMNS[rules.task])
    missing = [name for name in dict.fromkeys(required) if name not in frame.columns]
    if missing:
        hint = " (or give one model version label for all rows)" if MODEL_LABEL in missing else ""
        raise SchemaError(
            f"required column(s) {', '.join(map(repr, missing))} are missing from the "
            f"predictions of a {rules.task} model{hint}"
        )


def _key_checks(rules: PredictionRules) -> list[Check]:
    checks: list[Check] = []
    for name in dict.fromkeys((rules.event_id, rules.entity, MODEL_LABEL)):
        if name in rules.spec.inputs:
            continue  # checked with the inputs
        value = pl.col(name).cast(pl.String)
        missing = pl.when(value.is_null() | (value == "")).then(pl.lit(MISSING))
        checks.append(Check(name, "missing_field", missing))
    return checks


def _number_checks(name: str, value: pl.Expr, unparsable: pl.Expr) -> list[Check]:
    """A number column's checks: given but not a number (``wrong_type``), missing
    (``missing_field``), NaN or infinite (``not_finite``)."""
    return [
        Check(
            name,
            "wrong_type",
            pl.when(unparsable).then(pl.format("not a number (got '{}')", _shown(name))),
        ),
        Check(name, "missing_field", pl.when(value.is_null()).then(pl.lit(MISSING))),
        Check(
            name,
            "not_finite",
            pl.when(~value.is_finite()).then(
                pl.format("not a finite number (got {})", _shown(name))
            ),
        ),
    ]


def _shown(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).str.slice(0, 40)


def _number(frame: pl.DataFrame, name: str) -> tuple[pl.Expr, pl.Expr]:
    """The column as Float64, and a condition true where a given value is not a number."""
    dtype = frame.schema[name]
    if dtype.is_numeric():
        return pl.col(name).cast(pl.Float64), pl.lit(False)
    if dtype == pl.String:
        parsed = pl.col(name).str.strip_chars().cast(pl.Float64, strict=False)
        return parsed, pl.col(name).is_not_null() & parsed.is_null()
    if dtype == pl.Null:
        return pl.lit(None, dtype=pl.Float64), pl.lit(False)
    raise SchemaError(f"column {name!r} has type {dtype}; expected numbers")


def _canonical_task_columns(
    frame: pl.DataFrame, rules: PredictionRules
) -> tuple[pl.DataFrame, list[Check]]:
    """The task's columns in their stored types (``__t_<name>``), and their checks."""
    if rules.task == "multiclass":
        return _canonical_multiclass(frame, rules)
    if rules.task == "regression":
        value, unparsable = _number(frame, "prediction")
        canonical = frame.with_columns(value.alias("__t_prediction"))
        return canonical, _number_checks("prediction", pl.col("__t_prediction"), unparsable)
    score, unparsable = _number(frame, "score")
    decision = _as_boolean(frame, "decision")
    canonical = frame.with_columns(score.alias("__t_score"), decision.alias("__t_decision"))
    value = pl.col("__t_score")
    outside = pl.when((value < 0) | (value > 1)).then(
        pl.format("a score is a probability, in [0, 1] (got {})", _shown("score"))
    )
    return canonical, [
        *_number_checks("score", value, unparsable),
        Check("score", "out_of_range", outside),
        Check(
            "decision",
            "missing_field",
            pl.when(pl.col("decision").is_null()).then(pl.lit(MISSING)),
        ),
        Check(
            "decision",
            "wrong_type",
            pl.when(pl.col("__t_decision").is_null()).then(
                pl.format("expected true or false (got '{}')", _shown("decision"))
            ),
        ),
    ]


def _as_boolean(frame: pl.DataFrame, name: str) -> pl.Expr:
    """True/false, from booleans, 0/1 integers or the words true/false/1/0; else null."""
    dtype = frame.schema[name]
    if dtype == pl.Boolean:
        return pl.col(name)
    text = pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase()
    return (
        pl.when(text.is_in(["true", "1"]))
        .then(True)
        .when(text.is_in(["false", "0"]))
        .then(False)
        .otherwise(None)
    )


def _canonical_multiclass(
    frame: pl.DataFrame, rules: PredictionRules
) -> tuple[pl.DataFrame, list[Check]]:
    classes = list(rules.classes)
    columns = [f"__p_{i}" for i in range(len(classes))]
    source = "probabilities"
    unknown: list[str] = []
    if "probabilities" in frame.columns:
        decoded = _decoded_probabilities(frame["probabilities"])
        fields = (
            {field.name for field in decoded.dtype.fields}
            if isinstance(decoded.dtype, pl.Struct)
            else set()
        )
        unknown = sorted(fields - set(classes))
        values = [
            decoded.struct.field(name).cast(pl.Float64, strict=False).fill_null(0.0)
            if name in fields
            else pl.Series([0.0] * len(frame), dtype=pl.Float64)
            for name in classes
        ]
        parsed = (
            decoded.is_not_null() if fields else pl.Series([False] * len(frame), dtype=pl.Boolean)
        )
        frame = frame.with_columns(
            *[value.alias(column) for value, column in zip(values, columns, strict=True)],
            parsed.alias("__parsed"),
            _unknown_named(decoded, unknown).alias("__unknown"),
        )
    else:
        source = f"{PROBABILITY_PREFIX}{classes[0]}"
        frame = frame.with_columns(
            *[
                pl.col(f"{PROBABILITY_PREFIX}{name}").cast(pl.Float64, strict=False).alias(column)
                for name, column in zip(classes, columns, strict=True)
            ],
            pl.all_horizontal(
                [pl.col(f"{PROBABILITY_PREFIX}{name}").is_not_null() for name in classes]
            ).alias("__parsed"),
            pl.lit(None, dtype=pl.String).alias("__unknown"),
        )
    probabilities = [pl.col(column) for column in columns]
    total = pl.sum_horizontal(probabilities)
    best = pl.concat_list(probabilities).list.arg_max()
    most_probable = best.replace_strict(
        list(range(len(classes))), list(classes), return_dtype=pl.String
    )
    decision = (
        pl.coalesce(pl.col("decision").cast(pl.String), most_probable)
        if "decision" in frame.columns
        else most_probable
    )
    frame = frame.with_columns(decision.alias("__t_decision"))
    decided = pl.concat_list(probabilities).list.get(
        pl.col("__t_decision").replace_strict(
            classes, list(range(len(classes))), default=0, return_dtype=pl.Int64
        )
    )
    frame = frame.with_columns(
        decided.alias("__t_score"),
        pl.concat_list(probabilities).alias("__t_probabilities"),
    )
    tolerance = rules.probability_tolerance
    given = pl.col("probabilities").is_not_null() if source == "probabilities" else pl.lit(False)
    unread = ~pl.col("__parsed")
    checks: list[Check] = [
        Check(source, "missing_field", pl.when(unread & ~given).then(pl.lit(MISSING))),
        Check(
            source,
            "wrong_type",
            pl.when(unread).then(pl.lit("not a JSON object of class probabilities")),
        ),
        Check(
            source,
            "unknown_class",
            pl.when(pl.col("__unknown").is_not_null()).then(
                pl.format(
                    f"names a class not among {', '.join(classes)}: {{}}", pl.col("__unknown")
                )
            ),
        ),
        Check(
            source,
            "not_finite",
            pl.when(pl.any_horizontal([~p.is_finite() for p in probabilities])).then(
                pl.lit("a class probability is not a finite number")
            ),
        ),
        Check(
            source,
            "out_of_range",
            pl.when(pl.any_horizontal([(p < 0) | (p > 1) for p in probabilities])).then(
                pl.lit("a class probability lies outside [0, 1]")
            ),
        ),
        Check(
            source,
            "bad_probabilities",
            pl.when((total - 1).abs() > tolerance).then(
                pl.format(
                    f"class probabilities sum to {{}}, not 1 (within {tolerance})",
                    total.round(6).cast(pl.String),
                )
            ),
        ),
    ]
    if "decision" in frame.columns:
        decision_check = pl.when(~pl.col("__t_decision").is_in(classes)).then(
            pl.format(
                f"not one of the classes {', '.join(classes)} (got '{{}}')",
                _shown("decision"),
            )
        )
        checks.append(Check("decision", "unknown_class", decision_check))
    return frame, checks


def _decoded_probabilities(text: pl.Series) -> pl.Series:
    if isinstance(text.dtype, pl.Struct):
        return text
    if text.dtype != pl.String:
        raise SchemaError(f"column 'probabilities' has type {text.dtype}; expected JSON objects")
    if text.null_count() == len(text):
        return text
    try:
        return text.str.json_decode(infer_schema_length=None)
    except pl.exceptions.ComputeError:
        # some rows are not JSON: decode row by row, those become null
        return pl.Series([_json_object_or_none(value) for value in text.to_list()], strict=False)


def _json_object_or_none(value: str | None) -> dict[str, object] | None:
    import json

    if value is None:
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _unknown_named(decoded: pl.Series, unknown: list[str]) -> pl.Series:
    """Per row, the unknown class names it gives a value for (null when none)."""
    if not unknown:
        return pl.Series([None] * len(decoded), dtype=pl.String)
    named = pl.DataFrame(
        {name: decoded.struct.field(name).is_not_null() for name in unknown}
    ).select(
        pl.concat_str(
            [pl.when(pl.col(name)).then(pl.lit(name)) for name in unknown],
            separator=", ",
            ignore_nulls=True,
        )
    )
    return named.to_series().replace("", None)


def _event_ids(frame: pl.DataFrame, event_id: str) -> pl.Expr:
    if event_id in frame.columns:
        return pl.col(event_id).cast(pl.String).alias("event_id")
    return pl.lit(None, dtype=pl.String).alias("event_id")


def _prediction_rows(
    kept: pl.DataFrame,
    typed_inputs: pl.DataFrame,
    rules: PredictionRules,
    model_versions: ModelVersions,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows of the ``predictions`` table and of the raw-event table (the inputs, typed),
    each with ``row`` kept for the duplicate checks."""
    inputs = kept.select(ROW).join(typed_inputs, on=ROW, how="left")
    events = inputs.with_columns(
        kept[rules.event_id].cast(pl.String).alias(rules.event_id),
        kept[rules.entity].cast(pl.String).alias(rules.entity),
    )
    labels = kept[MODEL_LABEL].cast(pl.String)
    times = (
        inputs[rules.event_time] if rules.event_time in inputs.columns else kept[rules.event_time]
    )
    # a label new to the workspace gets the next version number in order of its first event
    first_seen = (
        pl.DataFrame({"label": labels, "ts": times}).group_by("label").agg(pl.col("ts").min())
    )
    versions = {label: model_versions(label) for label in first_seen.sort("ts", "label")["label"]}
    task_columns: list[pl.Series] = []
    if rules.task == "binary":
        task_columns = [kept["__t_score"].alias("score"), kept["__t_decision"].alias("decision")]
    elif rules.task == "regression":
        task_columns = [kept["__t_prediction"].alias("prediction")]
    else:
        probabilities = kept.select(
            pl.struct(
                [
                    pl.col("__t_probabilities").list.get(i).alias(name)
                    for i, name in enumerate(rules.classes)
                ]
            ).struct.json_encode()
        ).to_series()
        task_columns = [
            probabilities.alias("probabilities"),
            kept["__t_score"].alias("score"),
            kept["__t_decision"].alias("decision"),
        ]
    latency = (
        kept[LATENCY].cast(pl.Float64, strict=False)
        if LATENCY in kept.columns
        else pl.Series([None] * kept.height, dtype=pl.Float64)
    )
    rows = pl.DataFrame(
        [
            kept[ROW],
            kept[rules.event_id].cast(pl.String).alias("event_id"),
            times.cast(TIMESTAMP_TYPE).alias("ts"),
            kept[rules.entity].cast(pl.String).alias("entity"),
            labels.replace_strict(versions, return_dtype=pl.Int64).alias("model_version"),
            pl.repeat(ROUTE, kept.height, dtype=pl.String, eager=True).alias("route"),
            *task_columns,
            latency.alias("latency_ms"),
            # the inputs are in the raw-event table, typed; the features the team's model
            # computed are its own: none were served here
            pl.repeat("{}", kept.height, dtype=pl.String, eager=True).alias("raw_input"),
            pl.repeat("{}", kept.height, dtype=pl.String, eager=True).alias("features"),
            labels.alias("model_label"),
        ]
    )
    return rows, events


def _within_batch(rows: pl.DataFrame) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """Rows kept once per event id, how many equal repeats were dropped, and refusals of
    repeats whose content differs (naming the first column that differs)."""
    compared = [name for name in rows.columns if name not in (ROW, "latency_ms")]
    first = rows.unique(subset=["event_id"], keep="first", maintain_order=True)
    if first.height == rows.height:
        return rows, 0, empty_refusals()
    later = rows.join(first.select(ROW), on=ROW, how="anti")
    paired = later.join(first, on="event_id", how="left", suffix="__first")
    differs = [
        (name, ~pl.col(name).eq_missing(pl.col(f"{name}__first")))
        for name in compared
        if name != "event_id"
    ]
    paired = paired.with_columns(
        pl.coalesce([pl.when(hit).then(pl.lit(name)) for name, hit in differs]).alias("__differs")
    )
    conflicting = paired.filter(pl.col("__differs").is_not_null()).select(
        ROW,
        "event_id",
        pl.col("__differs").alias("field"),
        pl.lit("conflicting_duplicate").alias("reason"),
        pl.format("event id repeated with a different {}", pl.col("__differs")).alias("detail"),
    )
    repeated = paired.height - conflicting.height
    return first, repeated, conflicting


__all__ = [
    "MODEL_LABEL",
    "PROBABILITY_TOLERANCE",
    "ROUTE",
    "ModelVersions",
    "PredictionRules",
    "check_predictions",
]
