"""One window's monitoring results as rows of the metric series.

Pure functions: profiles and frames in, :class:`MetricRow` values out, nothing stored here.
Three groups, because they change at different times (see :mod:`monitor_job`):

- :func:`profile_rows` — drift (per feature ``psi``, ``js_distance``, ``ks_statistic``,
  ``ks_pvalue``, ``wasserstein``, ``chi2_pvalue``), data quality and prediction drift
  (``score_psi``, ``flag_rate``...). Final as soon as the window is complete.
- :func:`estimated_rows` — CBPE performance and estimated money from calibrated scores.
  Final as soon as the window is complete too: they need no label.
- :func:`realized_rows` — performance and money on the labels known so far; status
  ``immature`` until the window is mature, then ``ok``. Recomputed as labels arrive.

Money: with ``monitoring.business.cost_matrix`` (churn) the rows of
:func:`~watchkeeper.performance.costs.binary_money` and
:func:`~watchkeeper.performance.costs.expected_binary_money` (:data:`BINARY_MONEY_METRICS`:
``cost``, ``cost_per_event``, ``business_value``, ``value_against_baseline``), the same
functions as a binary model's rows in the other monitor jobs and the demo's money;
without one, the amounts of :func:`~watchkeeper.monitoring.outcomes.business.business_outcome`
(fraud: :data:`BUSINESS_METRICS`).

A value that cannot be computed (no positives yet, say) is written as None with status
``no_data``; alert rules ignore both ``immature`` and ``no_data`` rows. A drift row's verdict
follows a :class:`~watchkeeper.monitoring.job.judgement.Judgement`: by default the window alone
(``few_rows`` under ``monitoring.min_rows`` events, ``short_window`` under a declared
``min_window``); the monitor jobs pass the one of
:class:`~watchkeeper.monitoring.job.judgement_pools.JudgementPools` (warm-up, pooled small
windows, whole cycles): a row judged on a pool carries the pool's binned statistics (PSI, JS
distance, chi-square) and the window's own sketch statistics (KS, Wasserstein).

>>> from datetime import UTC, datetime
>>> key = WindowKey("fraud", 1, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
>>> row = key.row("recall", 0.8, "immature")
>>> row.metric, row.model_version, row.status, row.feature
('recall', 1, 'immature', None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.config import BusinessValueConfig, MonitoringConfig
from watchkeeper.metric_names import (
    BUSINESS_METRICS,
    DRIFT_STATISTICS,
    LABEL_COUNT_METRICS,
    PERFORMANCE_METRICS,
)
from watchkeeper.monitoring.job.judgement import (
    Judgement,
    declared_cycles,
    judged_drift,
    window_judgement,
)
from watchkeeper.monitoring.job.served_predictions import SCORE_COLUMN
from watchkeeper.monitoring.outcomes.business import BusinessOutcome, business_outcome
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile, FeatureProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.statistics.drift import FeatureDrift, compute_drift, feature_drift
from watchkeeper.monitoring.statistics.prediction_drift import flag_rate_drift, score_drift
from watchkeeper.monitoring.statistics.quality import Range, data_quality
from watchkeeper.performance.binary import realized_performance
from watchkeeper.performance.binary_estimation import ScoreCalibrator, estimate_performance
from watchkeeper.performance.costs import BinaryMoney, binary_money, expected_binary_money
from watchkeeper.storage.metadata.records import MetricRow

BASELINE_DECISION = "baseline_decision"
"""The column of a rule baseline's decisions, when ``monitoring.business.baseline`` is ``rule``."""

CostMatrix = Mapping[str, Mapping[str, float]]
"""``monitoring.business.cost_matrix``: actual -> decided -> cost of one event."""


@dataclass(frozen=True)
class WindowKey:
    """Which model, version and window a row belongs to."""

    model: str
    version: int
    window_start: datetime
    window_end: datetime

    def row(
        self,
        metric: str,
        value: float | None,
        status: str = "ok",
        feature: str | None = None,
        threshold: float | None = None,
    ) -> MetricRow:
        """A metric row of this window (status ``no_data`` when ``value`` is None)."""
        return MetricRow(
            model=self.model,
            metric=metric,
            window_start=self.window_start,
            window_end=self.window_end,
            value=None if value is None else float(value),
            status="no_data" if value is None else status,
            feature=feature,
            model_version=self.version,
            threshold=threshold,
        )


def baseline_flags(reference_scores: NumericProfile, threshold: float) -> int:
    """How many reference (holdout) scores are at or above the threshold, from the sketch.

    >>> import numpy as np
    >>> baseline_flags(NumericProfile.from_values(np.array([0.1, 0.6, 0.9]), edges=()), 0.5)
    2
    """
    if reference_scores.count == 0:
        return 0
    below = float(reference_scores.quantile_sketch().get_rank(threshold, False))
    return round((1.0 - below) * reference_scores.count)


def profile_rows(
    key: WindowKey,
    reference: DatasetProfile,
    current: DatasetProfile,
    config: MonitoringConfig,
    *,
    threshold: float,
    flags: int,
    ranges: Mapping[str, Range] | None = None,
    rejected: Mapping[str, int] | None = None,
    judgement: Judgement | None = None,
) -> list[MetricRow]:
    """Drift, data quality and prediction drift of one window against the version's reference.

    ``flags`` is the number of the window's events the model flagged; ``rejected`` the events
    refused at the edge by reason: one ``rejected_events`` row per reason (feature = the
    reason), their total (no feature; 0 when none) and ``rejected_share`` of all received.
    ``judgement`` says how the drift rows are judged (default: :func:`own_judgement`).
    """
    judged = judgement or own_judgement(key, current, config)
    features = DatasetProfile(
        {name: profile for name, profile in reference.features.items() if name != SCORE_COLUMN},
        reference.rows,
    )
    rows = input_rows(key, features, current, config, ranges, rejected, judged)
    rows.extend(_prediction_rows(key, reference, current, config, threshold, flags, judged))
    return rows


def own_judgement(key: WindowKey, current: DatasetProfile, config: MonitoringConfig) -> Judgement:
    """The judgement of a window on its own rows and span, with the declared cycles only.

    >>> from datetime import UTC
    >>> key = WindowKey("fraud", 1, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
    >>> own_judgement(key, DatasetProfile({}, rows=100), MonitoringConfig()).everything
    'few_rows'
    """
    span = key.window_end - key.window_start
    return window_judgement(
        current.rows, span, declared_cycles(config.per_feature), config.min_rows
    )


def _judged(
    own: FeatureDrift, reference: FeatureProfile, judgement: Judgement, config: MonitoringConfig
) -> FeatureDrift:
    """A feature's drift as its rows report it (:func:`judged_drift`: the pool's binned
    statistics where it has a pool)."""
    pool = judgement.pooled.get(own.feature)
    levels = config.per_feature.get(own.feature, config.psi)
    pooled = None if pool is None else feature_drift(own.feature, reference, pool, levels)
    return judged_drift(own, pooled)


def input_rows(
    key: WindowKey,
    features: DatasetProfile,
    current: DatasetProfile,
    config: MonitoringConfig,
    ranges: Mapping[str, Range] | None = None,
    rejected: Mapping[str, int] | None = None,
    judgement: Judgement | None = None,
) -> list[MetricRow]:
    """Drift and data quality of the reference's ``features`` (no prediction column) in one
    window; ``rejected`` and ``judgement`` as in :func:`profile_rows`."""
    rows: list[MetricRow] = []
    judged = judgement or own_judgement(key, current, config)
    for own in compute_drift(features, current, config.psi, config.per_feature):
        drift = _judged(own, features.features[own.feature], judged, config)
        verdict = judged.status(drift.feature, drift.verdict)
        for statistic in DRIFT_STATISTICS:
            value = getattr(drift, statistic)
            if value is None:
                continue
            limit = drift.threshold if statistic == drift.method else None
            rows.append(key.row(statistic, value, verdict, drift.feature, limit))
    quality = data_quality(features, current, ranges, rejected)
    for item in quality.features:
        for metric, value in (
            (names.MISSING_RATE_CHANGE, item.missing_rate_change),
            (names.OUT_OF_SCHEMA_RANGE, item.out_of_schema_range_share),
            (names.OUT_OF_REFERENCE_RANGE, item.out_of_reference_range_share),
            (names.UNSEEN_CATEGORY_SHARE, item.unseen_category_share),
        ):
            if value is not None:
                rows.append(key.row(metric, value, feature=item.feature))
    rows.append(key.row(names.REJECTED_EVENTS, float(quality.rejected_total)))
    for reason, count in sorted(quality.rejected.items()):
        rows.append(key.row(names.REJECTED_EVENTS, float(count), feature=reason))
    if quality.rejected_share is not None:
        rows.append(key.row(names.REJECTED_SHARE, quality.rejected_share))
    return rows


def _prediction_rows(
    key: WindowKey,
    reference: DatasetProfile,
    current: DatasetProfile,
    config: MonitoringConfig,
    threshold: float,
    flags: int,
    judgement: Judgement,
) -> list[MetricRow]:
    reference_scores, current_scores = (
        reference.features[SCORE_COLUMN],
        current.features[SCORE_COLUMN],
    )
    assert isinstance(reference_scores, NumericProfile)
    assert isinstance(current_scores, NumericProfile)
    own = score_drift(
        reference_scores, current_scores, config.per_feature.get(SCORE_COLUMN, config.psi)
    )
    drift = _judged(own, reference_scores, judgement, config)
    verdict = judgement.status(SCORE_COLUMN, drift.verdict)
    rows = [
        key.row(names.SCORE_PSI, drift.psi, verdict, threshold=drift.threshold),
        key.row(names.SCORE_JS_DISTANCE, drift.js_distance, verdict),
        key.row(names.SCORE_KS_STATISTIC, drift.ks_statistic, verdict),
    ]
    total = current.rows
    if total == 0 or reference_scores.rows == 0:
        return rows
    flag = flag_rate_drift(
        baseline_flags(reference_scores, threshold), reference_scores.rows, flags, total
    )
    base = flag.baseline_rate
    flag_low, flag_high = names.interval_bounds(names.FLAG_RATE)
    rows += [
        key.row(names.FLAG_RATE, flag.rate, flag.verdict, threshold=flag.threshold),
        key.row(flag_low, max(0.0, base + flag.difference_low), flag.verdict),
        key.row(flag_high, min(1.0, base + flag.difference_high), flag.verdict),
        key.row(names.FLAG_RATE_PVALUE, flag.pvalue, flag.verdict),
        key.row(names.BASELINE_FLAG_RATE, base),
    ]
    return rows


def _business_rows(
    key: WindowKey, outcome: BusinessOutcome, prefix: str, status: str
) -> list[MetricRow]:
    values = (
        outcome.fraud_loss_approved,
        outcome.fraud_prevented,
        outcome.review_cost,
        outcome.false_decline_cost,
        outcome.net_value,
        outcome.value_against_baseline,
    )
    return [
        key.row(f"{prefix}{name}", value, status)
        for name, value in zip(BUSINESS_METRICS, values, strict=True)
    ]


def _money_rows(key: WindowKey, money: BinaryMoney, status: str) -> list[MetricRow]:
    return [key.row(name, value, status) for name, value in money.metrics().items()]


def _baseline(frame: pl.DataFrame) -> pl.Series | None:
    return frame[BASELINE_DECISION] if BASELINE_DECISION in frame.columns else None


def binary_money_rows(
    key: WindowKey, labelled: pl.DataFrame, cost_matrix: CostMatrix, status: str
) -> list[MetricRow]:
    """The realized money rows (:data:`BINARY_MONEY_METRICS`) of a window's binary
    ``decision`` on its ``label`` (1, 0, or null: pending, left out), against
    ``baseline_decision`` when present, else no model.

    >>> from datetime import UTC
    >>> key = WindowKey("churn", 1, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
    >>> frame = pl.DataFrame({"decision": [True, False, True], "label": [1, 0, None]})
    >>> matrix = {"positive": {"positive": -30.0, "negative": 60.0}, "negative": {"positive": 10.0}}
    >>> {row.metric: row.value for row in binary_money_rows(key, frame, matrix, "ok")}
    {'cost': -30.0, 'cost_per_event': -15.0, 'business_value': 90.0, 'value_against_baseline': 90.0}
    """
    labels = labelled["label"].cast(pl.Float64).to_numpy()
    baseline = _baseline(labelled)
    money = binary_money(
        labels,
        labelled["decision"].to_numpy(),
        cost_matrix,
        None if baseline is None else baseline.to_numpy(),
    )
    return _money_rows(key, money, status)


def estimated_binary_money_rows(
    key: WindowKey, frame: pl.DataFrame, calibrator: ScoreCalibrator, cost_matrix: CostMatrix
) -> list[MetricRow]:
    """The money rows of a window's binary ``decision`` expected from its calibrated
    ``score`` (``estimated_`` + :data:`BINARY_MONEY_METRICS`)."""
    baseline = _baseline(frame)
    money = expected_binary_money(
        calibrator.probabilities(frame[SCORE_COLUMN].to_numpy()),
        frame["decision"].to_numpy(),
        cost_matrix,
        None if baseline is None else baseline.to_numpy(),
    )
    return _money_rows(key, money, "ok")


def estimated_rows(
    key: WindowKey, frame: pl.DataFrame, calibrator: ScoreCalibrator, business: BusinessValueConfig
) -> list[MetricRow]:
    """CBPE performance and estimated money of a window (``score``, ``decision``, ``amount``,
    and ``baseline_decision`` when the money is compared with a rule).

    >>> from datetime import UTC
    >>> key = WindowKey("fraud", 1, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
    >>> calibrator = ScoreCalibrator((0.0, 1.0), (0.0, 1.0))
    >>> frame = pl.DataFrame({"score": [0.9, 0.1], "decision": [True, False], "amount": [10.0, 5.0]})
    >>> {row.metric: row.value for row in estimated_rows(key, frame, calibrator, BusinessValueConfig())}["estimated_recall"]
    0.9
    """
    scores = frame[SCORE_COLUMN].to_numpy()
    decisions = frame["decision"].to_numpy()
    estimate = estimate_performance(scores, decisions, calibrator)
    rows = [key.row(names.estimated(name), getattr(estimate, name)) for name in PERFORMANCE_METRICS]
    if business.cost_matrix is not None:
        return rows + estimated_binary_money_rows(key, frame, calibrator, business.cost_matrix)
    probable = frame.with_columns(
        fraud_probability=pl.Series(calibrator.probabilities(scores)),
        amount=pl.col("amount").fill_null(0.0),
    )
    baseline = BASELINE_DECISION if BASELINE_DECISION in frame.columns else None
    outcome = business_outcome(probable, business, baseline_decision=baseline, estimated=True)
    return rows + _business_rows(key, outcome, names.ESTIMATED_PREFIX, "ok")


def realized_rows(
    key: WindowKey, labelled: pl.DataFrame, *, mature: bool, business: BusinessValueConfig
) -> list[MetricRow]:
    """Performance (with ``_low``/``_high`` interval rows) and money on the labels known so far
    (``label`` 1, 0 or null for pending; ``baseline_decision`` as in :func:`estimated_rows`).

    The counts ``scored_events``, ``labelled_events`` and ``positive_labels`` come with them.
    Until the window is mature every row has status ``immature`` (values still written);
    pending events count as not fraud in the amounts' money, so an immature fraud loss is a
    lower bound; a cost matrix's money leaves them out.
    """
    status = "ok" if mature else "immature"
    performance = realized_performance(labelled, mature=mature)
    rows = [key.row(names.LABEL_COVERAGE, performance.coverage, status)]
    for metric, count in zip(
        LABEL_COUNT_METRICS,
        (performance.events, performance.labelled, performance.positives),
        strict=True,
    ):
        rows.append(key.row(metric, float(count), status))
    for name in PERFORMANCE_METRICS:
        metric = getattr(performance, name)
        rows.append(key.row(name, metric.value, status))
        if metric.interval is not None:
            low, high = names.interval_bounds(name)
            rows.append(key.row(low, metric.interval.low, status))
            rows.append(key.row(high, metric.interval.high, status))
    if business.cost_matrix is not None:
        return rows + binary_money_rows(key, labelled, business.cost_matrix, status)
    known = labelled.with_columns(
        fraud_probability=pl.col("label").fill_null(0).cast(pl.Float64),
        amount=pl.col("amount").fill_null(0.0),
    )
    baseline = BASELINE_DECISION if BASELINE_DECISION in labelled.columns else None
    outcome = business_outcome(known, business, baseline_decision=baseline)
    return rows + _business_rows(key, outcome, "", status)


__all__ = [
    "BASELINE_DECISION",
    "CostMatrix",
    "WindowKey",
    "baseline_flags",
    "binary_money_rows",
    "estimated_binary_money_rows",
    "estimated_rows",
    "input_rows",
    "own_judgement",
    "profile_rows",
    "realized_rows",
]
