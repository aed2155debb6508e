"""Per-task window rows and an external version's reference, on small hand-made windows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error

from watchkeeper.config import (
    BusinessValueConfig,
    InputField,
    KeysConfig,
    LabelConfig,
    MonitoringConfig,
)
from watchkeeper.monitoring.job.external_monitor import task_metric_names
from watchkeeper.monitoring.job.external_reference import (
    build_external_reference,
    input_kinds,
    profile_kinds,
    profiled_frame,
)
from watchkeeper.monitoring.job.task_window_rows import (
    estimated_task_rows,
    prediction_drift_rows,
    realized_task_rows,
)
from watchkeeper.monitoring.job.version_comparison import compare_versions
from watchkeeper.monitoring.job.window_metrics import WindowKey
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.profile_builder import ProfileBuilder
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.storage.metadata.records import MetricRow

KEY = WindowKey("m", 1, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
CLASSES = ["a", "b", "c"]


def values(rows: list[MetricRow]) -> dict[str, float | None]:
    return {row.metric: row.value for row in rows}


def probabilities(rows: list[list[float]]) -> list[str]:
    return [json.dumps(dict(zip(CLASSES, row, strict=True))) for row in rows]


def test_multiclass_realized_rows_match_scikit_learn_and_the_cost_matrix() -> None:
    truth = ["a", "b", "c", "a", None, "b"]
    decided = ["a", "c", "c", "b", "a", "b"]
    frame = pl.DataFrame(
        {
            "label": truth,
            "decision": decided,
            "probabilities": probabilities([[0.6, 0.2, 0.2]] * 6),
        }
    )
    business = BusinessValueConfig(cost_matrix={"a": {"b": 5.0}, "b": {"c": 2.0}})
    rows = realized_task_rows(
        "multiclass", KEY, frame, mature=True, label=LabelConfig(classes=CLASSES),
        business=business,
    )  # fmt: skip
    got = values(rows)
    known = [(t, d) for t, d in zip(truth, decided, strict=True) if t is not None]
    actual, predicted = [t for t, _ in known], [d for _, d in known]
    assert got["accuracy"] == pytest.approx(accuracy_score(actual, predicted))
    assert got["macro_f1"] == pytest.approx(f1_score(actual, predicted, average="macro"))
    assert got["weighted_f1"] == pytest.approx(f1_score(actual, predicted, average="weighted"))
    assert got["cost"] == 7.0 and got["cost_per_event"] == pytest.approx(7.0 / 5)
    assert got["labelled_events"] == 5 and got["scored_events"] == 6
    assert {row.status for row in rows} == {"ok"}


def test_binary_realized_rows_and_an_immature_window() -> None:
    frame = pl.DataFrame(
        {
            "score": [0.9, 0.8, 0.3, 0.2, 0.7],
            "decision": [True, True, False, False, True],
            "label": [1, 0, 1, 0, None],
        }
    )
    business = BusinessValueConfig(
        cost_matrix={"positive": {"negative": 60.0}, "negative": {"positive": 10.0}}
    )
    rows = realized_task_rows(
        "binary", KEY, frame, mature=False, label=LabelConfig(), business=business
    )
    got = values(rows)
    assert got["f1"] == pytest.approx(f1_score([1, 0, 1, 0], [1, 1, 0, 0]))
    assert got["cost"] == 70.0  # a missed positive (60) and a false alarm (10)
    assert {row.status for row in rows if row.value is not None} == {"immature"}


def test_regression_realized_rows_leave_pending_values_out() -> None:
    frame = pl.DataFrame({"prediction": [3.0, 5.0, 8.0], "label": [4.0, None, 6.0]})
    business = BusinessValueConfig(under_cost=2.0, over_cost=1.0)
    got = values(
        realized_task_rows(
            "regression", KEY, frame, mature=True, label=LabelConfig(), business=business
        )
    )
    assert got["mae"] == pytest.approx(mean_absolute_error([4.0, 6.0], [3.0, 8.0]))
    assert got["bias"] == pytest.approx(0.5)
    assert (got["under_prediction_cost"], got["over_prediction_cost"], got["cost"]) == (
        2.0,
        2.0,
        4.0,
    )


def test_binary_estimates_with_a_known_calibration() -> None:
    frame = pl.DataFrame({"score": [0.8, 0.4], "decision": [True, False]})
    identity = ScoreCalibrator((0.0, 1.0), (0.0, 1.0))
    business = BusinessValueConfig(
        cost_matrix={"positive": {"negative": 60.0}, "negative": {"positive": 10.0}}
    )
    got = values(estimated_task_rows("binary", KEY, frame, identity, LabelConfig(), business))
    # expected: 0.8 true positive + 0.2 false positive; 0.4 positive missed
    assert got["estimated_precision"] == pytest.approx(0.8)
    assert got["estimated_recall"] == pytest.approx(0.8 / 1.2)
    assert got["estimated_cost"] == pytest.approx(0.2 * 10.0 + 0.4 * 60.0)


def test_prediction_drift_per_task_from_profiles() -> None:
    rng = np.random.default_rng(0)
    kinds = profile_kinds({}, "multiclass")
    reference_frame = pl.DataFrame(
        {"decision": rng.choice(CLASSES, 2_000, p=[0.6, 0.3, 0.1]), "score": rng.random(2_000)}
    )
    config = MonitoringConfig(min_rows=10)
    reference = build_external_reference(reference_frame, kinds, config)

    def window(mix: list[float]) -> list[str]:
        frame = pl.DataFrame(
            {"decision": rng.choice(CLASSES, 1_000, p=mix), "score": rng.random(1_000)}
        )
        builder = ProfileBuilder(reference.plan(), threads=1)
        profile = builder.update(profiled_frame(frame, kinds)).profile()
        rows = prediction_drift_rows("multiclass", KEY, reference, profile, config)
        return [f"{row.metric}:{row.status}" for row in rows]

    assert window([0.6, 0.3, 0.1])[0] == "decision_psi:ok"
    assert window([0.2, 0.3, 0.5])[0] == "decision_psi:alert"


def test_binary_flag_rate_is_judged_against_the_reference_decisions() -> None:
    kinds = profile_kinds({}, "binary")
    reference = build_external_reference(
        pl.DataFrame({"score": np.linspace(0, 1, 1_000), "decision": [True] * 100 + [False] * 900}),
        kinds,
        MonitoringConfig(),
    )
    flags = reference.features["decision"]
    assert isinstance(flags, CategoricalProfile)
    current = (
        ProfileBuilder(reference.plan(), threads=1)
        .update(
            profiled_frame(
                pl.DataFrame(
                    {"score": np.linspace(0, 1, 500), "decision": [True] * 150 + [False] * 350}
                ),
                kinds,
            )
        )
        .profile()
    )
    got = values(prediction_drift_rows("binary", KEY, reference, current, MonitoringConfig()))
    assert got["flag_rate"] == pytest.approx(0.3) and got["baseline_flag_rate"] == pytest.approx(
        0.1
    )
    assert got["score_psi"] == pytest.approx(0.0, abs=0.02)


def test_inputs_are_profiled_by_their_declared_type() -> None:
    inputs = {
        "event_id": InputField(type="string"),
        "ts": InputField(type="timestamp"),
        "account_id": InputField(type="string"),
        "tickets": InputField(type="int"),  # few distinct values, still numeric: declared int
        "plan": InputField(type="category"),
    }
    kinds = input_kinds(inputs, KeysConfig(entity="account_id"))
    assert kinds == {"tickets": "numeric", "plan": "categorical"}
    frame = pl.DataFrame(
        {"tickets": [0, 1, 2] * 10, "plan": ["x", "y", "x"] * 10, "prediction": [1.5] * 30}
    )
    profile = build_external_reference(
        frame, profile_kinds(kinds, "regression"), MonitoringConfig()
    )
    assert [(name, item.kind) for name, item in profile.features.items()] == [
        ("tickets", "numeric"),
        ("plan", "categorical"),
        ("prediction", "numeric"),
    ]


def test_versions_are_compared_on_shared_windows_first() -> None:
    days = [datetime(2026, 6, d, tzinfo=UTC) for d in range(1, 6)]
    older = {days[0]: 0.7, days[1]: 0.8, days[2]: 0.9}
    newer = {days[3]: 0.95, days[4]: 0.85}
    adjacent = compare_versions("accuracy", 1, 2, older, newer, windows=2)
    assert adjacent.older_value == pytest.approx(0.85)  # the older's last two windows
    assert adjacent.newer_value == pytest.approx(0.9)  # the newer's first two
    assert (adjacent.shared, adjacent.windows) == (0, 2)
    assert "not the same traffic" in adjacent.describe()
    assert "regression" not in task_metric_names("regression")
    assert {"accuracy", "macro_f1", "decision_psi"} <= set(task_metric_names("multiclass"))
