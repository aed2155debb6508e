"""Checking logged outcomes of any task, whole frames at a time.

An outcome is the truth about an event, known later: ``event_id``, ``outcome`` and
``outcome_ts`` (when it happened), optionally ``amount`` (money at stake) and
``received_at`` (when it became known; a historical file's outcomes are taken as known
when they happened, unless it says otherwise). Per task, the outcome is

* binary: one of the label's values (the positive outcome or a negative one);
* multiclass: one of the classes;
* regression: a finite number.

>>> from datetime import UTC, datetime
>>> rules = OutcomeRules(task="multiclass", values=("billing", "technical"))
>>> frame = pl.DataFrame({"event_id": ["a", "b"], "outcome": ["billing", "legal"],
...     "outcome_ts": [datetime(2026, 1, 9, tzinfo=UTC)] * 2})
>>> checked = check_outcomes(frame, rules)
>>> checked.accepted["event_id"].to_list(), checked.refused.select("field", "reason").rows()
(['a'], [('outcome', 'unknown_class')])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from watchkeeper.config.features import InputField
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
from watchkeeper.intake.prediction_checks import LoggedInputs

if TYPE_CHECKING:
    from watchkeeper.config import WorkspaceConfig

_COLUMNS = ("event_id", "outcome", "outcome_ts", "amount", "received_at")
_TIMES = LoggedInputs(
    inputs={
        "outcome_ts": InputField(type="timestamp", required=True),
        "received_at": InputField(type="timestamp"),
        "amount": InputField(type="float", min=0),
    },
    timestamp="outcome_ts",
    event_id="event_id",
)


@dataclass(frozen=True)
class OutcomeRules:
    """What a logged outcome of one workspace must hold: ``values`` are the accepted
    outcome values (binary, multiclass); a regression outcome is any finite number."""

    task: str
    values: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: WorkspaceConfig) -> OutcomeRules:
        """The rules of the workspace ``config`` describes."""
        task = config.model.task
        if task == "multiclass":
            return cls(task, tuple(config.label.classes or ()))
        if task == "binary":
            return cls(task, config.label.outcome_values)
        return cls(task)


def check_outcomes(frame: pl.DataFrame, rules: OutcomeRules) -> CheckedRows:
    """Split ``frame`` into ``outcomes`` rows and refused rows; equal repeats count once.

    A column outside :data:`_COLUMNS` or a missing ``event_id``, ``outcome`` or
    ``outcome_ts`` is a :class:`SchemaError` for the whole frame.
    """
    unknown = [name for name in frame.columns if name not in _COLUMNS]
    if unknown:
        raise SchemaError(
            f"column(s) {', '.join(map(repr, unknown))} are not outcome columns "
            f"({', '.join(_COLUMNS)}): drop them, or map them (a column mapping)"
        )
    missing = [name for name in _COLUMNS[:3] if name not in frame.columns]
    if missing:
        raise SchemaError(f"required outcome column(s) {', '.join(map(repr, missing))} are missing")
    indexed = frame.with_row_index(ROW)
    times = validate_frame(_TIMES, indexed, policy="quarantine")
    refused = [validation_refusals(times.rejected, "event_id")]
    work = indexed.select(ROW, "event_id", "outcome").join(times.valid, on=ROW, how="inner")
    outcome, checks = _outcome_checks(work, rules)
    event_id = pl.col("event_id").cast(pl.String)
    missing_id = pl.when(event_id.is_null() | (event_id == "")).then(pl.lit(MISSING))
    work = first_failure(
        work.with_columns(outcome.alias("__outcome")),
        [Check("event_id", "missing_field", missing_id), *checks],
    )
    refused.append(refused_rows(work, event_id))
    bad = work["__code"].is_not_null()
    kept = work.filter(~bad)
    rows = kept.select(
        ROW,
        event_id.alias("event_id"),
        pl.col("__outcome").alias("outcome"),
        pl.col("outcome_ts").cast(TIMESTAMP_TYPE),
        pl.col("amount").cast(pl.Float64),
        pl.coalesce("received_at", "outcome_ts").cast(TIMESTAMP_TYPE).alias("received_at"),
    )
    unique = rows.unique(
        subset=["event_id", "outcome", "outcome_ts"], keep="first", maintain_order=True
    )
    parts = [part.cast(empty_refusals().schema) for part in refused if part.height]
    return CheckedRows(
        accepted=unique.drop(ROW),
        refused=pl.concat(parts).sort(ROW) if parts else empty_refusals(),
        repeated=rows.height - unique.height,
    )


def _outcome_checks(frame: pl.DataFrame, rules: OutcomeRules) -> tuple[pl.Expr, list[Check]]:
    """The outcome in its stored type, and the checks of its value: missing
    (``missing_field``); regression: not a number (``wrong_type``), NaN or infinite
    (``not_finite``); binary: not one of the label's values (``not_allowed``); multiclass:
    not one of the classes (``unknown_class``)."""
    shown = pl.col("outcome").cast(pl.String).str.slice(0, 40)
    missing = pl.col("outcome").is_null()
    checks = [Check("outcome", "missing_field", pl.when(missing).then(pl.lit(MISSING)))]
    if rules.task == "regression":
        dtype = frame.schema["outcome"]
        if dtype.is_numeric():
            value = pl.col("outcome").cast(pl.Float64)
            unparsable = pl.lit(False)
        elif dtype == pl.String:
            value = pl.col("outcome").str.strip_chars().cast(pl.Float64, strict=False)
            unparsable = ~missing & value.is_null()
        else:
            raise SchemaError(
                f"column 'outcome' has type {dtype}; a regression outcome is a number"
            )
        not_number = pl.when(unparsable).then(pl.format("not a number (got '{}')", shown))
        infinite = pl.when(~value.is_finite()).then(
            pl.format("not a finite number (got {})", shown)
        )
        checks += [
            Check("outcome", "wrong_type", not_number),
            Check("outcome", "not_finite", infinite),
        ]
        return value, checks
    text = pl.col("outcome").cast(pl.String)
    code = "unknown_class" if rules.task == "multiclass" else "not_allowed"
    unknown = pl.when(~text.is_in(list(rules.values))).then(
        pl.format(f"not among the allowed values {', '.join(rules.values)} (got '{{}}')", shown)
    )
    return text, [*checks, Check("outcome", code, unknown)]


__all__ = ["OutcomeRules", "check_outcomes"]
