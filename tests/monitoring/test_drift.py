"""Verdicts: effect sizes decide, identical data never alerts, a clear shift always does."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.config import DriftThresholds, MonitoringConfig
from watchkeeper.monitoring.comparison.report import build_drift_report
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.profile_builder import build_profile, build_reference_profile
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind
from watchkeeper.monitoring.statistics.drift import compute_drift, feature_drift

KINDS: dict[str, FeatureKind] = {
    "normal": "numeric",
    "skewed": "numeric",
    "counts": "numeric",
    "country": "categorical",
    "merchant": "categorical",
}


def traffic(rows: int, seed: int, shifted: bool = False) -> pa.Table:
    """Synthetic features; ``shifted`` moves ``normal`` by one standard deviation."""
    rng = np.random.default_rng(seed)
    country_codes = rng.choice(4, size=rows, p=[0.5, 0.3, 0.15, 0.05]).astype(np.int32)
    merchant_codes = rng.zipf(1.5, size=rows) % 2000
    return pa.table(
        {
            "normal": rng.normal(1.0 if shifted else 0.0, 1.0, rows),
            "skewed": pa.array(rng.lognormal(3.0, 1.0, rows), mask=rng.random(rows) < 0.02),
            "counts": rng.poisson(30, rows).astype(np.float64),
            "country": pa.DictionaryArray.from_arrays(
                pa.array(country_codes), pa.array(["DE", "FR", "IT", "ES"])
            ),
            "merchant": pa.DictionaryArray.from_arrays(
                pa.array(merchant_codes.astype(np.int32)),
                pa.array([f"m{index}" for index in range(2000)]),
            ),
        }
    )


@pytest.mark.slow
def test_identical_distributions_with_two_million_rows_are_all_ok() -> None:
    reference = build_reference_profile(traffic(2_000_000, seed=1), KINDS)
    current = build_profile(traffic(2_000_000, seed=2), reference.plan())
    report = build_drift_report(reference, current)
    assert [item.verdict for item in report.features] == ["ok"] * len(KINDS)
    for item in report.features:
        assert item.psi is not None and item.psi < 0.001
        assert item.js_distance is not None and item.js_distance < 0.01
    numeric = [item for item in report.features if item.type == "numeric"]
    for item in numeric:
        # sketch noise only: KS within the two rank errors (0.014); Wasserstein within 0.05 std
        # (over 200 pairs of 2-million-value sketches of one distribution: 0.009 at the median,
        # 0.023 at the 99th percentile, 0.028 at most; the compaction cannot be seeded)
        assert item.ks_statistic is not None and item.ks_statistic < 0.014
        assert item.wasserstein is not None and item.wasserstein < 0.05
        # the sketch-error slack keeps sketch noise from looking significant
        assert item.ks_pvalue is not None and item.ks_pvalue > 0.01
    assert report.verdict == "ok"


def test_a_clearly_shifted_feature_alerts_and_the_others_stay_ok() -> None:
    reference = build_reference_profile(traffic(100_000, seed=1), KINDS)
    current = build_profile(traffic(100_000, seed=2, shifted=True), reference.plan())
    results = {item.feature: item for item in compute_drift(reference, current)}
    assert results["normal"].verdict == "alert"
    assert results["normal"].psi is not None and results["normal"].psi > 0.25
    assert results["normal"].ks_pvalue is not None and results["normal"].ks_pvalue < 1e-10
    assert {name for name, item in results.items() if item.verdict != "ok"} == {"normal"}


def test_p_values_never_decide_the_verdict() -> None:
    # a tiny, very significant difference: 50.5% vs 49.5% over a million rows
    reference = CategoricalProfile(("a", "b"), (500_000, 500_000), 0, 0, 0)
    current = CategoricalProfile(("a", "b"), (505_000, 495_000), 0, 0, 0)
    result = feature_drift("flag", reference, current)
    assert result.chi2_pvalue is not None and result.chi2_pvalue < 1e-10
    assert result.verdict == "ok"


def test_per_feature_thresholds_override_the_default() -> None:
    reference = build_reference_profile(traffic(50_000, seed=1), KINDS)
    current = build_profile(traffic(50_000, seed=2, shifted=True), reference.plan())
    config = MonitoringConfig(per_feature={"normal": DriftThresholds(warn=5.0, alert=10.0)})
    report = build_drift_report(reference, current, config)
    normal = next(item for item in report.features if item.feature == "normal")
    assert (normal.warn_threshold, normal.threshold, normal.verdict) == (5.0, 10.0, "ok")
    strict = build_drift_report(
        reference, current, MonitoringConfig(psi=DriftThresholds(warn=0.0, alert=0.0))
    )
    assert {item.verdict for item in strict.features} == {"alert"}


def test_a_surge_of_missing_values_is_drift() -> None:
    rng = np.random.default_rng(4)
    values = rng.normal(size=20_000)
    reference = NumericProfile.from_values(values, edges=(-1.0, 0.0, 1.0))
    holes = values.copy()
    holes[: len(holes) // 3] = np.nan
    result = feature_drift(
        "x", reference, NumericProfile.from_values(holes, edges=(-1.0, 0.0, 1.0))
    )
    assert result.verdict == "alert"


def test_statistics_that_do_not_apply_are_none() -> None:
    numeric = NumericProfile.from_values(np.arange(100.0), edges=(50.0,))
    numeric_result = feature_drift("x", numeric, numeric)
    assert numeric_result.chi2_pvalue is None
    assert numeric_result.ks_statistic == 0.0 and numeric_result.ks_pvalue == 1.0
    categorical = CategoricalProfile(("a",), (3,), 1, 0, 0)
    categorical_result = feature_drift("c", categorical, categorical)
    assert (categorical_result.ks_statistic, categorical_result.wasserstein) == (None, None)
    constant = NumericProfile.from_values(np.ones(10), edges=())
    assert feature_drift("k", constant, constant).wasserstein is None  # no spread to divide by
    empty = NumericProfile.empty(edges=(50.0,))
    nothing = feature_drift("x", numeric, empty)
    assert (nothing.psi, nothing.ks_statistic, nothing.verdict) == (None, None, "ok")
