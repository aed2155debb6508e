"""A reference frame, read once, and any current frame analysed against it, chunk by chunk.

:class:`Reference` takes a pandas, Polars or Arrow frame and works out its columns' roles
(identifiers, timestamps, features, the model's outputs and the target: inferred, or given),
then answers three questions of a current frame, each per chunk:

- :meth:`Reference.drift`: each feature's drift (PSI decides; Jensen-Shannon, exact KS and
  Wasserstein, chi-square beside it), by the machinery of ``watchkeeper drift``;
- :meth:`Reference.performance`: the realized performance where the current frame has targets;
- :meth:`Reference.estimate`: the performance estimated before targets (CBPE for
  classification, direct loss estimation for regression), fitted on the reference.

Chunks (``chunk=``): ``500`` (rows each), ``"1w"`` or a ``timedelta`` (one per period of the
timestamp column), ``{"number": 10}`` (ten equal chunks), a mapping with ``size``, ``number``
or ``period`` and ``min_rows``, or a :class:`~watchkeeper.monitoring.comparison.chunks.Chunking`;
without one, the whole current frame is one chunk. Every chunk needs ``min_chunk_rows`` rows.

Bad input stops with one line naming the column and the rule (a
:class:`~watchkeeper.errors.WatchkeeperError`): features that differ between the frames, a
chunk below the minimum, an all-null feature, a timestamp that does not parse, a target with
more than a thousand classes... Times are taken as they are, whatever period they cover.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.analysis.drift_chunks import drift_rows
from watchkeeper.analysis.estimation_chunks import estimated_rows, fit_reference_estimator
from watchkeeper.analysis.frames import Frame, as_table
from watchkeeper.analysis.performance_chunks import (
    BAND_DEVIATIONS,
    Band,
    realized_rows,
    reference_bands,
)
from watchkeeper.analysis.results import AnalysisKind, AnalysisResult, ResultRow
from watchkeeper.analysis.task_columns import (
    INPUT_PREFIX,
    Probabilities,
    TaskColumns,
    find_task_columns,
    option,
    task_frame,
)
from watchkeeper.config import ModelTask, MonitoringConfig
from watchkeeper.durations import format_duration, parse_duration
from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.comparison.baseline import Baseline, build_baseline, with_calibration
from watchkeeper.monitoring.comparison.chunk_drift import compare_chunks
from watchkeeper.monitoring.comparison.chunks import (
    DEFAULT_MIN_CHUNK_ROWS,
    Chunk,
    Chunking,
    split_chunks,
)
from watchkeeper.monitoring.comparison.file_comparison import (
    baseline_notes,
    check_current_types,
    is_number,
)
from watchkeeper.monitoring.job.external_reference import ExternalEstimator
from watchkeeper.monitoring.outcomes.task_performance import LABEL
from watchkeeper.monitoring.profiles.column_kinds import infer_column_kinds
from watchkeeper.monitoring.profiles.column_roles import Role, RoleOptions, assign_roles
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind
from watchkeeper.monitoring.statistics.drift import VerdictRule
from watchkeeper.performance import binary_estimation as estimation
from watchkeeper.performance import regression_estimation

ChunkSpec = int | str | timedelta | Chunking | Mapping[str, Any] | None
"""How to cut the current frame: rows per chunk, a period, a mapping or a ``Chunking``."""

_CHUNK_KEYS = frozenset({"size", "number", "period", "min_rows"})
_KEYWORDS = {
    "--exclude": "exclude",
    "--prediction-column": "prediction",
    "--target-column": "target",
    "--timestamp-column": "timestamp",
    "--role": "roles",
}


class Reference:
    """A reference frame, read once: its column roles, its drift baseline (built on first
    use) and, with targets, its performance band and estimator (fitted on first use).

    ``data``: a pandas, Polars or Arrow frame. Roles are inferred unless given: ``task``
    (``binary``, ``multiclass``, ``regression``), ``target``, ``prediction`` (binary: the
    0/1 decision; multiclass: the decided class; regression: the number), ``score`` (binary),
    ``probabilities`` (multiclass: one struct/JSON column, or the per-class columns, or a
    mapping class -> column), ``timestamp``, ``ids``; ``features`` (only these are compared),
    ``categorical`` (compared as categories whatever their type), ``exclude`` (left out),
    ``roles`` (column -> feature, identifier, timestamp, prediction, target or excluded: wins
    over everything). ``min_chunk_rows``: the fewest rows a chunk may have. ``monitoring``:
    drift verdict rule, levels and bins (by default each feature's PSI levels calibrated on
    the reference's own chunks; ``drift_verdict="fixed"``: warn 0.1, alert 0.25).

    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(0)
    >>> def frame(rows, shift=0.0):
    ...     x = rng.normal(shift, 1.0, rows)
    ...     score = 1 / (1 + np.exp(-2 * x))
    ...     return pl.DataFrame({"id": np.arange(rows), "x": x, "score": score,
    ...                          "prediction": score > 0.5, "target": rng.uniform(size=rows) < score})
    >>> reference = Reference(frame(3_000))
    >>> reference.task, reference.features, reference.excluded["id"]
    ('binary', ('x',), 'identifier: named like one')
    >>> drift = reference.drift(frame(1_000, shift=1.0), chunk=500)
    >>> drift.to_polars().filter(method="psi").select("chunk", "feature", "verdict").rows()
    [(0, 'x', 'alert'), (1, 'x', 'alert')]
    >>> realized = reference.performance(frame(1_000), chunk=500)
    >>> realized.to_polars().filter(method="f1").select("chunk", "verdict").rows()
    [(0, 'ok'), (1, 'ok')]
    >>> reference.estimate(frame(1_000), chunk=500).verdict
    'ok'
    """

    def __init__(
        self,
        data: Frame,
        *,
        task: str | None = None,
        target: str | None = None,
        prediction: str | None = None,
        score: str | None = None,
        probabilities: Probabilities | None = None,
        timestamp: str | None = None,
        ids: str | Sequence[str] = (),
        features: Sequence[str] | None = None,
        categorical: Sequence[str] = (),
        exclude: Sequence[str] = (),
        roles: Mapping[str, Role] | None = None,
        min_chunk_rows: int = DEFAULT_MIN_CHUNK_ROWS,
        monitoring: MonitoringConfig | None = None,
    ) -> None:
        self.table = as_table(data, "reference")
        names = self.table.column_names
        if min_chunk_rows < 1:
            raise DatasetError(f"min_chunk_rows: must be at least 1 (got {min_chunk_rows})")
        self.min_chunk_rows = min_chunk_rows
        self.monitoring = monitoring or MonitoringConfig()
        self.columns: TaskColumns = find_task_columns(
            self.table,
            task=task,
            target=target,
            prediction=prediction,
            score=score,
            probabilities=probabilities,
        )
        identifiers = [ids] if isinstance(ids, str) else list(ids)
        self._options = RoleOptions(
            exclude=list(exclude),
            prediction=self.columns.outputs,
            target=() if self.columns.target is None else (self.columns.target,),
            timestamp=() if timestamp is None else (timestamp,),
            roles={**dict.fromkeys(identifiers, "identifier"), **(roles or {})},
        )
        named = {name: _KEYWORDS[flag] for name, flag in self._options.named().items()}
        named.update(dict.fromkeys(categorical, "categorical"))
        named.update(dict.fromkeys(features or (), "features"))
        unknown = [name for name in named if name not in names]
        if unknown:
            raise DatasetError(
                f"{option(named[unknown[0]])} {unknown[0]!r}: not a column of the reference "
                f"({', '.join(names)})"
            )
        self._features_given = list(features) if features is not None else None
        assigned = assign_roles(
            self.table, self._features_given or names, self._options, infer=features is None
        )
        self.excluded: dict[str, str] = {
            name: self._reason(name, why) for name, why in assigned.excluded.items()
        }
        check_has_values(self.table, assigned.features, "reference")
        kinds = infer_column_kinds(self.table.select(list(assigned.features)), categorical)
        self.kinds: dict[str, FeatureKind] = dict(kinds.kinds)
        self.skipped: dict[str, str] = dict(kinds.skipped)
        self.timestamp = timestamp or _only_timestamp(self.excluded)
        self._baseline: Baseline | None = None
        self._estimator: ExternalEstimator | None = None
        self._reference_frame: pl.DataFrame | None = None
        self._bands: dict[Chunking, tuple[dict[str, Band | None], int]] = {}

    @property
    def task(self) -> ModelTask | None:
        """The model's task, or None when the reference has no model outputs."""
        return self.columns.task

    @property
    def features(self) -> tuple[str, ...]:
        """The features compared for drift, in the reference's order."""
        return tuple(self.kinds)

    @property
    def baseline(self) -> Baseline:
        """The drift baseline: each feature's profile and exact grid (built on first use)."""
        if self._baseline is None:
            if not self.kinds:
                raise DatasetError(
                    "reference: no feature to compare ("
                    + "; ".join(f"{name}: {why}" for name, why in self._left_out().items())
                    + ")"
                )
            self._baseline = build_baseline(
                self.table.select(list(self.kinds)), self.kinds, self.monitoring
            )
        return self._baseline

    @property
    def estimator(self) -> ExternalEstimator:
        """The estimator of performance before targets, fitted on the reference's rows with
        a target (on first use): a score calibrator (binary), per-class calibrators
        (multiclass) or loss models (regression)."""
        if self._estimator is None:
            task, columns = self._task_columns("estimate")
            if task == "multiclass" and not (
                columns.probability_columns or columns.probability_column
            ):
                raise DatasetError(
                    "estimate: multiclass estimation needs the class probabilities: give "
                    f"{option('probabilities')} (one column per class, or a struct/JSON column)"
                )
            self._estimator = fit_reference_estimator(
                task, self._labelled(), columns.classes, _inputs(self._inputs())
            )
        return self._estimator

    def drift(
        self, current: Frame, chunk: ChunkSpec = None, verdict: VerdictRule | None = None
    ) -> AnalysisResult:
        """Each feature's drift in each chunk of ``current`` (rows: feature, statistic).

        ``verdict``: ``calibrated`` (each feature's PSI levels from the reference's own
        chunk-to-chunk noise at the chunk's size), ``fixed`` (the ``psi`` levels), or None
        (``monitoring.drift_verdict``); each PSI row carries the levels it was judged by.

        >>> import numpy as np, polars as pl
        >>> rng = np.random.default_rng(1)
        >>> reference = Reference(pl.DataFrame({"x": rng.normal(size=20_000)}))
        >>> shifted = pl.DataFrame({"x": rng.normal(0.3, 1.0, 5_000)})
        >>> [reference.drift(shifted, verdict=rule).verdict for rule in ("calibrated", "fixed")]
        ['alert', 'ok']
        """
        table = as_table(current, "current")
        chunking = self._chunking(chunk)
        self._check_features(table)
        wanted = list(self.kinds)
        if chunking.timestamp_column is not None and chunking.timestamp_column not in wanted:
            wanted.append(_column(table, chunking.timestamp_column, "current"))
        baseline = self._baseline_for(verdict)
        chunks = compare_chunks(baseline, table.select(wanted), chunking)
        return self._result(
            "drift",
            drift_rows(chunks),
            table,
            chunking,
            **_verdict_context(baseline),
            notes=baseline_notes(baseline),
        )

    def _baseline_for(self, verdict: VerdictRule | None) -> Baseline:
        """The baseline judging by ``verdict`` (calibrated on first use)."""
        baseline = self.baseline
        if verdict is None or verdict == baseline.monitoring.drift_verdict:
            return baseline
        if verdict not in ("calibrated", "fixed"):
            raise DatasetError(f"verdict {verdict!r}: give 'calibrated' or 'fixed'")
        settings = baseline.monitoring.model_copy(update={"drift_verdict": verdict})
        judged = replace(baseline, monitoring=settings)
        if verdict == "calibrated" and not judged.calibration:
            judged = with_calibration(judged, self.table.select(list(self.kinds)))
            self._baseline = replace(judged, monitoring=baseline.monitoring)
        return judged

    def performance(self, current: Frame, chunk: ChunkSpec = None) -> AnalysisResult:
        """The realized performance of each chunk of ``current`` on its rows with a target,
        judged by the reference's chunk-to-chunk band."""
        task, columns = self._task_columns("performance")
        table = as_table(current, "current")
        chunking = self._chunking(chunk)
        frame = task_frame(table, columns, "current", target=True)
        if frame[LABEL].null_count() == frame.height:
            raise DatasetError(
                f"current: column {columns.target!r} has no values: realized performance "
                "needs targets; estimate it before them with estimate()"
            )
        chunks, frames = _split(frame, table, chunking, "current")
        bands, count = self._bands_for(chunking, chunks)
        rows = realized_rows(task, chunks, frames, columns.classes, bands)
        return self._result("performance", rows, table, chunking, **_band_context(count))

    def estimate(self, current: Frame, chunk: ChunkSpec = None) -> AnalysisResult:
        """The performance of each chunk of ``current`` estimated without its targets (CBPE
        or direct loss estimation, fitted on the reference), judged by the reference band."""
        task, columns = self._task_columns("estimate")
        estimator = self.estimator
        table = as_table(current, "current")
        chunking = self._chunking(chunk)
        inputs = self._inputs()
        frame = task_frame(table, columns, "current", target=False, inputs=inputs)
        chunks, frames = _split(frame, table, chunking, "current")
        bands, count = self._bands_for(chunking, chunks)
        rows = estimated_rows(task, chunks, frames, estimator, bands, _inputs(inputs))
        assumption = (
            regression_estimation.ASSUMPTION if task == "regression" else estimation.ASSUMPTION
        )
        return self._result(
            "estimate", rows, table, chunking, **_band_context(count), assumption=assumption
        )

    def describe(self) -> dict[str, Any]:
        """The reference's roles as JSON: task columns, timestamp, features and their kinds,
        every column left out with the reason."""
        return {
            **self.columns.describe(),
            "timestamp": self.timestamp,
            "features": dict(self.kinds),
            "excluded": dict(self.excluded),
            "skipped": dict(self.skipped),
        }

    def __repr__(self) -> str:
        return (
            f"Reference({self.table.num_rows:,} rows, task {self.task}, {len(self.kinds)} features)"
        )

    # -- columns -----------------------------------------------------------------------------

    def _reason(self, name: str, why: str) -> str:
        """Why a column is left out, in this API's words (the roles speak the CLI's)."""
        columns = self.columns
        if why.endswith("--target-column"):
            return "target: the model's target"
        if why.endswith("--prediction-column"):
            what = {columns.score: "score", columns.prediction: "prediction"}.get(name)
            return f"prediction: the model's {what or 'class probability'}"
        for flag, keyword in _KEYWORDS.items():
            why = why.replace(f": {flag}", f": {keyword}")
        return why

    def _left_out(self) -> dict[str, str]:
        return {**self.excluded, **self.skipped}

    def _task_columns(self, what: str) -> tuple[ModelTask, TaskColumns]:
        """The task and its columns, refusing a reference without outputs or targets."""
        task = self.columns.task
        if task is None:
            raise DatasetError(
                f"{what}: the reference has no model outputs (found none by name): give the "
                "task and its columns: "
                + ", ".join(
                    option(keyword) for keyword in ("task", "target", "prediction", "score")
                )
            )
        if self.columns.target is None:
            raise DatasetError(
                f"{what}: the reference has no target column: its targets set the band of "
                f"expected values (and fit the estimator); give {option('target')}"
            )
        return task, self.columns

    def _inputs(self) -> list[str]:
        """The loss models' inputs (regression): the numeric and yes/no features."""
        if self.columns.task != "regression":
            return []
        schema = self.table.schema
        return [name for name in self.kinds if is_number(schema.field(name).type)]

    def _labelled(self) -> pl.DataFrame:
        """The reference's task frame with its targets (and the loss models' inputs)."""
        if self._reference_frame is None:
            _, columns = self._task_columns("performance")
            frame = task_frame(self.table, columns, "reference", target=True, inputs=self._inputs())
            if frame[LABEL].null_count() == frame.height:
                raise DatasetError(
                    f"reference: column {columns.target!r} has no values: the band and the "
                    "estimator need the reference's targets"
                )
            self._reference_frame = frame
        return self._reference_frame

    def _check_features(self, current: pa.Table) -> None:
        """The current frame has every feature, of a comparable type and with values, and no
        feature the reference lacks."""
        names = list(self.kinds)
        missing = [name for name in names if name not in current.column_names]
        extra: list[str] = []
        new = [name for name in current.column_names if name not in self.table.column_names]
        if self._features_given is None and new:
            nulls = pa.table({name: pa.nulls(1, current.schema.field(name).type) for name in new})
            extra = list(assign_roles(nulls, new, self._options).features)
        if missing or extra:
            parts = [f"only in the reference: {', '.join(missing)}"] if missing else []
            parts += [f"only in the current data: {', '.join(extra)}"] if extra else []
            raise DatasetError(
                f"the frames' columns differ ({'; '.join(parts)}): every feature must be in "
                f"both; leave a column out with {option('exclude')}, or give its role with "
                f"{option('roles')}"
            )
        check_current_types("current", current.schema, self.kinds)
        check_has_values(current, names, "current")

    # -- chunks ------------------------------------------------------------------------------

    def _chunking(self, chunk: ChunkSpec) -> Chunking:
        if chunk is None:
            return Chunking(number=1, min_rows=self.min_chunk_rows, caller="python")
        if isinstance(chunk, Chunking):
            if chunk.period is not None and chunk.timestamp_column is None:
                return replace(chunk, timestamp_column=self._period_column())
            return chunk
        if isinstance(chunk, bool):
            raise DatasetError(f"chunk={chunk}: give rows per chunk, a period or a mapping")
        if isinstance(chunk, int):
            return Chunking(size=chunk, min_rows=self.min_chunk_rows, caller="python")
        if isinstance(chunk, str | timedelta):
            return self._chunking({"period": chunk})
        if isinstance(chunk, Mapping):
            unknown = sorted(set(chunk) - _CHUNK_KEYS)
            if unknown:
                raise DatasetError(
                    f"chunk: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_CHUNK_KEYS))})"
                )
            period = chunk.get("period")
            if isinstance(period, str):
                try:
                    period = parse_duration(period)
                except ValueError as error:
                    raise DatasetError(f"chunk period: {error}") from None
            return Chunking(
                size=chunk.get("size"),
                number=chunk.get("number"),
                period=period,
                timestamp_column=None if period is None else self._period_column(),
                min_rows=int(chunk.get("min_rows", self.min_chunk_rows)),
                caller="python",
            )
        raise DatasetError(
            f"chunk: {type(chunk).__name__} is not a chunking (give rows per chunk such as "
            "500, a period such as '1w', or {'number': 10})"
        )

    def _period_column(self) -> str:
        if self.timestamp is not None:
            return self.timestamp
        found = [name for name, why in self.excluded.items() if why.startswith("timestamp:")]
        raise DatasetError(
            "chunks by period: "
            + (
                f"several timestamp columns ({', '.join(found)}): give {option('timestamp')}"
                if found
                else f"the reference has no timestamp column: give {option('timestamp')}"
            )
        )

    def _bands_for(
        self, chunking: Chunking, current: Sequence[Chunk]
    ) -> tuple[dict[str, Band | None], int]:
        """Each metric's band from the reference's chunks (cut like the current data's), and
        how many chunks made it."""
        cutting = chunking
        if chunking.number is not None:  # chunks of the current's size, not its number
            size = max(1, round(sum(chunk.rows for chunk in current) / len(current)))
            cutting = Chunking(size=size, min_rows=chunking.min_rows, caller=chunking.caller)
        if cutting not in self._bands:
            task, columns = self._task_columns("performance")
            try:
                chunks, frames = _split(self._labelled(), self.table, cutting, "reference")
            except DatasetError as error:
                raise DatasetError(f"reference: {error}") from None
            if len(chunks) < 2:
                raise DatasetError(
                    f"reference: {self.table.num_rows:,} rows make {len(chunks)} chunk ("
                    + ", ".join(f"{key} {value}" for key, value in _describe(cutting).items())
                    + "): the band of expected values needs at least 2 reference chunks; use "
                    "smaller chunks or a longer reference"
                )
            bands = reference_bands(task, frames, columns.classes)
            self._bands[cutting] = (bands, len(chunks))
        return self._bands[cutting]

    def _result(
        self,
        kind: AnalysisKind,
        rows: Sequence[ResultRow],
        current: pa.Table,
        chunking: Chunking,
        **extra: Any,
    ) -> AnalysisResult:
        context = {
            "reference_rows": self.table.num_rows,
            "current_rows": current.num_rows,
            "chunking": _describe(chunking),
            "min_chunk_rows": chunking.min_rows,
            "columns": self.describe(),
            **extra,
        }
        return AnalysisResult(kind, self.task, tuple(rows), context)


def _verdict_context(baseline: Baseline) -> dict[str, Any]:
    """How a drift result's verdicts were reached: the rule, and its levels or calibration."""
    settings = baseline.monitoring
    if baseline.verdict_rule == "fixed":
        levels = settings.psi
        return {
            "verdict_rule": "fixed",
            "psi": {"warn": levels.warn, "alert": levels.alert},
            "levels": f"PSI levels fixed: warn {levels.warn:g}, alert {levels.alert:g}",
        }
    return {
        "verdict_rule": "calibrated",
        "levels": (
            "PSI levels calibrated per feature and chunk size on the reference's "
            f"{settings.calibration_chunks} chunks (each row's thresholds)"
        ),
    }


def check_has_values(table: pa.Table, names: Sequence[str], what: str) -> None:
    """Refuse a column without a single value (every row null, or NaN)."""
    for name in names:
        column = table.column(name)
        values = column.cast(column.type.value_type) if _is_dictionary(column) else column
        if pa.types.is_floating(values.type):
            empty = not pc.any(pc.is_finite(values)).as_py()
        else:
            empty = column.null_count == len(column)
        if empty:
            raise DatasetError(
                f"{what}: column {name!r} has no values (all {len(column):,} rows are null or "
                f"not finite): a feature needs values to compare; leave it out: "
                f"exclude=[{name!r}] (--exclude {name})"
            )


def _split(
    frame: pl.DataFrame, table: pa.Table, chunking: Chunking, what: str
) -> tuple[list[Chunk], list[pl.DataFrame]]:
    """Cut a task frame into chunks (by period: on ``table``'s timestamp column)."""
    data = frame.to_arrow()
    column = chunking.timestamp_column
    if chunking.period is not None and column is not None:
        data = data.append_column(f"time:{column}", table.column(_column(table, column, what)))
        chunking = replace(chunking, timestamp_column=f"time:{column}")
    try:
        chunks = split_chunks(data, chunking)
    except DatasetError as error:
        raise DatasetError(str(error).replace("'time:", "'")) from None
    frames = []
    for chunk in chunks:
        part = pl.from_arrow(chunk.data)
        assert isinstance(part, pl.DataFrame)
        frames.append(part.select(frame.columns))
    return chunks, frames


def _column(table: pa.Table, name: str, what: str) -> str:
    if name not in table.column_names:
        raise DatasetError(
            f"{what}: has no timestamp column {name!r} (chunks by period need it; columns: "
            f"{', '.join(table.column_names)})"
        )
    return name


def _describe(chunking: Chunking) -> dict[str, Any]:
    if chunking.period is not None:
        return {"period": format_duration(chunking.period), "timestamp": chunking.timestamp_column}
    if chunking.size is not None:
        return {"size": chunking.size}
    return {"number": chunking.number}


def _band_context(chunks: int) -> dict[str, Any]:
    return {
        "band": (
            f"alert outside the mean ± {BAND_DEVIATIONS:g} standard deviations of the realized "
            f"values of the reference's {chunks} chunks"
        ),
        "reference_chunks": chunks,
    }


def _inputs(names: Sequence[str]) -> list[str]:
    """The loss models' inputs as a task frame names them."""
    return [f"{INPUT_PREFIX}{name}" for name in names]


def _only_timestamp(excluded: Mapping[str, str]) -> str | None:
    found = [name for name, why in excluded.items() if why.startswith("timestamp:")]
    return found[0] if len(found) == 1 else None


def _is_dictionary(column: pa.ChunkedArray) -> bool:
    return bool(pa.types.is_dictionary(column.type))


__all__ = ["ChunkSpec", "Reference", "check_has_values"]
