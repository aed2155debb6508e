"""Compare two data files: the computation behind ``watchkeeper drift``.

The reference is read once, in memory, and fixes the plan (exact quantile edges, top
categories); the current file is streamed in batches through a :class:`ProfileBuilder`, so its
size does not matter. Columns present in both files are compared; the rest are listed as
skipped with the reason.

>>> import tempfile, numpy as np, pyarrow as pa, pyarrow.parquet as pq
>>> folder = Path(tempfile.mkdtemp())
>>> rng = np.random.default_rng(0)
>>> pq.write_table(pa.table({"x": rng.normal(size=5000), "only_here": np.ones(5000)}), folder / "ref.parquet")
>>> pq.write_table(pa.table({"x": rng.normal(1, 1, size=5000)}), folder / "cur.parquet")
>>> report = compare_files(folder / "ref.parquet", folder / "cur.parquet")
>>> [(item.feature, item.verdict) for item in report.features], report.skipped
([('x', 'alert')], {'only_here': 'only in the reference'})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from watchkeeper.config.lifecycle import MonitoringConfig
from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.column_kinds import infer_column_kinds
from watchkeeper.monitoring.column_summaries import is_text
from watchkeeper.monitoring.dataset_files import (
    BATCH_ROWS,
    DatasetFile,
    iter_batches,
    open_dataset,
    read_table,
)
from watchkeeper.monitoring.domain_classifier import (
    RowSampler,
    domain_classifier_drift,
    sample_rows,
)
from watchkeeper.monitoring.profile_builder import ProfileBuilder, build_reference_profile
from watchkeeper.monitoring.profile_plan import FeatureKind
from watchkeeper.monitoring.quality import Range
from watchkeeper.monitoring.report import DriftReport, build_drift_report


@dataclass(frozen=True)
class ComparisonOptions:
    """What to compare and how: features, forced categoricals, thresholds, multivariate."""

    features: Sequence[str] | None = None
    categorical: Sequence[str] = ()
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    ranges: Mapping[str, Range] = field(default_factory=dict)
    multivariate: bool = False
    batch_rows: int = BATCH_ROWS
    seed: int = 0


def compare_files(
    reference_path: Path, current_path: Path, options: ComparisonOptions | None = None
) -> DriftReport:
    """Drift report of the current file against the reference file."""
    settings = options or ComparisonOptions()
    monitoring = settings.monitoring
    reference, current = open_dataset(reference_path), open_dataset(current_path)
    for dataset in (reference, current):
        if dataset.rows == 0:
            raise DatasetError(f"{dataset.path}: has no rows")
    columns, skipped = _common_columns(reference, current, settings)
    reference_table = read_table(reference, columns)
    kinds = infer_column_kinds(reference_table, settings.categorical)
    skipped.update(kinds.skipped)
    if not kinds.kinds:
        raise DatasetError(
            f"{reference.path} and {current.path}: no numeric or categorical column to compare "
            f"({'; '.join(f'{name}: {why}' for name, why in skipped.items())})"
        )
    _check_current_types(current, kinds.kinds)
    reference_profile = build_reference_profile(
        reference_table, kinds.kinds, monitoring.bins, monitoring.top_k, monitoring.sketch_k
    )
    plan = reference_profile.plan()
    builder = ProfileBuilder(plan, monitoring.sketch_k)
    sample_size = monitoring.domain_classifier_sample
    sampler = (
        RowSampler(sample_size, current.rows, settings.seed) if settings.multivariate else None
    )
    for batch in iter_batches(current, list(kinds.kinds), settings.batch_rows):
        builder.update(batch)
        if sampler is not None:
            sampler.add(batch)
    multivariate = None
    if sampler is not None:
        multivariate = domain_classifier_drift(
            sample_rows(reference_table.select(list(kinds.kinds)), sample_size, settings.seed),
            sampler.sample(),
            plan,
            monitoring.domain_classifier_auc,
            seed=settings.seed,
        )
    return build_drift_report(
        reference_profile,
        builder.profile(),
        monitoring,
        ranges=settings.ranges,
        multivariate=multivariate,
        skipped=skipped,
    )


def _common_columns(
    reference: DatasetFile, current: DatasetFile, settings: ComparisonOptions
) -> tuple[list[str], dict[str, str]]:
    current_names = set(current.schema.names)
    common = [name for name in reference.schema.names if name in current_names]
    skipped = {
        name: "only in the reference"
        for name in reference.schema.names
        if name not in current_names
    }
    reference_names = set(reference.schema.names)
    skipped.update(
        {
            name: "only in the current data"
            for name in current.schema.names
            if name not in reference_names
        }
    )
    if not common:
        raise DatasetError(
            f"{reference.path} and {current.path} have no columns in common "
            f"(reference: {', '.join(reference.schema.names)}; current: "
            f"{', '.join(current.schema.names)})"
        )
    for option, names in (
        ("--features", settings.features or ()),
        ("--categorical", settings.categorical),
    ):
        unknown = [name for name in names if name not in common]
        if unknown:
            raise DatasetError(
                f"{option}: {', '.join(unknown)} not in both files (common columns: "
                f"{', '.join(common)})"
            )
    if settings.features:
        wanted = set(settings.features)
        skipped = {}
        common = [name for name in common if name in wanted]
    return common, skipped


def _check_current_types(current: DatasetFile, kinds: Mapping[str, FeatureKind]) -> None:
    for name, kind in kinds.items():
        data_type = current.schema.field(name).type
        if kind == "numeric" and (is_text(data_type) or not _is_number(data_type)):
            raise DatasetError(
                f"{current.path}: column {name!r} is {data_type}, but numeric in the reference"
            )


def _is_number(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_decimal(data_type)
        or pa.types.is_boolean(data_type)
        or pa.types.is_null(data_type)
    )


__all__ = ["ComparisonOptions", "compare_files"]
