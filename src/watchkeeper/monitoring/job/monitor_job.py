"""The monitor job: incremental, idempotent, safe to run twice at once.

Two watermarks per model, both in event time and both moved by compare-and-set
(``MetadataStore.advance_watermark``):

``monitor``
    The end of the last window whose *profile* was done. A run takes the complete windows
    from there to ``--until`` (a window still open is left for later), reads their logged
    predictions once, stores each version's daily profile in the artifact store, and writes the
    rows that never change afterwards: drift, data quality, prediction drift, and the
    estimated (CBPE) performance and money, which need no label.
``monitor-labels``
    The end of the last window whose *labels* are final. Windows between the two watermarks
    are "open for labels": their realized performance and money come from the predictions'
    scores and the outcomes received by ``--until`` (status ``immature``). A run recomputes
    only those whose labels can have changed since the last run (an outcome of theirs received,
    their label counts moved, or maturity reached: :mod:`~watchkeeper.monitoring.job.label_refresh`);
    ``MonitorJob(workspace, recompute_all=True)`` recomputes them all. Once a window is mature
    (its end is a maturity horizon before ``--until``) it is computed one last time with status
    ``ok`` and the label watermark passes it: it is final.

Windows come from the data: a run's windows are those holding predictions, found in the rows
read (:func:`~watchkeeper.monitoring.job.windows.window_starts`), plus every window, empty or
not, of the last maturity horizon and report window before ``--until``
(:func:`~watchkeeper.monitoring.job.windows.run_windows`). A run's cost never depends on how far
apart its earliest and latest event times are: an event dated year 1 is one window more, not
700,000; the watermarks still pass every window, and a window holding the last day a
``datetime`` holds (9999-12-31) never ends, so it is never complete.

Reads: one read of the predictions of every window of the run (new and open for labels, split
in memory), one of the outcomes, one of the rejections; a daily run stays cheap however many
windows are open. When a run completes a report window (a week), it writes the week's rows
from the merged daily profiles (:mod:`~watchkeeper.monitoring.job.weekly_rows`) and its
``domain_auc`` (:mod:`~watchkeeper.monitoring.job.weekly_domain`).

Idempotence: rows are keyed (model, version, window, feature, metric) and upserted, and a run
writes only rows whose value, status or threshold differ from what is stored, so a second run
with nothing new writes nothing and moves no watermark. Concurrency: two runs over the same
windows compute the same rows, so whichever upsert lands last changes nothing; only one
compare-and-set of each watermark succeeds, and the loser reports ``concurrent``.

Judgement: a drift row's verdict comes from
:class:`~watchkeeper.monitoring.job.judgement_pools.JudgementPools` — nothing while the version
warms up (its first ``monitoring.warm_up_rows`` events), a small window judged on the pool of
the version's windows ending with it, a cyclic feature (and the score of a model that reads
one) on a pool covering its whole cycle (:mod:`~watchkeeper.monitoring.job.judgement`).

A week is never rescanned: ``WindowProfileStore.merged`` merges the stored daily profiles.
Rejected events: the ``rejections`` table is read once for the new windows and counted per
window and reason (``rejected_events``, feature = the reason, plus the total); a refused event
has no version, so the counts go with the champion's rows (or, in a window the champion did
not serve, the version that served most); rejections in a window without any prediction are
not reported. Predictions logged after their window was profiled are not profiled (run the job
with ``--until`` a little behind the logger); their labels still count.

>>> import tempfile
>>> from pathlib import Path
>>> root = Workspace.create(Path(tempfile.mkdtemp()) / "ws")
>>> with Workspace.open(root) as workspace:
...     run_monitor(workspace)
Traceback (most recent call last):
...
watchkeeper.errors.RegistryError: model 'card-fraud' has no champion to monitor; promote a version first
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.alerts.manager import AlertManager
from watchkeeper.clock import as_utc
from watchkeeper.errors import ConfigError, RegistryError, WatchkeeperError
from watchkeeper.monitoring.job.judgement import Judgement
from watchkeeper.monitoring.job.judgement_pools import JudgementPools
from watchkeeper.monitoring.job.label_refresh import stored_label_counts, windows_to_relabel
from watchkeeper.monitoring.job.monitor_result import FiredAlert, MonitorResult
from watchkeeper.monitoring.job.rejections import (
    attributed_version,
    read_rejections,
    rejections_by_window,
)
from watchkeeper.monitoring.job.served_predictions import (
    PREDICTION_COLUMNS,
    decode_served,
    empty_predictions,
    rows_within,
    rule_decisions,
)
from watchkeeper.monitoring.job.version_context import VersionContext, load_version_context
from watchkeeper.monitoring.job.weekly_domain import weekly_domain_drift
from watchkeeper.monitoring.job.weekly_rows import (
    report_windows_completed,
    weekly_flags,
    weekly_rows,
)
from watchkeeper.monitoring.job.window_metrics import (
    WindowKey,
    estimated_rows,
    profile_rows,
    realized_rows,
)
from watchkeeper.monitoring.job.window_profile_store import WindowProfileStore
from watchkeeper.monitoring.job.windows import (
    Window,
    aligned_span,
    run_windows,
    shifted,
    window_floor,
    window_starts,
    windows_within,
)
from watchkeeper.monitoring.outcomes.labels import is_window_mature
from watchkeeper.monitoring.outcomes.task_labels import attach_task_labels
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.prediction_columns import prediction_columns_for_profile
from watchkeeper.monitoring.profiles.profile_builder import ProfileBuilder
from watchkeeper.monitoring.profiles.reference_sample import load_reference_sample
from watchkeeper.monitoring.statistics.quality import schema_ranges
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.workspace import Workspace

PROFILE_JOB = "monitor"
LABELS_JOB = "monitor-labels"
LABEL_COLUMNS = ("event_id", "ts", "model_version", "score", "decision", "raw_input")

if TYPE_CHECKING:
    from watchkeeper.config import SparkConfig
    from watchkeeper.monitoring.job.spark_window_profiles import SparkWindowProfiler


class MonitorJob:
    """One model's monitor over a workspace; :meth:`run` does one incremental pass.

    ``recompute_all`` recomputes every window open for labels, changed or not (after a repair
    of the outcomes, say). ``keep_reads`` keeps each window's predictions in memory once read,
    for a job that runs again and again in one process (the agent): the windows still open
    for labels are then not read again on every run. Predictions logged for a window after
    it was profiled are seen by the next job that reads afresh (a restart, or
    ``watchkeeper monitor``).
    """

    def __init__(
        self, workspace: Workspace, *, recompute_all: bool = False, keep_reads: bool = False
    ) -> None:
        self.recompute_all = recompute_all
        self._keep = keep_reads
        self._kept: tuple[datetime, datetime, pl.DataFrame] | None = None
        """The last run's predictions and the range they cover, when ``keep_reads``."""
        self._first: datetime | None = None
        self._written: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._written_windows: set[tuple[datetime, datetime]] = set()
        self.workspace = workspace
        self.config = workspace.config
        self.model = self.config.model.name
        self.registry = ModelRegistry.for_workspace(workspace)
        self.profiles = WindowProfileStore.for_workspace(workspace)
        self.pools = JudgementPools(
            self.profiles,
            self.config.monitoring,
            self.config.features.transforms,
            prediction_columns_for_profile(self.config.model.task),
        )
        self._contexts: dict[int, VersionContext] = {}
        self._champion: int | None = None
        self.notes: list[str] = []
        business = self.config.monitoring.business
        self._rule = business.baseline_rule if business.baseline == "rule" else None
        self.spark_profiler: SparkWindowProfiler | None = None
        """Set (by ``run_monitor`` with a Spark config): window profiles come from Spark."""

    def context(self, version: int | str) -> VersionContext:
        """The monitoring context of a version (loaded once per run)."""
        number = self.registry.resolve(version)
        if number not in self._contexts:
            self._contexts[number] = load_version_context(self.registry, number)
        return self._contexts[number]

    def run(self, until: datetime | None = None) -> MonitorResult:
        """Process the windows completed by ``until`` (default: the clock's now)."""
        if "champion" not in self.registry.aliases():
            if self.config.model.serving == "external":
                raise RegistryError(
                    f"model {self.model!r} is served outside watchkeeper: monitor it with "
                    "ExternalMonitorJob (run_monitor and 'watchkeeper monitor' choose it)"
                )
            raise RegistryError(
                f"model {self.model!r} has no champion to monitor; promote a version first"
            )
        champion = self.context("champion")
        self._champion = champion.version
        self.notes = []
        moment = as_utc(until) if until is not None else self.workspace.clock.now()
        metadata = self.workspace.metadata
        watermark = metadata.get_watermark(PROFILE_JOB, self.model)
        label_mark = metadata.get_watermark(LABELS_JOB, self.model)
        first = self._first_prediction(moment) if watermark is None or label_mark is None else None
        length = self.config.monitoring.window
        start = watermark if watermark is not None else first
        new_range = aligned_span(start, moment, length)
        label_start = label_mark if label_mark is not None else first
        open_range = aligned_span(label_start, watermark, length)
        if watermark is not None and moment < watermark:  # labels as of then would regress
            open_range = None
            self.notes.append(
                f"--until {moment.isoformat()} is before the watermark {watermark.isoformat()}: "
                "nothing to do"
            )
        bounds = [part for part in (open_range, new_range) if part is not None]
        read_from = bounds[0][0] if bounds else moment
        predictions = self._read_between(read_from, bounds[-1][1]) if bounds else None
        predictions = empty_predictions() if predictions is None else predictions
        # windows from the rows read, not by stepping a day at a time from the first event
        starts = window_starts(predictions["ts"], length)
        recent = self.config.label.maturity_horizon + self.config.monitoring.report_window
        recent_from = window_floor(shifted(moment, -recent), length)
        new = run_windows(starts, *new_range, length, recent_from) if new_range else []
        open_windows = run_windows(starts, *open_range, length, recent_from) if open_range else []
        outcomes = self.workspace.events.read(
            "outcomes", columns=["event_id", "outcome", "received_at"]
        )
        labelled = self._labelled(predictions, outcomes, moment)
        rejected = rejections_by_window(read_rejections(self.workspace.events, new), new)
        rows: list[MetricRow] = []
        for window in new:
            rows += self._new_window_rows(
                window, rows_within(predictions, window), moment, rejected.get(window, {})
            )
        relabel = self._windows_to_relabel(open_windows, labelled, outcomes, watermark, moment)
        for window in [*relabel, *new]:
            rows += self._label_rows(window, rows_within(labelled, window), moment)
        written = self._write_changed(rows, fresh=new)
        weekly: list[MetricRow] = []
        weeks = (
            report_windows_completed(new, self.config.monitoring.report_window, *new_range, length)
            if new_range
            else []
        )
        for week in weeks:
            weekly += self._week_rows(week, predictions, read_from)
        written += self._write_changed(weekly)
        concurrent = False
        watermark_after = new_range[1] if new_range else watermark
        if watermark_after is not None and watermark_after != watermark:
            concurrent |= not metadata.advance_watermark(
                PROFILE_JOB, self.model, watermark_after, expected=watermark
            )
        label_after = label_mark
        if bounds:  # the end of the run's last mature window, empty or not
            horizon = self.config.label.maturity_horizon
            last_mature = min(bounds[-1][1], window_floor(shifted(moment, -horizon), length))
            if last_mature > bounds[0][0]:
                label_after = last_mature
        if label_after is not None and label_after != label_mark:
            concurrent |= not metadata.advance_watermark(
                LABELS_JOB, self.model, label_after, expected=label_mark
            )
        return MonitorResult(
            model=self.model,
            champion=champion.version,
            until=moment,
            watermark_before=watermark,
            watermark_after=metadata.get_watermark(PROFILE_JOB, self.model),
            label_watermark_before=label_mark,
            label_watermark_after=metadata.get_watermark(LABELS_JOB, self.model),
            windows=tuple(str(window) for window in new),
            relabelled=tuple(str(window) for window in open_windows),
            recomputed=tuple(str(window) for window in relabel),
            rows_written=written,
            concurrent=concurrent,
            alerts=self._alerts(moment),
            notes=tuple(self.notes),
        )

    # -- reading -----------------------------------------------------------------------------

    def _first_prediction(self, until: datetime) -> datetime | None:
        if self._keep and self._first is not None:
            return self._first  # kept between runs: the log only grows after it
        times = self.workspace.events.read("predictions", end=until, columns=["ts"])
        if times.height == 0:
            return None
        earliest: datetime = times["ts"].min()  # type: ignore[assignment]
        self._first = as_utc(earliest)
        return self._first

    def _read_between(self, start: datetime, end: datetime) -> pl.DataFrame:
        """The predictions of ``[start, end)`` (the run's windows), in one read, sorted by
        event time; a job that keeps its reads reads only what it has not read yet."""
        if not self._keep:
            return self._read_predictions(start, end)
        kept = self._kept
        if kept is not None and kept[0] <= start <= kept[1]:
            frame = rows_within(kept[2], Window(start, min(end, kept[1])))
            if end > kept[1]:
                frame = pl.concat([frame, self._read_predictions(kept[1], end)])
        else:
            frame = self._read_predictions(start, end)
        self._kept = (start, end, frame)
        return frame

    def _read_predictions(self, start: datetime, end: datetime) -> pl.DataFrame:
        frame = self.workspace.events.read(
            "predictions", start=start, end=end, columns=list(PREDICTION_COLUMNS)
        ).filter(pl.col("model_version").is_not_null())
        return frame if frame["ts"].is_sorted() else frame.sort("ts", maintain_order=True)

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
        served = predictions.group_by("model_version").len()
        counts = dict(zip(served["model_version"].to_list(), served["len"].to_list(), strict=True))
        carrier = attributed_version(counts, self._champion)
        rows: list[MetricRow] = []
        for version in sorted(counts):
            context = self._served_context(int(version))
            if context is None:
                continue
            served_rows = predictions.filter(pl.col("model_version") == version)
            decoded = decode_served(served_rows, context.feature_types)
            decisions = self._with_baseline(decoded.decisions, served_rows)
            if self.spark_profiler is not None:
                profile = self.spark_profiler.profile(context, window, monitoring.sketch_k)
            else:
                builder = ProfileBuilder(context.reference.plan(), monitoring.sketch_k, threads=1)
                profiled = decoded.profiled.select(context.profiled_columns)
                profile = builder.update(profiled).profile(window.start, window.end)
            judgement = self._store_profile(context, window, profile)
            key = WindowKey(self.model, context.version, window.start, window.end)
            flags = int(decisions["decision"].sum())
            rows += profile_rows(
                key, context.reference, profile, monitoring,
                threshold=context.threshold, flags=flags, ranges=ranges,
                rejected=rejected if version == carrier else {}, judgement=judgement,
            )  # fmt: skip
            if context.calibrator is not None:
                rows += estimated_rows(key, decisions, context.calibrator, monitoring.business)
        return rows

    def _store_profile(
        self, context: VersionContext, window: Window, profile: DatasetProfile
    ) -> Judgement:
        """Store a version's window profile; how its drift is judged (warm-up, pools)."""
        self.profiles.put(context.version, window, profile)
        self.pools.remember(context.version, window, profile)
        return self.pools.judgement(context.version, context.reference, window, profile)

    def _labelled(
        self, predictions: pl.DataFrame, outcomes: pl.DataFrame, until: datetime
    ) -> pl.DataFrame:
        """Every event of the run with its label as of ``until`` (in the same order): with
        ``label.explicit_negatives``, a negative outcome labels its event 0 at once."""
        return attach_task_labels(
            predictions.select(*LABEL_COLUMNS), outcomes, until, self.config.label, "binary"
        )

    def _windows_to_relabel(
        self,
        open_windows: list[Window],
        labelled: pl.DataFrame,
        outcomes: pl.DataFrame,
        since: datetime | None,
        until: datetime,
    ) -> list[Window]:
        if self.recompute_all or not open_windows:
            return list(open_windows)
        stored = [
            row
            for metric in names.LABEL_COUNT_METRICS
            for row in self.workspace.metadata.metrics(
                self.model, metric=metric, start=open_windows[0].start, end=open_windows[-1].end
            )
        ]
        return windows_to_relabel(
            open_windows,
            labelled.filter(pl.col("ts") < open_windows[-1].end),
            outcomes,
            since=since,
            until=until,
            maturity_horizon=self.config.label.maturity_horizon,
            stored=stored_label_counts(stored),
        )

    def _label_rows(
        self, window: Window, labelled: pl.DataFrame, until: datetime
    ) -> list[MetricRow]:
        """Realized rows of a window from its labelled events (amounts decoded here, for the
        windows recomputed only)."""
        mature = is_window_mature(window.end, until, self.config.label.maturity_horizon)
        events = self._with_baseline(
            labelled.with_columns(
                amount=pl.col("raw_input")
                .str.json_path_match("$.amount")
                .cast(pl.Float64, strict=False)
            ),
            labelled,
        )
        rows: list[MetricRow] = []
        for version in sorted(events["model_version"].unique().to_list()):
            key = WindowKey(self.model, int(version), window.start, window.end)
            part = events.filter(pl.col("model_version") == version)
            rows += realized_rows(
                key, part, mature=mature, business=self.config.monitoring.business
            )
        return rows

    def _week_rows(
        self, week: Window, predictions: pl.DataFrame, read_from: datetime
    ) -> list[MetricRow]:
        """A completed report window's rows, per version that served in it, from its stored
        daily profiles (merged, never rescanned) and the daily flag rates."""
        monitoring = self.config.monitoring
        days = windows_within(week, monitoring.window)
        rates = {
            (row.model_version, as_utc(row.window_start)): row.value
            for row in self.workspace.metadata.metrics(
                self.model, metric=names.FLAG_RATE, start=week.start, end=week.end
            )
        }
        ranges = schema_ranges(self.config.features.inputs)
        rows: list[MetricRow] = []
        for version in self.profiles.versions(start=week.start, end=week.end):
            context = self._served_context(version)
            if context is None:
                continue
            stored = [(day, self.profiles.get(version, day)) for day in days]
            profiles = [(day, profile) for day, profile in stored if profile is not None]
            merged = DatasetProfile.merge_all(profile for _, profile in profiles)
            flags = weekly_flags(
                [(profile.rows, rates.get((version, day.start))) for day, profile in profiles]
            )
            key = WindowKey(self.model, version, week.start, week.end)
            judgement = self.pools.week_judgement(version, context.reference, week, merged)
            rows += weekly_rows(
                key, context.reference, merged, monitoring,
                threshold=context.threshold, flags=flags, ranges=ranges, judgement=judgement,
            )  # fmt: skip
            covered = read_from <= week.start  # the run's read holds the whole week
            served = (
                rows_within(predictions, week)
                if covered
                else self._read_predictions(week.start, week.end)
            )
            rows += self._domain_rows(key, context, served)
        return rows

    def _domain_rows(
        self, key: WindowKey, context: VersionContext, predictions: pl.DataFrame
    ) -> list[MetricRow]:
        """``domain_auc`` of a week (see :mod:`watchkeeper.monitoring.job.weekly_domain`)."""
        reference = load_reference_sample(self.workspace.artifacts, context.reference)
        if reference is None:
            self._note(
                f"version {context.version}: its reference profile keeps no sample of rows, "
                "so domain_auc is not computed (versions trained from now on keep one)"
            )
            return []
        served = predictions.filter(pl.col("model_version") == context.version)
        try:
            drift = weekly_domain_drift(reference, served, context, self.config.monitoring)
        except WatchkeeperError as error:
            self._note(
                f"version {context.version}: {names.DOMAIN_AUC} of {key.window_start.date()} "
                f"not computed: {error}"
            )
            return []
        return [key.row(names.DOMAIN_AUC, drift.roc_auc, drift.verdict, threshold=drift.threshold)]

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def _served_context(self, version: int) -> VersionContext | None:
        """A served version's context; one without a reference profile is refused: the
        champion stops the run, any other version is skipped with a note."""
        try:
            return self.context(version)
        except RegistryError as error:
            if version == self._champion:
                raise
            note = f"version {version} skipped: {error}"
            if note not in self.notes:
                self.notes.append(note)
            return None

    def _with_baseline(self, frame: pl.DataFrame, predictions: pl.DataFrame) -> pl.DataFrame:
        if self._rule is None:
            return frame
        return frame.with_columns(rule_decisions(predictions["raw_input"], self._rule))

    # -- writing -----------------------------------------------------------------------------

    def _write_changed(self, rows: list[MetricRow], fresh: Iterable[Window] = ()) -> int:
        """Upsert the rows whose value, status or threshold differ from the stored ones.

        The stored rows are read window by window, so a run touching today's window and one
        sixty days old does not read the fifty-eight in between. A job kept between runs
        (the agent's) does not read the ``fresh`` windows it profiles for the first time:
        nothing can be stored for them but what a run that died before moving the watermark
        wrote, which the upsert overwrites with the same values; and it remembers what it
        wrote, so a window is read from the store once at most (one agent per workspace).
        """
        if not rows:
            return 0
        kept = self._keep
        skipped = {(window.start, window.end) for window in fresh} if kept else set()
        skipped |= self._written_windows
        spans = sorted({(row.window_start, row.window_end) for row in rows} - skipped)
        stored = self._written if kept else {}
        stored.update(
            {
                _key(row): (row.value, row.status, row.threshold)
                for start, end in spans
                for row in self.workspace.metadata.metrics(self.model, start=start, end=end)
            }
        )
        changed = [
            row for row in rows if stored.get(_key(row)) != (row.value, row.status, row.threshold)
        ]
        if kept:  # what this job wrote is what is stored: no need to read it back next run
            stored.update({_key(row): (row.value, row.status, row.threshold) for row in changed})
            self._written_windows |= {(row.window_start, row.window_end) for row in rows}
        return self.workspace.metadata.upsert_metrics(changed) if changed else 0

    def _alert_horizon(self, until: datetime) -> datetime:
        """The oldest window start any rule can still judge at ``until``: its persistence
        windows before the label maturity horizon (realized metrics are judged only once
        mature), with a report window of slack."""
        monitoring, rules = self.config.monitoring, self.config.alerts.rules
        longest = max((rule.persistence.windows for rule in rules), default=1)
        return shifted(
            until,
            -(
                self.config.label.maturity_horizon
                + monitoring.report_window
                + longest * max(monitoring.window, monitoring.report_window)
            ),
        )

    def _alerts(self, until: datetime) -> tuple[FiredAlert, ...]:
        manager = AlertManager(
            self.workspace.metadata, self.model, self.config.owner, self.config.alerts,
            self.workspace.clock,
        )  # fmt: skip
        watched = sorted({rule.metric for rule in self.config.alerts.rules})
        since = self._alert_horizon(until)
        rows = [
            row
            for metric in watched
            for row in self.workspace.metadata.metrics(self.model, metric=metric, start=since)
        ]  # every rule reads its own metric only, over the windows it can still judge
        fired = []
        for outcome in manager.evaluate(rows):
            evaluation = outcome.evaluation
            if not evaluation.firing and outcome.action != "resolved":
                continue
            latest = evaluation.latest
            fired.append(
                FiredAlert(
                    evaluation.rule,
                    evaluation.metric,
                    evaluation.feature,
                    evaluation.severity,
                    outcome.action,
                    None if latest is None else latest.value,
                    evaluation.threshold,
                )
            )
        return tuple(fired)


def _key(row: MetricRow) -> tuple[Any, ...]:
    return (
        row.model_version,
        as_utc(row.window_start),
        as_utc(row.window_end),
        row.feature,
        row.metric,
    )


def monitor_job_for(workspace: Workspace, *, keep_reads: bool = False) -> MonitorJob:
    """The monitor job of ``workspace``: a model served outside watchkeeper is monitored by
    :class:`~watchkeeper.monitoring.job.external_monitor.ExternalMonitorJob`, a served multiclass
    or regression model by
    :class:`~watchkeeper.monitoring.job.served_task_monitor.ServedTaskMonitorJob` (``keep_reads``
    applies to the job of a served model)."""
    model = workspace.config.model
    if model.serving == "external":
        from watchkeeper.monitoring.job.external_monitor import ExternalMonitorJob

        return ExternalMonitorJob(workspace)
    if model.task != "binary":
        from watchkeeper.monitoring.job.served_task_monitor import ServedTaskMonitorJob

        return ServedTaskMonitorJob(workspace, keep_reads=keep_reads)
    return MonitorJob(workspace, keep_reads=keep_reads)


def run_monitor(
    workspace: Workspace, until: datetime | None = None, spark: SparkConfig | None = None
) -> MonitorResult:
    """One incremental monitor pass over ``workspace`` (see the module's notes); with
    ``spark``, the window profiles are computed by that Spark session's cluster
    (:mod:`~watchkeeper.monitoring.job.spark_window_profiles`)."""
    job = monitor_job_for(workspace)
    if spark is not None:
        if type(job) is not MonitorJob:
            raise ConfigError(
                "--engine spark monitors a binary model served by watchkeeper; "
                f"model {workspace.config.model.name!r} is monitored with --engine polars"
            )
        from watchkeeper.compute.spark_session import spark_session
        from watchkeeper.monitoring.job.spark_window_profiles import SparkWindowProfiler

        job.spark_profiler = SparkWindowProfiler(workspace, spark_session(spark))
    return job.run(until)


__all__ = [
    "LABELS_JOB",
    "PROFILE_JOB",
    "FiredAlert",
    "MonitorJob",
    "MonitorResult",
    "monitor_job_for",
    "run_monitor",
]
