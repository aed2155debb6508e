"""Realized performance per chunk equals scikit-learn's, and the reference's chunk-to-chunk
band (mean ± 3 standard deviations) decides the verdict."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn import metrics
from tests.analysis.conftest import CLASSES, multiclass_frame

from watchkeeper.analysis import Reference

CHUNK = 1_000


def binary(rows: int, seed: int, shift: float = 0.0, noise: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, rows)
    score = 1 / (1 + np.exp(-2 * x))
    truth = rng.random(rows) < score
    flipped = rng.random(rows) < noise  # a concept drift: labels no longer follow the score
    return pl.DataFrame(
        {
            "x": x,
            "y_score": score,
            "y_pred": score > 0.5,
            "label": np.where(flipped, ~truth, truth).astype(np.int64),
        }
    )


def regression(rows: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, rows)
    predicted = 10 + 2 * x
    return pl.DataFrame(
        {"x": x, "prediction": predicted, "actual": predicted + rng.normal(0, 1 + np.abs(x))}
    )


def value(result_table: pl.DataFrame, chunk: int, method: str) -> float:
    return float(result_table.filter(chunk=chunk, method=method)["value"][0])


def test_binary_metrics_equal_sklearn_per_chunk_on_the_known_labels() -> None:
    current = binary(3 * CHUNK, 2).with_columns(
        label=pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("label"))
    )
    table = Reference(binary(5 * CHUNK, 1)).performance(current, chunk=CHUNK).to_polars()
    assert table["method"].unique(maintain_order=True).to_list() == [
        "precision", "recall", "f1", "roc_auc", "pr_auc",
    ]  # fmt: skip
    for chunk in range(3):
        part = current[chunk * CHUNK : (chunk + 1) * CHUNK].drop_nulls("label")
        truth, decided, score = part["label"], part["y_pred"], part["y_score"]
        assert value(table, chunk, "precision") == pytest.approx(
            metrics.precision_score(truth, decided)
        )
        assert value(table, chunk, "recall") == pytest.approx(metrics.recall_score(truth, decided))
        assert value(table, chunk, "f1") == pytest.approx(metrics.f1_score(truth, decided))
        assert value(table, chunk, "roc_auc") == pytest.approx(metrics.roc_auc_score(truth, score))
        assert value(table, chunk, "pr_auc") == pytest.approx(
            metrics.average_precision_score(truth, score)
        )
        interval = table.filter(chunk=chunk, method="f1").row(0, named=True)
        assert interval["confidence_low"] < interval["value"] < interval["confidence_high"]


def test_multiclass_metrics_equal_sklearn_per_chunk() -> None:
    current = multiclass_frame(2 * CHUNK, 4)
    table = Reference(multiclass_frame(6 * CHUNK, 3)).performance(current, chunk=CHUNK).to_polars()
    for chunk in range(2):
        part = current[chunk * CHUNK : (chunk + 1) * CHUNK]
        truth, decided = part["target"].to_list(), part["prediction"].to_list()
        matrix = part["probabilities"].struct.unnest().select(CLASSES).to_numpy()
        assert value(table, chunk, "accuracy") == pytest.approx(
            metrics.accuracy_score(truth, decided)
        )
        assert value(table, chunk, "macro_f1") == pytest.approx(
            metrics.f1_score(truth, decided, average="macro")
        )
        assert value(table, chunk, "weighted_f1") == pytest.approx(
            metrics.f1_score(truth, decided, average="weighted")
        )
        assert value(table, chunk, "roc_auc") == pytest.approx(
            metrics.roc_auc_score(truth, matrix, multi_class="ovr", labels=list(CLASSES))
        )


def test_regression_metrics_equal_sklearn_per_chunk() -> None:
    current = regression(2 * CHUNK, 6)
    reference = Reference(regression(5 * CHUNK, 5), target="actual")
    assert reference.task == "regression"
    table = reference.performance(current, chunk=CHUNK).to_polars()
    for chunk in range(2):
        part = current[chunk * CHUNK : (chunk + 1) * CHUNK]
        truth, predicted = part["actual"].to_numpy(), part["prediction"].to_numpy()
        assert value(table, chunk, "mae") == pytest.approx(
            metrics.mean_absolute_error(truth, predicted)
        )
        assert value(table, chunk, "rmse") == pytest.approx(
            metrics.root_mean_squared_error(truth, predicted)
        )
        assert value(table, chunk, "mape") == pytest.approx(
            metrics.mean_absolute_percentage_error(truth, predicted)
        )
        assert value(table, chunk, "r2") == pytest.approx(metrics.r2_score(truth, predicted))
        assert value(table, chunk, "bias") == pytest.approx(float(np.mean(predicted - truth)))


def test_the_band_is_the_reference_chunks_mean_plus_minus_three_deviations() -> None:
    reference_frame = binary(6 * CHUNK, 7)
    reference = Reference(reference_frame)
    healthy, broken = binary(CHUNK, 8), binary(CHUNK, 9, noise=0.3)
    result = reference.performance(pl.concat([healthy, broken]), chunk=CHUNK)
    table = result.to_polars()
    values = [
        metrics.f1_score(part["label"], part["y_pred"])
        for part in reference_frame.iter_slices(CHUNK)
    ]
    mean, spread = float(np.mean(values)), 3 * float(np.std(values, ddof=1))
    f1 = table.filter(method="f1")
    assert f1["lower_threshold"].to_list() == pytest.approx([mean - spread] * 2)
    assert f1["threshold"].to_list() == pytest.approx([mean + spread] * 2)
    assert f1["verdict"].to_list() == ["ok", "alert"] and result.verdict == "alert"
    assert result.to_dict()["reference_chunks"] == 6
    by_number = reference.performance(pl.concat([healthy, broken]), chunk={"number": 2})
    assert by_number.to_dict()["reference_chunks"] == 6  # cut at the current's chunk size


def test_a_chunk_without_positives_has_no_data_not_ok() -> None:
    current = binary(CHUNK, 10).with_columns(label=pl.lit(0, pl.Int64))
    table = Reference(binary(4 * CHUNK, 11)).performance(current, chunk=CHUNK).to_polars()
    recall = table.filter(method="recall").row(0, named=True)
    assert recall["value"] is None and recall["verdict"] == "no_data"


def test_nan_targets_are_unknown_like_nulls() -> None:
    reference = Reference(binary(4 * CHUNK, 12))
    current = binary(CHUNK, 13).with_columns(pl.col("label").cast(pl.Float64))
    pending = pl.int_range(pl.len()) % 4 == 0
    with_nulls = current.with_columns(label=pl.when(pending).then(None).otherwise(pl.col("label")))
    with_nan = current.with_columns(
        label=pl.when(pending).then(float("nan")).otherwise(pl.col("label"))
    )
    assert reference.performance(with_nulls).to_json() == reference.performance(with_nan).to_json()
