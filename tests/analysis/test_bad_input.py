"""Bad input to a Reference is one line naming the column and the rule: never a traceback
from deep inside, never a silent verdict of ok."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from watchkeeper.analysis import Reference
from watchkeeper.analysis import task_columns as task_columns_module
from watchkeeper.errors import WatchkeeperError
from watchkeeper.monitoring.comparison import file_comparison
from watchkeeper.monitoring.profiles import profile_builder


def binary(rows: int = 2_000, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    score = 1 / (1 + np.exp(-x))
    return pl.DataFrame(
        {
            "ts": [f"2026-01-{1 + row * 28 // rows:02d}T00:00:00" for row in range(rows)],
            "x": x,
            "level": rng.choice(["a", "b"], rows),
            "score": score,
            "prediction": (score > 0.5).astype(np.int64),
            "target": (rng.random(rows) < score).astype(np.int64),
        }
    )


REFERENCE = binary()
CURRENT = binary(1_000, 1)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (lambda: Reference(REFERENCE).drift(CURRENT.with_columns(extra=pl.lit(1.0))),
         "the frames' columns differ (only in the current data: extra)"),
        (lambda: Reference(REFERENCE).drift(CURRENT.drop("level")),
         "the frames' columns differ (only in the reference: level)"),
        (lambda: Reference(REFERENCE).drift(CURRENT.with_columns(x=pl.lit("a"))),
         "current: column 'x' is large_string, but numeric in the reference"),
        (lambda: Reference(REFERENCE).drift(CURRENT, chunk=60),
         "chunk 0 (rows 0 to 60) has 60 rows: a chunk needs at least 100"),
        (lambda: Reference(REFERENCE, min_chunk_rows=400).drift(CURRENT, chunk={"number": 4}),
         "chunk 0 (rows 0 to 250) has 250 rows: a chunk needs at least 400 "
         "(min_chunk_rows= (--min-chunk-rows))"),
        (lambda: Reference(REFERENCE).drift(CURRENT, chunk={"size": 0}),
         "chunk['size'] (--chunk-size): must be at least 1 (got 0)"),
        (lambda: Reference(REFERENCE.with_columns(x=pl.lit(None, pl.Float64))),
         "reference: column 'x' has no values (all 2,000 rows are null or not finite)"),
        (lambda: Reference(REFERENCE.with_columns(x=pl.lit(float("nan")))),
         "reference: column 'x' has no values"),
        (lambda: Reference(REFERENCE).drift(CURRENT.with_columns(level=pl.lit(None, pl.String))),
         "current: column 'level' has no values (all 1,000 rows are null or not finite)"),
        (lambda: Reference(REFERENCE).drift(CURRENT.with_columns(ts=pl.lit("soon")), chunk="1w"),
         "column 'ts': cannot read 'soon' as a timestamp (the rule: ISO 8601 text"),
        (lambda: Reference(REFERENCE.with_columns(ts=pl.lit("soon"))).performance(CURRENT, chunk="1w"),
         "reference: column 'ts': cannot read 'soon' as a timestamp"),
        (lambda: Reference(REFERENCE.drop("ts")).drift(CURRENT, chunk="1d"),
         "chunks by period: the reference has no timestamp column: give timestamp="),
        (lambda: Reference(REFERENCE).performance(CURRENT.drop("target")),
         "current: has no target column 'target'"),
        (lambda: Reference(REFERENCE).performance(CURRENT.with_columns(target=pl.lit(None, pl.Int64))),
         "current: column 'target' has no values: realized performance needs targets"),
        (lambda: Reference(REFERENCE).performance(CURRENT.with_columns(target=pl.lit(2))),
         "current: column 'target', row 0: 2 (the rule: 0/1 or true/false, null while unknown)"),
        (lambda: Reference(REFERENCE).estimate(CURRENT.with_columns(score=pl.lit(None, pl.Float64))),
         "current: column 'score', row 0: None (the rule: a binary score is a finite number"),
        (lambda: Reference(REFERENCE).performance(CURRENT, chunk=2_000),
         "reference: 2,000 rows make 1 chunk"),
        (lambda: Reference(REFERENCE.drop("target")).estimate(CURRENT),
         "estimate: the reference has no target column"),
        (lambda: Reference(REFERENCE.drop("score", "prediction")).performance(CURRENT),
         "performance: the reference has no model outputs"),
        (lambda: Reference(REFERENCE, task="binary", score="x", prediction="nope"),
         "prediction= (--prediction-column) 'nope': not a column of the reference"),
        (lambda: Reference(REFERENCE, task="ranking"), "task 'ranking': give one of binary"),
        (lambda: Reference(REFERENCE, exclude=["nope"]),
         "exclude= (--exclude) 'nope': not a column of the reference"),
        (lambda: Reference(REFERENCE).drift(CURRENT, chunk="soon"), "chunk period: 'soon'"),
        (lambda: Reference(REFERENCE).drift(CURRENT, chunk={"rows": 5}), "chunk: unknown key 'rows'"),
        (lambda: Reference(REFERENCE).drift([1, 2]),
         "current: expected a pandas, Polars or Arrow table, got list"),
        (lambda: Reference(REFERENCE.head(0)), "reference: has no rows"),
        (lambda: Reference(pl.DataFrame({"prediction": [str(i) for i in range(1_500)], "x": np.arange(1_500.0)})),
         "column 'prediction': 1,500 classes, more than 1,000"),
        (lambda: Reference(pl.DataFrame({"prediction": np.arange(200), "x": np.arange(200.0)})),
         "column 'prediction' (int64): cannot tell the task from it"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_column_and_the_rule(
    case: Callable[[], object], message: str
) -> None:
    with pytest.raises(WatchkeeperError) as raised:
        case()
    text = str(raised.value)
    assert message in text and "\n" not in text


def test_a_categorical_with_more_values_than_tracked_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(profile_builder, "VOCABULARY_LIMIT", 30)
    monkeypatch.setattr(file_comparison, "VOCABULARY_LIMIT", 30)
    rng = np.random.default_rng(1)
    many = pl.DataFrame({"level": rng.choice([f"v{i}" for i in range(40)], 4_000)})
    result = Reference(many).drift(many)
    assert json.loads(result.to_json())["notes"] == {
        "level": "more than 30 distinct values in the reference: the top 20 are compared one by "
        "one, the rest together as 'other'; new values are not counted apart"
    }


def test_a_multiclass_target_with_too_many_classes_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(task_columns_module, "MAX_CLASSES", 5)
    frame = pl.DataFrame({"prediction": [f"c{i % 6}" for i in range(600)], "x": np.arange(600.0)})
    with pytest.raises(WatchkeeperError, match="column 'prediction': 6 classes, more than 5"):
        Reference(frame)


def test_class_probabilities_as_json_text_are_read_and_checked() -> None:
    rng = np.random.default_rng(2)
    share = rng.random(1_000)
    frame = pl.DataFrame(
        {
            "x": rng.normal(size=1_000),
            "probabilities": [json.dumps({"a": p, "b": 1 - p}) for p in share],
            "prediction": np.where(share > 0.5, "a", "b"),
            "target": np.where(rng.random(1_000) < share, "a", "b"),
        }
    )
    reference = Reference(frame)
    assert reference.columns.classes == ("a", "b")
    assert reference.estimate(frame, chunk=500).verdict in ("ok", "alert")
    broken = frame.with_columns(probabilities=pl.lit(json.dumps({"a": 0.9, "b": 0.9})))
    with pytest.raises(WatchkeeperError, match="column 'probabilities', row 0: probabilities"):
        reference.estimate(broken)
