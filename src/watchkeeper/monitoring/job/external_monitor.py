"""The monitor job of a model served outside watchkeeper (``model.serving: external``).

The team's service logs its predictions (inputs typed in ``transactions``, the task's
prediction columns and its own version label in ``predictions``) and the outcomes; each
label is a version number (:mod:`~watchkeeper.storage.metadata.external_versions`). A run:

1. builds each version's reference once its first ``monitoring.reference_window`` of
   predictions is logged and complete (:mod:`~watchkeeper.monitoring.job.external_reference`;
   until then the run says how many days it has), stores the profile in the artifact store and
   records its sha256 in ``external_versions``; once the reference's labels have matured
   (a maturity horizon after its end), fits the task's estimator on them and records it too;
2. per version with a reference, per complete day window it served in, writes the rows of
   the metric series: input drift and data quality (``psi``... per input), prediction drift,
   estimated performance and money (once the estimator exists, while the window is open
   for labels), and realized performance and money on the labels known so far (status
   ``immature`` until the window is mature, then ``ok`` and final) — the names of
   :mod:`~watchkeeper.metric_names`, through the same metadata store as a
   watchkeeper-served model's, so ``watchkeeper history``, the alert rules and the report
   read them;
3. compares each version with the one before on the task's primary realized metric
   (:class:`~watchkeeper.monitoring.job.monitor_result.VersionComparison`).

Each version has its own two watermarks (``monitor:<version>`` and
``monitor-labels:<version>``), moved by compare-and-set as for a served model. Rows refused
when the log was written (``rejections``) are counted per window and reason with the version
that logged the most predictions in the window (a refused row has no version). Not done for
an external model yet: weekly rows and ``domain_auc``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.clock import as_utc
from watchkeeper.config import ModelTask
from watchkeeper.errors import WatchkeeperError
from watchkeeper.monitoring.job.external_reference import (
    DECISION,
    ESTIMATOR_MEDIA_TYPE,
    PREDICTION,
    PROBABILITIES,
    SCORE,
    ExternalEstimator,
    build_external_reference,
    estimator_from_bytes,
    estimator_to_bytes,
    external_prediction_columns,
    fit_estimator,
    input_kinds,
    profile_kinds,
    profiled_frame,
)
from watchkeeper.monitoring.job.judgement import model_cycles, window_judgement
from watchkeeper.monitoring.job.monitor_job import LABELS_JOB, PROFILE_JOB, MonitorJob
from watchkeeper.monitoring.job.monitor_result import MonitorResult
from watchkeeper.monitoring.job.rejections import (
    attributed_version,
    read_rejections,
    rejections_by_window,
)
from watchkeeper.monitoring.job.served_predictions import rows_within
from watchkeeper.monitoring.job.task_window_rows import (
    estimated_task_rows,
    prediction_drift_rows,
    realized_task_rows,
)
from watchkeeper.monitoring.job.version_comparison import VersionComparison, compare_versions
from watchkeeper.monitoring.job.window_metrics import WindowKey, input_rows
from watchkeeper.monitoring.job.windows import (
    Window,
    aligned_span,
    shifted,
    window_floor,
    window_start_of,
    window_starts,
)
from watchkeeper.monitoring.outcomes.labels import is_window_mature
from watchkeeper.monitoring.outcomes.task_labels import attach_task_labels
from watchkeeper.monitoring.profiles.dataset_profile import (
    REFERENCE_PROFILE_MEDIA_TYPE,
    DatasetProfile,
)
from watchkeeper.monitoring.profiles.profile_builder import ProfileBuilder
from watchkeeper.monitoring.statistics.quality import schema_ranges
from watchkeeper.storage.metadata.external_versions import ExternalVersion
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.workspace import Workspace

_TASK_COLUMNS = {
    "binary": (SCORE, DECISION),
    "multiclass": (PROBABILITIES, SCORE, DECISION),
    "regression": (PREDICTION,),
}


def profile_job(version: int) -> str:
    """The profile watermark's job name of an external version.

    >>> profile_job(2), labels_job(2)
    ('monitor:2', 'monitor-labels:2')
    """
    return f"{PROFILE_JOB}:{version}"


def labels_job(version: int) -> str:
    """The label watermark's job name of an external version."""
    return f"{LABELS_JOB}:{version}"


def task_metric_names(task: str) -> tuple[str, ...]:
    """Every metric name an external model of ``task`` writes besides data quality.

    >>> task_metric_names("regression")[:4]
    ('psi', 'prediction_psi', 'mae', 'rmse')
    """
    kind = _task(task)
    money = {"binary": names.BINARY_MONEY_METRICS, "multiclass": (names.COST,), "regression": ()}
    estimated = (*names.estimated_metrics(kind), *money[kind])
    return (
        names.PSI,
        *names.prediction_drift_metrics(kind),
        *names.realized_metrics(kind),
        *names.money_metrics(kind),
        *(names.estimated(metric) for metric in estimated),
    )


def _task(task: str) -> ModelTask:
    if task not in _TASK_COLUMNS:
        raise WatchkeeperError(f"model.task {task!r} is not binary, multiclass or regression")
    return task  # type: ignore[return-value]


@dataclass(frozen=True)
class _VersionRun:
    """What a run did for one version: rows written, a lost compare-and-set, its new and
    open windows, and its two watermarks before and after."""

    written: int
    concurrent: bool
    new: list[Window]
    open: list[Window]
    watermark_before: datetime | None
    watermark_after: datetime | None
    label_watermark_before: datetime | None
    label_watermark_after: datetime | None


class ExternalMonitorJob(MonitorJob):
    """The monitor of an external model (see the module's notes); :meth:`run` is one pass."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace)
        self.task = _task(self.config.model.task)
        inputs = self.config.features.inputs
        self.kinds = input_kinds(inputs, self.config.keys)
        self.numeric_inputs = tuple(
            name
            for name, field in inputs.items()
            if name in self.kinds and field.type in ("float", "int", "bool")
        )
        self.versions = workspace.metadata.external_versions

    def _judged_until(self, moment: datetime) -> datetime:
        """Where the alert rules judge from: ``moment``, or the end of the newest window
        with metric rows when the logs stop earlier (a team's history logged from files
        is judged on its own last windows, not on the empty days since)."""
        newest = [
            row.window_end
            for metric in sorted({rule.metric for rule in self.config.alerts.rules})
            for row in self.workspace.metadata.metrics(self.model, metric=metric)
        ]
        return min(moment, max(newest)) if newest else moment

    def run(self, until: datetime | None = None) -> MonitorResult:
        """Process the windows completed by ``until`` (default: the clock's now)."""
        self.notes = []
        moment = as_utc(until) if until is not None else self.workspace.clock.now()
        entries = self.versions.entries(self.model)
        if not entries:
            self._note("no predictions logged yet: nothing to monitor")
        outcomes = self.workspace.events.read(
            "outcomes", columns=["event_id", "outcome", "received_at"]
        )
        self._prepare_references(entries, moment, outcomes)
        entries = self.versions.entries(self.model)
        built = [entry for entry in entries if entry.reference_sha256 is not None]
        rejected = self._rejections(built, moment)
        runs = [self._run_version(entry, moment, outcomes, rejected) for entry in built]
        last = runs[-1] if runs else None
        comparisons = self._comparisons(entries)
        return MonitorResult(
            model=self.model,
            champion=entries[-1].version if entries else 0,
            until=moment,
            watermark_before=None if last is None else last.watermark_before,
            watermark_after=None if last is None else last.watermark_after,
            label_watermark_before=None if last is None else last.label_watermark_before,
            label_watermark_after=None if last is None else last.label_watermark_after,
            windows=tuple(sorted({str(window) for run in runs for window in run.new})),
            relabelled=tuple(sorted({str(window) for run in runs for window in run.open})),
            rows_written=sum(run.written for run in runs),
            concurrent=any(run.concurrent for run in runs),
            alerts=self._alerts(self._judged_until(moment)),
            notes=tuple(self.notes),
            task=self.task,
            metrics=task_metric_names(self.task),
            comparisons=comparisons,
        )

    # -- references --------------------------------------------------------------------------

    def _prepare_references(
        self, entries: list[ExternalVersion], moment: datetime, outcomes: pl.DataFrame
    ) -> None:
        """Build the references whose window is complete and the estimators whose reference
        labels have matured; note the others' progress."""
        length = self.config.monitoring.window
        span = self.config.monitoring.reference_window
        pending = [entry for entry in entries if entry.reference_sha256 is None]
        firsts: dict[int, datetime] = {}
        if pending:
            times = self.workspace.events.read(
                "predictions", end=moment, columns=["ts", "model_version"]
            )
            earliest = times.group_by("model_version").agg(pl.col("ts").min())
            firsts = {int(version): as_utc(ts) for version, ts in earliest.iter_rows()}
        for entry in pending:
            first = firsts.get(entry.version)
            if first is None:
                continue
            start = window_floor(first, length)
            end = shifted(start, span)
            if moment < end:
                logged = max(0, (window_floor(moment, length) - start) // timedelta(days=1))
                self._note(
                    f"version {entry.label}: reference builds once {_days(span)} days are "
                    f"logged ({logged} so far)"
                )
                continue
            served = self._served(entry.version, start, end)
            profile = build_external_reference(
                served, profile_kinds(self.kinds, self.task), self.config.monitoring
            )
            stored = self.workspace.artifacts.put_bytes(
                profile.to_bytes(), REFERENCE_PROFILE_MEDIA_TYPE
            )
            self.versions.record_reference(self.model, entry.version, start, end, stored.sha256)
            self._note(
                f"version {entry.label}: reference built from {served.height} predictions "
                f"of {start.date()} to {end.date()}"
            )
        horizon = self.config.label.maturity_horizon
        for entry in self.versions.entries(self.model):
            if entry.reference_start is None or entry.reference_end is None:
                continue
            if entry.estimator_sha256 is not None:
                continue
            due = shifted(entry.reference_end, horizon)
            if moment < due:
                self._note(
                    f"version {entry.label}: performance estimates start once its reference's "
                    f"labels have matured ({due.date()})"
                )
                continue
            served = self._served(entry.version, entry.reference_start, entry.reference_end)
            labelled = self._task_labels(served, outcomes, moment)
            try:
                estimator = fit_estimator(
                    self.task, labelled, self.config.label, self.numeric_inputs
                )
            except WatchkeeperError as error:
                self._note(f"version {entry.label}: no performance estimator: {error}")
                continue
            stored = self.workspace.artifacts.put_bytes(
                estimator_to_bytes(self.task, estimator), ESTIMATOR_MEDIA_TYPE
            )
            self.versions.record_estimator(self.model, entry.version, stored.sha256)
            known = int(labelled["label"].is_not_null().sum())
            self._note(
                f"version {entry.label}: performance estimator fitted on {known} labelled "
                "reference predictions"
            )

    # -- reading -----------------------------------------------------------------------------

    def _served(self, version: int, start: datetime, end: datetime) -> pl.DataFrame:
        """A version's predictions of ``[start, end)`` with their inputs, by event time."""
        columns = ["event_id", "ts", "model_version", *_TASK_COLUMNS[self.task]]
        predictions = self.workspace.events.read("predictions", start, end, columns=columns)
        predictions = predictions.filter(pl.col("model_version") == version)
        key = self.config.keys.event_id
        inputs = self.workspace.events.read(
            "transactions", start, end, columns=[key, *self.kinds]
        ).rename({key: "event_id"} if key != "event_id" else {})
        served = predictions.join(inputs, on="event_id", how="left", maintain_order="left")
        return served if served["ts"].is_sorted() else served.sort("ts", maintain_order=True)

    def _task_labels(
        self, served: pl.DataFrame, outcomes: pl.DataFrame, moment: datetime
    ) -> pl.DataFrame:
        return attach_task_labels(served, outcomes, moment, self.config.label, self.task)

    # -- computing ---------------------------------------------------------------------------

    def _rejections(
        self, built: list[ExternalVersion], moment: datetime
    ) -> dict[tuple[int, Window], dict[str, int]]:
        """The rejected rows of the windows some version profiles in this run, by reason,
        keyed by the version that carries them: the one that logged the most predictions in
        the window (a refused row has no version)."""
        length = self.config.monitoring.window
        marks = [
            self.workspace.metadata.get_watermark(profile_job(entry.version), self.model)
            or entry.reference_start
            for entry in built
        ]
        starts = [window_floor(mark, length) for mark in marks if mark is not None]
        end = window_floor(moment, length)
        if not starts or min(starts) >= end:
            return {}
        served = self.workspace.events.read(
            "predictions", min(starts), end, columns=["ts", "model_version"]
        ).with_columns(window=window_start_of(pl.col("ts"), length))
        counts = served.group_by("window", "model_version").len()
        per_window: dict[datetime, dict[int, int]] = {}
        for start, version, count in counts.iter_rows():
            per_window.setdefault(as_utc(start), {})[int(version)] = int(count)
        windows = [Window(start, start + length) for start in sorted(per_window)]
        by_window = rejections_by_window(read_rejections(self.workspace.events, windows), windows)
        carried: dict[tuple[int, Window], dict[str, int]] = {}
        for window, reasons in by_window.items():
            carrier = attributed_version(per_window[window.start], None)
            if carrier is not None:
                carried[(carrier, window)] = reasons
        return carried

    def _run_version(
        self,
        entry: ExternalVersion,
        moment: datetime,
        outcomes: pl.DataFrame,
        rejected: dict[tuple[int, Window], dict[str, int]],
    ) -> _VersionRun:
        """One version's new and open windows: compute, write, move its watermarks."""
        assert entry.reference_sha256 is not None and entry.reference_start is not None
        metadata = self.workspace.metadata
        version, length = entry.version, self.config.monitoring.window
        mark = metadata.get_watermark(profile_job(version), self.model)
        label_mark = metadata.get_watermark(labels_job(version), self.model)
        first = entry.reference_start
        new_range = aligned_span(mark or first, moment, length)
        open_range = aligned_span(label_mark or first, mark, length)
        if mark is not None and moment < mark:
            open_range = None
            self._note(f"--until {moment.isoformat()} is before the watermark {mark.isoformat()}")
        bounds = [part for part in (open_range, new_range) if part is not None]
        if not bounds:
            return _VersionRun(0, False, [], [], mark, mark, label_mark, label_mark)
        reference = DatasetProfile.from_bytes(
            self.workspace.artifacts.get_bytes(entry.reference_sha256)
        )
        estimator = None
        if entry.estimator_sha256 is not None:
            estimator = estimator_from_bytes(
                self.workspace.artifacts.get_bytes(entry.estimator_sha256)
            )
        served = self._served(version, bounds[0][0], bounds[-1][1])
        labelled = self._task_labels(served, outcomes, moment)
        starts = window_starts(served["ts"], length)
        new = _windows_in(starts, new_range, length)
        open_windows = _windows_in(starts, open_range, length)
        rows: list[MetricRow] = []
        for window in new:
            key = WindowKey(self.model, version, window.start, window.end)
            reasons = rejected.get((version, window), {})
            rows += self._profile_rows(key, reference, rows_within(served, window), reasons)
        for window in [*open_windows, *new]:
            key = WindowKey(self.model, version, window.start, window.end)
            part = rows_within(labelled, window)
            if estimator is not None:
                rows += self._estimated_rows(key, part, estimator)
            mature = is_window_mature(window.end, moment, self.config.label.maturity_horizon)
            rows += realized_task_rows(
                self.task, key, part, mature=mature, label=self.config.label,
                business=self.config.monitoring.business,
            )  # fmt: skip
        written = self._write_changed(rows)
        concurrent = False
        mark_after = new_range[1] if new_range else mark
        if mark_after is not None and mark_after != mark:
            concurrent |= not metadata.advance_watermark(
                profile_job(version), self.model, mark_after, expected=mark
            )
        horizon = self.config.label.maturity_horizon
        label_after = label_mark
        last_mature = min(bounds[-1][1], window_floor(shifted(moment, -horizon), length))
        if last_mature > bounds[0][0]:
            label_after = last_mature
        if label_after is not None and label_after != label_mark:
            concurrent |= not metadata.advance_watermark(
                labels_job(version), self.model, label_after, expected=label_mark
            )
        return _VersionRun(
            written, concurrent, new, open_windows, mark, mark_after, label_mark, label_after
        )

    def _profile_rows(
        self,
        key: WindowKey,
        reference: DatasetProfile,
        served: pl.DataFrame,
        rejected: dict[str, int],
    ) -> list[MetricRow]:
        """Input drift, data quality (with the rejected rows it carries) and prediction
        drift of one window."""
        monitoring = self.config.monitoring
        kinds = profile_kinds(self.kinds, self.task)
        plan_kinds = {name: kinds[name] for name in reference.features}
        builder = ProfileBuilder(reference.plan(), monitoring.sketch_k, threads=1)
        current = builder.update(profiled_frame(served, plan_kinds)).profile(
            key.window_start, key.window_end
        )
        predicted = set(external_prediction_columns(self.task))
        inputs = DatasetProfile(
            {name: item for name, item in reference.features.items() if name not in predicted},
            reference.rows,
        )
        ranges = schema_ranges(self.config.features.inputs)
        # each window alone (a version is compared with its own first weeks: no warm-up),
        # with the cycles declared or inferred, the predictions' from the inputs they read
        cycles = model_cycles(
            self.config.features.transforms, monitoring, predicted, inputs.features
        )
        span = key.window_end - key.window_start
        judged = window_judgement(current.rows, span, cycles, monitoring.min_rows)
        rows = input_rows(key, inputs, current, monitoring, ranges, rejected, judged)
        return rows + prediction_drift_rows(self.task, key, reference, current, monitoring, judged)

    def _estimated_rows(
        self, key: WindowKey, part: pl.DataFrame, estimator: ExternalEstimator
    ) -> list[MetricRow]:
        try:
            return estimated_task_rows(
                self.task, key, part, estimator, self.config.label,
                self.config.monitoring.business, self.numeric_inputs,
            )  # fmt: skip
        except WatchkeeperError as error:
            self._note(f"version {key.version}: no estimate for {key.window_start.date()}: {error}")
            return []

    # -- comparing ---------------------------------------------------------------------------

    def _comparisons(self, entries: list[ExternalVersion]) -> tuple[VersionComparison, ...]:
        """Each version against the one before, on the primary metric's matured windows."""
        built = [entry.version for entry in entries if entry.reference_sha256 is not None]
        if len(built) < 2:
            return ()
        metric = names.PRIMARY_METRIC[self.task]
        values: dict[int, dict[datetime, float]] = {version: {} for version in built}
        for row in self.workspace.metadata.metrics(self.model, metric=metric):
            if row.status == "ok" and row.value is not None and row.model_version in values:
                values[row.model_version][as_utc(row.window_start)] = row.value
        comparisons = []
        for older, newer in itertools.pairwise(built):
            comparison = compare_versions(metric, older, newer, values[older], values[newer])
            comparisons.append(comparison)
            self._note(comparison.describe({entry.version: entry.label for entry in entries}))
        return tuple(comparisons)


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return str(int(days)) if days == int(days) else f"{days:g}"


def _windows_in(
    starts: list[datetime], span: tuple[datetime, datetime] | None, length: timedelta
) -> list[Window]:
    if span is None:
        return []
    return [Window(start, start + length) for start in starts if span[0] <= start < span[1]]


__all__ = [
    "ExternalMonitorJob",
    "labels_job",
    "profile_job",
    "task_metric_names",
]
