"""Binary F1 and flag rate, realized and estimated: scikit-learn, by hand, in simulation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import f1_score

from watchkeeper.performance.binary import f1_interval, realized_performance
from watchkeeper.performance.binary_estimation import ScoreCalibrator, estimate_performance


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_realized_f1_and_flag_rate_match_sklearn(seed: int) -> None:
    generator = np.random.default_rng(seed)
    size = 4_000
    labels = (generator.random(size) < 0.08).astype(float)
    scores = np.clip(generator.normal(0.3 + 0.35 * labels, 0.2), 0, 1)
    decisions = scores > 0.5
    labels[generator.random(size) < 0.15] = np.nan  # pending
    frame = pl.DataFrame({"score": scores, "decision": decisions, "label": labels}).with_columns(
        pl.col("label").fill_nan(None).cast(pl.Int8)
    )
    result = realized_performance(frame, mature=False)
    known = ~np.isnan(labels)
    assert result.f1.value == pytest.approx(f1_score(labels[known], decisions[known]), abs=1e-12)
    assert result.flag_rate.value == pytest.approx(decisions.mean(), abs=1e-12)
    assert result.f1.interval is not None and result.f1.value is not None
    assert result.f1.interval.low < result.f1.value < result.f1.interval.high


def test_realized_f1_by_hand() -> None:
    # TP 2, FP 1, FN 1, TN 1, one pending flag: F1 = 4 / (4 + 1 + 1)
    frame = pl.DataFrame(
        {
            "score": [0.9, 0.8, 0.7, 0.2, 0.1, 0.95],
            "decision": [True, True, True, False, False, True],
            "label": [1, 1, 0, 1, 0, None],
        }
    )
    result = realized_performance(frame, mature=False)
    assert result.f1.value == pytest.approx(2 / 3)
    assert result.flag_rate.value == pytest.approx(4 / 6)


def test_f1_is_missing_without_flags_or_positives() -> None:
    frame = pl.DataFrame({"score": [0.1, 0.2], "decision": [False, False], "label": [0, 0]})
    result = realized_performance(frame, mature=True)
    assert result.f1.value is None and result.f1.interval is None
    assert result.flag_rate.value == 0.0


def test_f1_interval_agrees_with_the_delta_method_on_large_counts() -> None:
    tp, fp, fn = 4_000, 1_000, 1_500
    f1 = 2 * tp / (2 * tp + fp + fn)
    deviation = np.sqrt(4 * tp * (fp + fn) * (tp + fp + fn) / (2 * tp + fp + fn) ** 4)
    interval = f1_interval(tp, fp, fn)
    assert interval.low == pytest.approx(f1 - 1.959964 * deviation, abs=5e-4)
    assert interval.high == pytest.approx(f1 + 1.959964 * deviation, abs=5e-4)


def test_f1_interval_covers_the_truth_in_repeated_samples() -> None:
    generator = np.random.default_rng(5)
    # cells TP, FP, FN, TN of a population whose F1 is known
    cells = np.array([0.06, 0.03, 0.04, 0.87])
    truth = 2 * cells[0] / (2 * cells[0] + cells[1] + cells[2])
    draws = generator.multinomial(400, cells, size=2_000)
    intervals = [f1_interval(int(tp), int(fp), int(fn)) for tp, fp, fn, _ in draws]
    covered = [interval.low <= truth <= interval.high for interval in intervals]
    assert 0.93 <= np.mean(covered) <= 0.97


def test_estimated_f1_tracks_realized_when_calibration_holds() -> None:
    generator = np.random.default_rng(21)

    def draw(size: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
        scores = generator.beta(1.2, 6.0, size) + shift
        labels = generator.random(size) < 1 / (1 + np.exp(-12 * (scores - 0.55)))
        return scores, labels.astype(int)

    calibrator = ScoreCalibrator.fit(*draw(100_000, 0.0))
    scores, labels = draw(50_000, 0.1)  # covariate shift
    decisions = scores > 0.5
    estimate = estimate_performance(scores, decisions, calibrator)
    assert estimate.f1 == pytest.approx(f1_score(labels, decisions), abs=0.02)
    assert estimate.flag_rate == pytest.approx(decisions.mean(), abs=1e-12)


def test_estimated_f1_by_hand() -> None:
    identity = ScoreCalibrator((0.0, 1.0), (0.0, 1.0))
    # expected TP 0.8 + 0.6 = 1.4, FP 0.6, FN 0.3: F1 = 2.8 / (2.8 + 0.6 + 0.3)
    estimate = estimate_performance(
        np.array([0.8, 0.6, 0.3]), np.array([True, True, False]), identity
    )
    assert estimate.f1 == pytest.approx(2.8 / 3.7)
    assert estimate.flag_rate == pytest.approx(2 / 3)
