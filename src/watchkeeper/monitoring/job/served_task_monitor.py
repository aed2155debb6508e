"""The monitor job of a multiclass or regression model served by watchkeeper.

The service logs each prediction with the features the model saw (``features`` JSON) and the
task's prediction columns (multiclass ``probabilities``, ``score`` and the decided class
``decision``; regression ``prediction``); the version's manifest carries its reference
profile (holdout features and prediction columns) and its performance estimator
(:mod:`~watchkeeper.modeling.task_estimators`). :class:`ServedTaskMonitorJob` is
:class:`~watchkeeper.monitoring.job.monitor_job.MonitorJob` with the task's rows: the same
windows, reads, watermarks (``monitor`` and ``monitor-labels``), stored daily profiles and
idempotent writes, and per complete day window and version that served in it

- feature drift and data quality, as for a binary model
  (:func:`~watchkeeper.monitoring.job.window_metrics.input_rows`);
- prediction drift, and performance (and money) estimated before labels
  (:func:`~watchkeeper.monitoring.job.task_window_rows.prediction_drift_rows`,
  :func:`~watchkeeper.monitoring.job.task_window_rows.estimated_task_rows`): final once the
  window is complete;
- realized performance and money on the labels known so far
  (:func:`~watchkeeper.monitoring.job.task_window_rows.realized_task_rows`, labels by
  :func:`~watchkeeper.monitoring.outcomes.task_labels.attach_task_labels`), ``immature`` until the
  window is mature, recomputed while its label counts move.

A completed report window gets ``weekly_psi`` per feature and the weekly prediction drift
(``weekly_decision_psi`` and ``weekly_score_psi``, or ``weekly_prediction_psi``) from the
merged daily profiles. Not done for these tasks yet: ``domain_auc`` and a rule baseline.

>>> weekly_metric("prediction_psi")
'weekly_prediction_psi'
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.config import ModelTask
from watchkeeper.errors import WatchkeeperError
from watchkeeper.monitoring.job.external_monitor import task_metric_names
from watchkeeper.monitoring.job.external_reference import PROBABILITIES
from watchkeeper.monitoring.job.label_refresh import stored_label_counts, windows_to_relabel
from watchkeeper.monitoring.job.monitor_job import MonitorJob
from watchkeeper.monitoring.job.monitor_result import MonitorResult
from watchkeeper.monitoring.job.rejections import attributed_version
from watchkeeper.monitoring.job.served_predictions import decode_features
from watchkeeper.monitoring.job.task_window_rows import (
    estimated_task_rows,
    prediction_drift_rows,
    realized_task_rows,
)
from watchkeeper.monitoring.job.version_context import VersionContext
from watchkeeper.monitoring.job.window_metrics import WindowKey, input_rows
from watchkeeper.monitoring.job.windows import Window, windows_within
from watchkeeper.monitoring.outcomes.labels import is_window_mature
from watchkeeper.monitoring.outcomes.task_labels import attach_task_labels
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.prediction_columns import prediction_columns_for_profile
from watchkeeper.monitoring.profiles.profile_builder import ProfileBuilder
from watchkeeper.monitoring.statistics.quality import schema_ranges
from watchkeeper.performance.regression_estimation import LossEstimator
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.workspace import Workspace

_KEYS = ("event_id", "ts", "model_version")
_LOGGED: dict[str, tuple[str, ...]] = {
    "multiclass": (PROBABILITIES, "score", "decision"),
    "regression": ("prediction",),
}
"""The prediction-log columns of each task's predictions."""

_TYPES: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "ts": pl.Datetime("us", "UTC"),
    "model_version": pl.Int64(),
    PROBABILITIES: pl.String(),
    "score": pl.Float64(),
    "decision": pl.String(),
    "prediction": pl.Float64(),
    "features": pl.String(),
}


def weekly_metric(metric: str) -> str:
    """The name of a daily drift metric's report-window row."""
    return f"weekly_{metric}"


class ServedTaskMonitorJob(MonitorJob):
    """The monitor of a multiclass or regression model served by watchkeeper (see the
    module's notes); ``recompute_all`` and ``keep_reads`` as for :class:`MonitorJob`."""

    def __init__(
        self, workspace: Workspace, *, recompute_all: bool = False, keep_reads: bool = False
    ) -> None:
        super().__init__(workspace, recompute_all=recompute_all, keep_reads=keep_reads)
        task = self.config.model.task
        if task not in _LOGGED:
            raise WatchkeeperError(f"model.task {task!r} is not multiclass or regression")
        self.task: ModelTask = task
        self._rule = None  # a rule baseline compares binary flags only
        self._columns = (*_KEYS, *_LOGGED[task], "features")

    def run(self, until: datetime | None = None) -> MonitorResult:
        """Process the windows completed by ``until`` (default: the clock's now)."""
        result = super().run(until)
        return replace(result, task=self.task, metrics=task_metric_names(self.task))

    # -- reading -----------------------------------------------------------------------------

    def _read_predictions(self, start: datetime, end: datetime) -> pl.DataFrame:
        frame = self.workspace.events.read(
            "predictions", start=start, end=end, columns=list(self._columns)
        ).filter(pl.col("model_version").is_not_null())
        return frame if frame["ts"].is_sorted() else frame.sort("ts", maintain_order=True)

    def _task_frame(self, predictions: pl.DataFrame) -> pl.DataFrame:
        """The task's logged columns of ``predictions`` (none read: an empty frame of them)."""
        if predictions.height == 0:
            return pl.DataFrame(schema={name: _TYPES[name] for name in self._columns})
        return predictions.select(self._columns)

    # -- computing ---------------------------------------------------------------------------

    def _new_window_rows(
        self,
        window: Window,
        predictions: pl.DataFrame,
        until: datetime,
        rejected: dict[str, int],
    ) -> list[MetricRow]:
        monitoring = self.config.monitoring
        ranges = schema_ranges(self.config.features.inputs)
        predictions = self._task_frame(predictions)
        served = predictions.group_by("model_version").len()
        counts = dict(zip(served["model_version"].to_list(), served["len"].to_list(), strict=True))
        carrier = attributed_version(counts, self._champion)
        rows: list[MetricRow] = []
        for version in sorted(counts):
            context = self._served_context(int(version))
            if context is None:
                continue
            served_rows = predictions.filter(pl.col("model_version") == version)
            frame = pl.concat(
                [
                    decode_features(served_rows, context.feature_types),
                    served_rows.select(_LOGGED[self.task]),
                ],
                how="horizontal",
            )
            builder = ProfileBuilder(context.reference.plan(), monitoring.sketch_k, threads=1)
            profile = builder.update(frame.select(context.profiled_columns)).profile(
                window.start, window.end
            )
            judgement = self._store_profile(context, window, profile)
            key = WindowKey(self.model, context.version, window.start, window.end)
            reasons = rejected if version == carrier else {}
            rows += input_rows(
                key, self._inputs(context), profile, monitoring, ranges, reasons, judgement
            )
            rows += prediction_drift_rows(
                self.task, key, context.reference, profile, monitoring, judgement
            )
            rows += self._estimated_rows(key, context, frame)
        return rows

    def _inputs(self, context: VersionContext) -> DatasetProfile:
        """The reference's feature profiles, without the prediction columns."""
        predicted = set(prediction_columns_for_profile(self.task))
        reference = context.reference
        return DatasetProfile(
            {name: item for name, item in reference.features.items() if name not in predicted},
            reference.rows,
        )

    def _estimated_rows(
        self, key: WindowKey, context: VersionContext, frame: pl.DataFrame
    ) -> list[MetricRow]:
        estimator = context.estimator
        if estimator is None:
            self._note(f"version {context.version}: its manifest has no performance estimator")
            return []
        numeric = estimator.feature_names if isinstance(estimator, LossEstimator) else ()
        try:
            return estimated_task_rows(
                self.task, key, frame, estimator, self.config.label,
                self.config.monitoring.business, numeric,
            )  # fmt: skip
        except WatchkeeperError as error:
            self._note(f"version {key.version}: no estimate for {key.window_start.date()}: {error}")
            return []

    def _labelled(
        self, predictions: pl.DataFrame, outcomes: pl.DataFrame, until: datetime
    ) -> pl.DataFrame:
        """Every event of the run with its label as of ``until`` (in the same order)."""
        events = self._task_frame(predictions).drop("features")
        return attach_task_labels(events, outcomes, until, self.config.label, self.task)

    def _windows_to_relabel(
        self,
        open_windows: list[Window],
        labelled: pl.DataFrame,
        outcomes: pl.DataFrame,
        since: datetime | None,
        until: datetime,
    ) -> list[Window]:
        """As for a binary model, on the counts of events and labelled events (a class or
        a number has no "positive": the labelled count stands in for it on both sides)."""
        if self.recompute_all or not open_windows:
            return list(open_windows)
        stored = [
            row
            for metric in (names.SCORED_EVENTS, names.LABELLED_EVENTS)
            for row in self.workspace.metadata.metrics(
                self.model, metric=metric, start=open_windows[0].start, end=open_windows[-1].end
            )
        ]
        stored += [
            replace(row, metric=names.POSITIVE_LABELS)
            for row in stored
            if row.metric == names.LABELLED_EVENTS
        ]
        known = labelled.filter(pl.col("ts") < open_windows[-1].end).select(
            *_KEYS, label=pl.when(pl.col("label").is_not_null()).then(pl.lit(1, pl.Int8))
        )
        return windows_to_relabel(
            open_windows,
            known,
            outcomes,
            since=since,
            until=until,
            maturity_horizon=self.config.label.maturity_horizon,
            stored=stored_label_counts(stored),
        )

    def _label_rows(
        self, window: Window, labelled: pl.DataFrame, until: datetime
    ) -> list[MetricRow]:
        """Realized rows of a window, per version, from its labelled events."""
        mature = is_window_mature(window.end, until, self.config.label.maturity_horizon)
        rows: list[MetricRow] = []
        for version in sorted(labelled["model_version"].unique().to_list()):
            key = WindowKey(self.model, int(version), window.start, window.end)
            rows += realized_task_rows(
                self.task, key, labelled.filter(pl.col("model_version") == version),
                mature=mature, label=self.config.label, business=self.config.monitoring.business,
            )  # fmt: skip
        return rows

    def _week_rows(
        self, week: Window, predictions: pl.DataFrame, read_from: datetime
    ) -> list[MetricRow]:
        """A completed report window's feature and prediction drift, per version that served
        in it, from its stored daily profiles (merged, never rescanned)."""
        monitoring = self.config.monitoring
        days = windows_within(week, monitoring.window)
        weekly = {names.PSI, *names.prediction_drift_metrics(self.task)}
        rows: list[MetricRow] = []
        for version in self.profiles.versions(start=week.start, end=week.end):
            context = self._served_context(version)
            if context is None:
                continue
            stored = [self.profiles.get(version, day) for day in days]
            merged = DatasetProfile.merge_all(profile for profile in stored if profile is not None)
            key = WindowKey(self.model, version, week.start, week.end)
            judgement = self.pools.week_judgement(version, context.reference, week, merged)
            found = input_rows(key, self._inputs(context), merged, monitoring, judgement=judgement)
            found += prediction_drift_rows(
                self.task, key, context.reference, merged, monitoring, judgement
            )
            rows += [
                replace(row, metric=weekly_metric(row.metric))
                for row in found
                if row.metric in weekly
            ]
        return rows


__all__ = ["ServedTaskMonitorJob", "weekly_metric"]
