"""Compare two data files: the computation behind ``watchkeeper drift``.

The reference is read once, in memory: it fixes the plan (exact quantile edges, top
categories) and each numeric feature's exact grid (:mod:`~watchkeeper.monitoring.comparison.baseline`).
The current file is streamed in batches, so its size does not matter; a numeric feature whose
two CDFs cross between neighbouring reference values needs its values again for an exact
Wasserstein distance: kept from the first read while they fit in 256 MB, else read a second
time (that column only). With chunks (``ComparisonOptions.chunking``) each chunk is compared
with the same baseline too, and the whole from the same sorted values (each column of each
chunk is sorted once): chunks by rows are read one at a time, chunks by period need the
current file whole.

Columns are features unless they play another role (:mod:`~watchkeeper.monitoring.profiles.column_roles`:
identifiers, timestamps, predictions, targets, exclusions), which are listed with the reason.
A feature present in only one file, a feature without any value, an unreadable timestamp or a
chunk too small are errors naming the column and the rule, never a silent verdict.

>>> import tempfile, numpy as np, pyarrow as pa, pyarrow.parquet as pq
>>> folder = Path(tempfile.mkdtemp())
>>> rng = np.random.default_rng(0)
>>> pq.write_table(pa.table({"id": np.arange(5000), "x": rng.normal(size=5000)}), folder / "ref.parquet")
>>> pq.write_table(pa.table({"id": np.arange(5000), "x": rng.normal(1, 1, size=5000)}), folder / "cur.parquet")
>>> report = compare_files(folder / "ref.parquet", folder / "cur.parquet")
>>> [(item.feature, item.verdict) for item in report.features], report.excluded
([('x', 'alert')], {'id': 'identifier: named like one'})
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from watchkeeper.config import SparkConfig
from watchkeeper.config.lifecycle import MonitoringConfig
from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.comparison.baseline import (
    Baseline,
    CurrentComparison,
    FrameComparison,
    build_baseline,
)
from watchkeeper.monitoring.comparison.chunk_drift import ChunkDrift, compare_chunked
from watchkeeper.monitoring.comparison.chunks import (
    Chunk,
    Chunking,
    row_cuts,
    split_chunks,
    stream_chunks,
)
from watchkeeper.monitoring.comparison.column_comparison import compare_columns
from watchkeeper.monitoring.comparison.dataset_files import (
    BATCH_ROWS,
    DatasetFile,
    iter_batches,
    open_dataset,
    read_table,
)
from watchkeeper.monitoring.comparison.report import DriftReport, build_drift_report
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.column_kinds import infer_column_kinds
from watchkeeper.monitoring.profiles.column_roles import RoleOptions, assign_roles
from watchkeeper.monitoring.profiles.column_summaries import is_text
from watchkeeper.monitoring.profiles.profile_builder import DEFAULT_THREADS, VOCABULARY_LIMIT
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind
from watchkeeper.monitoring.statistics.domain_classifier import (
    RowSampler,
    domain_classifier_drift,
    sample_rows,
)
from watchkeeper.monitoring.statistics.drift_calibration import calibration_notes
from watchkeeper.monitoring.statistics.quality import Range

KEPT_VALUES = 32_000_000
"""Numeric values (256 MB) up to which the current file's are kept from the first read, so
that an exact Wasserstein distance never needs a second one."""


@dataclass(frozen=True)
class ComparisonOptions:
    """What to compare and how: features, forced categoricals, column roles, thresholds,
    multivariate check, chunks."""

    features: Sequence[str] | None = None
    categorical: Sequence[str] = ()
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    ranges: Mapping[str, Range] = field(default_factory=dict)
    multivariate: bool = False
    batch_rows: int = BATCH_ROWS
    seed: int = 0
    roles: RoleOptions = field(default_factory=RoleOptions)
    chunking: Chunking | None = None
    spark: SparkConfig | None = None
    """Compare the current file on this Spark session's cluster (the reference stays here)."""


@dataclass(frozen=True)
class _Columns:
    kinds: dict[str, FeatureKind]
    skipped: dict[str, str]
    excluded: dict[str, str]


def compare_files(
    reference_path: Path, current_path: Path, options: ComparisonOptions | None = None
) -> DriftReport:
    """Drift report of the current file against the reference file."""
    settings = options or ComparisonOptions()
    if settings.spark is not None and (settings.chunking is not None or settings.multivariate):
        raise DatasetError(
            "--engine spark compares the whole current file: drop --chunk-size, --chunks, "
            "--chunk-period and --multivariate, or use --engine polars"
        )
    reference, current = open_dataset(reference_path), open_dataset(current_path)
    for dataset in (reference, current):
        if dataset.rows == 0:
            raise DatasetError(f"{dataset.path}: has no rows")
    reference_table = read_table(reference, _candidates(reference, current, settings))
    columns = _columns(reference, current, reference_table, settings)
    names = list(columns.kinds)
    check_current_types(current.path, current.schema, columns.kinds)
    _check_not_empty(reference.path, reference_table, names)
    baseline = build_baseline(  # no reference sketches: KS and Wasserstein are exact
        reference_table.select(names),
        columns.kinds,
        settings.monitoring,
        settings.ranges,
        sketches=False,
    )
    reference_sample = None
    if settings.multivariate:
        sample_size = settings.monitoring.domain_classifier_sample
        reference_sample = sample_rows(reference_table.select(names), sample_size, settings.seed)
    del reference_table  # the baseline holds what is needed: give its memory back
    pa.default_memory_pool().release_unused()
    sampler = (
        RowSampler(settings.monitoring.domain_classifier_sample, current.rows, settings.seed)
        if settings.multivariate
        else None
    )
    chunks: list[ChunkDrift] = []
    if settings.spark is not None:
        whole = _on_spark(baseline, current, settings.spark)
    elif sampler is None and _by_columns(current, settings.chunking):
        whole, chunks = _columns_compared(baseline, current, settings.chunking)
    elif settings.chunking is None:
        whole = _stream(baseline, current, settings, sampler)
    else:
        whole, chunks = _chunked(baseline, current, settings.chunking, sampler)
    _check_current_values(current.path, whole)
    multivariate = None
    if sampler is not None and reference_sample is not None:
        multivariate = domain_classifier_drift(
            reference_sample,
            sampler.sample(),
            baseline.plan,
            settings.monitoring.domain_classifier_auc,
            seed=settings.seed,
        )
    report = build_drift_report(
        baseline.profile,
        whole.profile,
        settings.monitoring,
        ranges=settings.ranges,
        multivariate=multivariate,
        skipped=columns.skipped,
        exact=whole.exact,
        shares=whole.shares,
        calibration=baseline.judged_calibration,
    )
    return report.with_context(
        excluded=columns.excluded, notes=baseline_notes(baseline), chunks=tuple(chunks)
    )


def _by_columns(current: DatasetFile, chunking: Chunking | None) -> bool:
    """Whether the current file is compared a column at a time: chunks by rows (or none),
    and a column (twice over, sorted, per thread) well within :data:`KEPT_VALUES`."""
    by_rows = chunking is None or chunking.period is None
    return by_rows and current.rows * 2 * DEFAULT_THREADS <= KEPT_VALUES


def _columns_compared(
    baseline: Baseline, current: DatasetFile, chunking: Chunking | None
) -> tuple[FrameComparison, list[ChunkDrift]]:
    """The current file compared a column at a time (memory: a few columns, not the rows)."""
    cuts = row_cuts(current.rows, chunking) if chunking is not None else None

    def read_column(name: str) -> pa.ChunkedArray:
        return read_table(current, [name]).column(0)

    whole, compared = compare_columns(baseline, read_column, current.rows, cuts)
    chunks = [
        ChunkDrift(index, start, end, end - start, tuple(chunk.drift()))
        for index, ((start, end), chunk) in enumerate(
            zip(itertools.pairwise(cuts or []), compared, strict=True)
        )
    ]
    return whole, chunks


def _stream(
    baseline: Baseline,
    current: DatasetFile,
    settings: ComparisonOptions,
    sampler: RowSampler | None,
) -> FrameComparison:
    numeric = len(baseline.grids)
    kept = current.rows * numeric <= KEPT_VALUES
    # KS, Wasserstein and range shares are exact: no quantile sketch of the current is read
    comparison = CurrentComparison(baseline, keep_values=kept, sketches=False)
    batches = iter_batches(current, baseline.features, settings.batch_rows)
    batch = next(batches, None)
    while batch is not None:
        following = next(batches, None)
        # the last batch compares each kept column at once, letting its values go
        comparison.update(batch, last=following is None)
        if sampler is not None:
            sampler.add(batch)
        batch = following
    if comparison.needs_second_look:
        names = comparison.second_look_features
        for batch in iter_batches(current, names, settings.batch_rows):
            comparison.update_second_look(batch)
    return comparison.result()


def _on_spark(baseline: Baseline, current: DatasetFile, config: SparkConfig) -> FrameComparison:
    """The current file read and compared by Spark (Parquet, or CSV with a header)."""
    from watchkeeper.compute.spark_session import spark_session
    from watchkeeper.monitoring.comparison.spark_comparison import compare_spark_frame

    session = spark_session(config)
    path = str(current.path)
    if current.format == "parquet":
        frame = session.read.parquet(path)
    else:
        frame = session.read.options(header="true", inferSchema="true").csv(path)
    return compare_spark_frame(baseline, frame)


def _chunked(
    baseline: Baseline, current: DatasetFile, chunking: Chunking, sampler: RowSampler | None
) -> tuple[FrameComparison, list[ChunkDrift]]:
    names = baseline.features
    wanted = [*names]
    column = chunking.timestamp_column
    if column is not None and column not in wanted:
        if column not in current.schema.names:
            raise DatasetError(
                f"--timestamp-column {column}: not a column of {current.path} "
                f"({', '.join(current.schema.names)})"
            )
        wanted.append(column)
    if chunking.period is None:  # chunks by rows: read one at a time
        batches = iter_batches(current, names)
        chunks: Iterable[Chunk] = stream_chunks(batches, current.rows, chunking)
    else:  # chunks by period: rows of a period lie anywhere in the file
        chunks = split_chunks(read_table(current, wanted), chunking)
    return compare_chunked(baseline, _sampled(chunks, names, sampler))


def _sampled(
    chunks: Iterable[Chunk], names: Sequence[str], sampler: RowSampler | None
) -> Iterator[Chunk]:
    """The chunks, each also given to ``sampler`` (if any) as it passes."""
    for chunk in chunks:
        if sampler is not None:
            sampler.add(chunk.data.select(list(names)))
        yield chunk


def _candidates(
    reference: DatasetFile, current: DatasetFile, settings: ComparisonOptions
) -> list[str]:
    """The reference columns to read: the wanted features, or every column (roles are
    inferred from the values)."""
    in_current = set(current.schema.names)
    if settings.features:
        in_both = [name for name in reference.schema.names if name in in_current]
        for option, names in (
            ("--features", settings.features),
            ("--categorical", settings.categorical),
        ):
            unknown = [name for name in names if name not in in_both]
            if unknown:
                raise DatasetError(
                    f"{option}: {', '.join(unknown)} not in both files (common columns: "
                    f"{', '.join(in_both)})"
                )
        wanted = set(settings.features)
        return [name for name in reference.schema.names if name in wanted]
    return list(reference.schema.names)


def _columns(
    reference: DatasetFile,
    current: DatasetFile,
    reference_table: pa.Table,
    settings: ComparisonOptions,
) -> _Columns:
    reference_names, current_names = reference.schema.names, current.schema.names
    if not set(reference_names) & set(current_names):
        raise DatasetError(
            f"{reference.path} and {current.path} have no columns in common "
            f"(reference: {', '.join(reference_names)}; current: {', '.join(current_names)})"
        )
    everywhere = [*reference_names, *(n for n in current_names if n not in reference_names)]
    named = settings.roles.named()
    unknown = [name for name in named if name not in everywhere]
    if unknown:
        raise DatasetError(
            f"{named[unknown[0]]} {unknown[0]}: not a column of either file "
            f"(columns: {', '.join(everywhere)})"
        )
    if settings.features:  # the features asked for: only the options' roles apply
        roles = assign_roles(reference_table, settings.features, settings.roles, infer=False)
    else:
        unknown = [name for name in settings.categorical if name not in everywhere]
        if unknown:
            raise DatasetError(f"--categorical: {', '.join(unknown)} not a column of either file")
        table = reference_table
        for name in everywhere:
            if name not in reference_names:  # judged by its name and type
                field_type = current.schema.field(name).type
                table = table.append_column(name, pa.nulls(table.num_rows, field_type))
        roles = assign_roles(table, everywhere, settings.roles)
    feature_names, excluded = list(roles.features), roles.excluded
    comparable = [name for name in feature_names if _comparable(reference, current, name)]
    _check_same_features(reference, current, comparable)
    kinds = infer_column_kinds(reference_table.select(comparable), settings.categorical)
    skipped = {
        name: reason
        for name, reason in _type_skipped(reference, current, feature_names).items()
        if name not in kinds.kinds
    }
    skipped.update(kinds.skipped)
    if not kinds.kinds:
        why = {**excluded, **skipped}
        raise DatasetError(
            f"{reference.path} and {current.path}: no feature to compare "
            f"({'; '.join(f'{name}: {reason}' for name, reason in why.items()) or 'no columns'})"
        )
    return _Columns(dict(kinds.kinds), skipped, excluded)


def _comparable(reference: DatasetFile, current: DatasetFile, name: str) -> bool:
    schema = reference.schema if name in reference.schema.names else current.schema
    return _is_comparable(schema.field(name).type)


def _type_skipped(
    reference: DatasetFile, current: DatasetFile, names: Sequence[str]
) -> dict[str, str]:
    skipped = {}
    for name in names:
        schema = reference.schema if name in reference.schema.names else current.schema
        data_type = schema.field(name).type
        if not _is_comparable(data_type):
            skipped[name] = f"type {data_type} is neither numeric nor categorical"
    return skipped


def _is_comparable(data_type: pa.DataType) -> bool:
    if pa.types.is_dictionary(data_type):
        data_type = data_type.value_type
    return bool(is_number(data_type) or is_text(data_type)) and not pa.types.is_null(data_type)


def _check_same_features(
    reference: DatasetFile, current: DatasetFile, names: Sequence[str]
) -> None:
    only_reference = [name for name in names if name not in current.schema.names]
    only_current = [name for name in names if name not in reference.schema.names]
    if not (only_reference or only_current):
        return
    parts = []
    if only_reference:
        parts.append(f"only in the reference: {', '.join(only_reference)}")
    if only_current:
        parts.append(f"only in the current data: {', '.join(only_current)}")
    raise DatasetError(
        f"the files' columns differ ({'; '.join(parts)}): every feature must be in both; "
        "leave a column out with --exclude, or give its role (--role COL=ROLE)"
    )


def check_current_types(
    source: object, schema: pa.Schema, kinds: Mapping[str, FeatureKind]
) -> None:
    """Refuse a current column that is not numeric where the reference's is (``source``
    names the current data in the message)."""
    for name, kind in kinds.items():
        data_type = schema.field(name).type
        if kind == "numeric" and (is_text(data_type) or not is_number(data_type)):
            raise DatasetError(
                f"{source}: column {name!r} is {data_type}, but numeric in the reference"
            )


def _check_not_empty(path: Path, table: pa.Table, names: Sequence[str]) -> None:
    for name in names:
        column = table.column(name)
        if column.null_count == len(column):
            raise DatasetError(
                f"{path}: column {name!r} has no values (all {len(column):,} rows are null): "
                f"a feature needs values to compare; leave it out with --exclude {name}"
            )


def _check_current_values(path: Path, whole: FrameComparison) -> None:
    for name, profile in whole.profile.features.items():
        if profile.count == 0:
            raise DatasetError(
                f"{path}: column {name!r} has no values (all {profile.rows:,} rows are null "
                f"or not finite): a feature needs values to compare; leave it out with "
                f"--exclude {name}"
            )


def vocabulary_notes(baseline: Baseline) -> dict[str, str]:
    """A note on each categorical feature whose values are not all compared one by one."""
    notes = {}
    top_k = baseline.monitoring.top_k
    for name, profile in baseline.profile.features.items():
        if not isinstance(profile, CategoricalProfile):
            continue
        if profile.vocabulary is None:
            notes[name] = (
                f"more than {VOCABULARY_LIMIT:,} distinct values in the reference: the top "
                f"{len(profile.categories)} are compared one by one, the rest together as "
                "'other'; new values are not counted apart"
            )
        elif len(profile.vocabulary) > top_k:
            notes[name] = (
                f"{len(profile.vocabulary):,} distinct values in the reference: the top "
                f"{len(profile.categories)} are compared one by one, the rest together as "
                "'other'"
            )
    return notes


def baseline_notes(baseline: Baseline) -> dict[str, str]:
    """The notes on a baseline's features: what their statistics leave out
    (:func:`vocabulary_notes`) and how their calibrated levels were widened."""
    notes = vocabulary_notes(baseline)
    for name, note in calibration_notes(baseline.judged_calibration).items():
        notes[name] = f"{notes[name]}; {note}" if name in notes else note
    return notes


def is_number(data_type: pa.DataType) -> bool:
    """Integers, floats, decimals, booleans (and nulls): what a numeric feature may hold."""
    return bool(
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_decimal(data_type)
        or pa.types.is_boolean(data_type)
        or pa.types.is_null(data_type)
    )


__all__ = [
    "ComparisonOptions",
    "baseline_notes",
    "check_current_types",
    "compare_files",
    "is_number",
    "vocabulary_notes",
]
