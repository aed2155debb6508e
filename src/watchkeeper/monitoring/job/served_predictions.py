"""The logged predictions of a window, decoded for monitoring in one vectorised pass.

The prediction log keeps what the model saw as JSON text (``features``) and what arrived
(``raw_input``). Monitoring decodes the features with Polars ``str.json_decode`` and the
model version's known schema (no inference, no Python loop over rows), and takes the
transaction amount from the raw input with a JSON path.

>>> frame = pl.DataFrame({"score": [0.2], "decision": [False],
...     "features": ['{"amount_z": 1.5, "country": "DE"}'], "raw_input": ['{"amount": 12.5}']})
>>> served = decode_served(frame, {"amount_z": "Float64", "country": "String"})
>>> served.decisions.row(0), served.profiled.row(0)
((0.2, False, 12.5), (1.5, 'DE', 0.2))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.job.windows import Window

SCORE_COLUMN = "score"
"""The name of the score in a reference profile and in window profiles."""

AMOUNT_FIELD = "amount"
"""The transaction amount's key in the logged raw input."""

PREDICTION_COLUMNS = (
    "event_id",
    "ts",
    "model_version",
    "score",
    "decision",
    "raw_input",
    "features",
)
"""The prediction-log columns monitoring reads."""


def polars_dtype(name: str) -> pl.DataType:
    """The Polars data type named by a manifest's feature schema (``Float64``, ``String``...).

    >>> polars_dtype("Int64"), polars_dtype("Utf8")
    (Int64, String)
    """
    base = name.split("(", 1)[0].strip()
    found = getattr(pl, base, None)
    if found is None or not (isinstance(found, type) and issubclass(found, pl.DataType)):
        raise SchemaError(f"feature type {name!r} is not a Polars data type")
    if base in ("Categorical", "Enum", "Utf8"):
        return pl.String()
    return found()


@dataclass(frozen=True)
class ServedWindow:
    """A window's decoded predictions: what was decided, and what the model saw.

    ``decisions`` has ``score``, ``decision`` and the transaction ``amount``; ``profiled``
    the served features and the score, the columns a window profile holds. Two frames,
    because a feature may well be called ``amount`` too.
    """

    decisions: pl.DataFrame
    profiled: pl.DataFrame


def decode_served(frame: pl.DataFrame, feature_types: Mapping[str, str]) -> ServedWindow:
    """Decode the logged JSON of ``frame``; features keep the given order, then the score.

    A feature missing from an event's JSON becomes null (counted as missing by the profile).
    """
    decisions = frame.select(
        pl.col("score").cast(pl.Float64),
        pl.col("decision").cast(pl.Boolean),
        pl.col("raw_input")
        .str.json_path_match(f"$.{AMOUNT_FIELD}")
        .cast(pl.Float64, strict=False)
        .alias("amount"),
    )
    profiled = decode_features(frame, feature_types).with_columns(
        frame["score"].cast(pl.Float64).alias(SCORE_COLUMN)
    )
    return ServedWindow(decisions, profiled)


def decode_features(frame: pl.DataFrame, feature_types: Mapping[str, str]) -> pl.DataFrame:
    """The served features of ``frame``'s ``features`` JSON, typed by ``feature_types`` and
    in its order (a feature missing from an event's JSON is null), one row per prediction.

    >>> decode_features(pl.DataFrame({"features": ['{"x": 2}', '{}']}), {"x": "Float64"}).rows()
    [(2.0,), (None,)]
    """
    schema = pl.Struct({name: polars_dtype(dtype) for name, dtype in feature_types.items()})
    return frame.select(pl.col("features").str.json_decode(schema).alias("_features")).unnest(
        "_features"
    )


PREDICTION_TYPES: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "ts": pl.Datetime("us", "UTC"),
    "model_version": pl.Int64(),
    "score": pl.Float64(),
    "decision": pl.Boolean(),
    "raw_input": pl.String(),
    "features": pl.String(),
}
"""The types of :data:`PREDICTION_COLUMNS` in the prediction log."""


def empty_predictions() -> pl.DataFrame:
    """No predictions, with the columns and types monitoring reads.

    >>> empty_predictions().columns == list(PREDICTION_COLUMNS)
    True
    """
    return pl.DataFrame(schema={name: PREDICTION_TYPES[name] for name in PREDICTION_COLUMNS})


def rows_within(frame: pl.DataFrame, window: Window) -> pl.DataFrame:
    """The rows of ``frame`` (sorted by ``ts``) within ``window``, in one contiguous chunk.

    A float sum depends on the chunks it runs over, so a window cut from a larger read is
    made contiguous: its money adds up to the same last bit however the rows were read.

    >>> from datetime import UTC, datetime
    >>> frame = pl.DataFrame({"ts": [datetime(2026, 6, 1, hour, tzinfo=UTC) for hour in (1, 5, 9)]})
    >>> rows_within(frame, Window(datetime(2026, 6, 1, 2, tzinfo=UTC), datetime(2026, 6, 1, 9, tzinfo=UTC))).height
    1
    """
    times = frame["ts"]
    low = int(times.search_sorted(window.start, side="left"))
    high = int(times.search_sorted(window.end, side="left"))
    return frame.slice(low, high - low).rechunk()


def rule_decisions(raw_input: pl.Series, rule: str) -> pl.Series:
    """A rule baseline's decisions (True = flagged) on the logged raw inputs.

    ``rule`` is a Polars SQL predicate over the raw input's fields
    (``monitoring.business.baseline_rule``); a null result is not flagged.

    >>> raw = pl.Series(["{\\"amount\\": 900.0}", "{\\"amount\\": 20.0}"])
    >>> rule_decisions(raw, "amount > 500").to_list()
    [True, False]
    """
    if raw_input.len() == 0:
        return pl.Series("baseline_decision", [], dtype=pl.Boolean)
    fields = raw_input.str.json_decode(infer_schema_length=None).struct.unnest()
    try:
        flagged = fields.select(pl.sql_expr(rule).cast(pl.Boolean).fill_null(False))
    except (pl.exceptions.PolarsError, ValueError) as error:
        raise SchemaError(
            f"monitoring.business.baseline_rule {rule!r} cannot be evaluated on the logged "
            f"raw input ({type(error).__name__}: {str(error).splitlines()[0]})"
        ) from None
    return flagged.to_series().alias("baseline_decision")


__all__ = [
    "AMOUNT_FIELD",
    "PREDICTION_COLUMNS",
    "PREDICTION_TYPES",
    "SCORE_COLUMN",
    "ServedWindow",
    "decode_features",
    "decode_served",
    "empty_predictions",
    "polars_dtype",
    "rows_within",
    "rule_decisions",
]
