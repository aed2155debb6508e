"""Build profiles from Polars frames or Arrow batches, in one vectorised pass per batch.

A window is profiled with a fixed :class:`ProfilePlan` (the reference's), batch after batch:
each batch becomes a small profile that is merged into the running one, so memory depends on
the batch size and the plan, never on the number of rows.

A reference fixes the plan itself. :func:`build_reference_profile` takes it in memory and uses
exact quantiles for the bin edges (each numeric column is sorted once, and the same sorted values
give the edges, the counts and the sketch). For a reference too large for memory,
:func:`plan_from_batches` makes a first streaming pass (edges from KLL quantiles, exact category
counts) and a :class:`ProfileBuilder` with ``keep_vocabulary=True`` the second.

>>> import polars as pl
>>> reference = pl.DataFrame({"amount": [float(i) for i in range(100)], "country": ["DE", "FR"] * 50})
>>> profile = build_reference_profile(reference, {"amount": "numeric", "country": "categorical"}, bins=4)
>>> profile.features["amount"].edges
(24.75, 49.5, 74.25)
>>> window = ProfileBuilder(profile.plan()).update(reference.head(10)).update(reference.tail(10))
>>> window.profile().features["amount"].counts
(10, 0, 0, 10)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Self, TypeAlias, TypeVar

import numpy as np
import pyarrow as pa

from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.column_summaries import (
    CategoryCounter,
    LabelCounts,
    column_label_counts,
    combine_label_counts,
    label_counts,
    numeric_values,
    sorted_numbers,
)
from watchkeeper.monitoring.profiles.dataset_profile import (
    DatasetProfile,
    FeatureProfile,
    merge_feature_profiles,
)
from watchkeeper.monitoring.profiles.numeric_profile import (
    DEFAULT_SKETCH_K,
    NumericProfile,
    finite_part_of_sorted,
)
from watchkeeper.monitoring.profiles.profile_plan import (
    CategoricalBinning,
    FeatureBinning,
    FeatureKind,
    NumericBinning,
    ProfilePlan,
    quantile_edges,
    top_categories,
)
from watchkeeper.monitoring.statistics.reference_grid import (
    Bounds,
    NumericComparison,
    ReferenceGrid,
)

if TYPE_CHECKING:
    import polars as pl

Batch: TypeAlias = "pa.RecordBatch | pa.Table | pl.DataFrame"

T = TypeVar("T")

DEFAULT_THREADS = min(4, os.cpu_count() or 1)
"""Columns profiled at once: sorting and Arrow kernels run outside the GIL."""

VOCABULARY_LIMIT = 100_000
"""A reference column with more distinct values keeps no vocabulary (``unseen`` is unknown)."""


class ProfileBuilder:
    """Profiles a stream of batches with a fixed plan; ``update`` then ``profile``.

    Given the reference's ``grids``, numeric features are also compared with the reference
    exactly as they stream (:class:`~watchkeeper.monitoring.statistics.reference_grid.NumericComparison`,
    in :attr:`comparisons`), from the same sorted values; ``keep_values`` keeps those values
    for the comparison's second look (for data small enough to hold). ``sketches=False``
    leaves the compared features' quantile sketches empty (their KS and Wasserstein are exact).
    """

    def __init__(
        self,
        plan: ProfilePlan,
        sketch_k: int = DEFAULT_SKETCH_K,
        keep_vocabulary: bool = False,
        threads: int = DEFAULT_THREADS,
        grids: Mapping[str, ReferenceGrid] | None = None,
        bounds: Mapping[str, Bounds] | None = None,
        keep_values: bool = False,
        sketches: bool = True,
    ) -> None:
        self.plan = plan
        self.sketch_k = sketch_k
        self.sketches = sketches
        self.keep_values = keep_values
        self.threads = threads
        ranges = bounds or {}
        self.comparisons = {
            name: NumericComparison(grid, ranges.get(name), keep=keep_values)
            for name, grid in (grids or {}).items()
            if isinstance(plan.features.get(name), NumericBinning)
        }
        self._counters = {
            name: CategoryCounter(binning, keep_vocabulary)
            for name, binning in plan.features.items()
            if isinstance(binning, CategoricalBinning)
        }
        self._profiles: dict[str, FeatureProfile] = {
            name: self._empty(name, binning) for name, binning in plan.features.items()
        }
        self._rows = 0

    def _empty(self, name: str, binning: FeatureBinning) -> FeatureProfile:
        if isinstance(binning, NumericBinning):
            return NumericProfile.empty(binning.edges, self.sketch_k)
        counter = self._counters[name]
        vocabulary = binning.vocabulary if counter.keep_vocabulary else None
        tracks_unseen = binning.vocabulary is not None
        return CategoricalProfile.empty(binning.categories, vocabulary, tracks_unseen)

    def update(self, batch: Batch, *, last: bool = False) -> Self:
        """Add one batch (a Polars frame, an Arrow table or record batch). ``last``: no batch
        follows, so kept values are compared at once, column by column, and let go."""
        self._update(batch, last, alone=False)
        return self

    def update_batch(
        self, batch: Batch, *, last: bool = False
    ) -> tuple[DatasetProfile, dict[str, NumericComparison]]:
        """:meth:`update`, and the batch's own profile and exact comparisons (made): a chunk
        compared alone and as part of the whole, each column sorted once for both.

        >>> import pyarrow as pa
        >>> plan = ProfilePlan({"x": NumericBinning((0.0,))})
        >>> grids = {"x": ReferenceGrid.from_sorted(np.array([-1.0, 1.0]))}
        >>> builder = ProfileBuilder(plan, grids=grids, keep_values=True)
        >>> profile, compared = builder.update_batch(pa.table({"x": [-1.0, 1.0]}))
        >>> profile.rows, compared["x"].result().ks_statistic
        (2, 0.0)
        """
        return self._update(batch, last, alone=True)

    def _update(
        self, batch: Batch, last: bool, *, alone: bool
    ) -> tuple[DatasetProfile, dict[str, NumericComparison]]:
        table = as_arrow_table(batch)
        missing = [name for name in self.plan.features if name not in table.column_names]
        if missing:
            raise SchemaError(
                f"column {missing[0]!r} is missing from the batch (it has {table.column_names})"
            )
        names = list(self.plan.features)
        parts = map_columns(
            lambda name: self._profile_column(name, table, last, alone), names, self.threads
        )
        for name, (part, _) in zip(names, parts, strict=True):
            self._profiles[name] = merge_feature_profiles(name, self._profiles[name], part)
        self._rows += table.num_rows
        profile = DatasetProfile(
            {name: part for name, (part, _) in zip(names, parts, strict=True)}, table.num_rows
        )
        compared = {
            name: own for name, (_, own) in zip(names, parts, strict=True) if own is not None
        }
        return profile, compared

    def _profile_column(
        self, name: str, table: pa.Table, last: bool = False, alone: bool = False
    ) -> tuple[FeatureProfile, NumericComparison | None]:
        """The column's profile in this batch, and with ``alone`` its exact comparison in
        this batch (made from the same sorted values)."""
        binning = self.plan.features[name]
        if isinstance(binning, NumericBinning):
            comparison = self.comparisons.get(name)
            ordered = sorted_numbers(table.column(name))
            usable = finite_part_of_sorted(ordered)
            missing = len(ordered) - len(usable)
            if comparison is None:
                profile = NumericProfile.from_sorted(usable, missing, binning.edges, self.sketch_k)
                return profile, None
            comparison.add(usable, is_sorted=True)
            profile = NumericProfile.from_sorted(
                usable, missing, binning.edges, self.sketch_k, sketch=self.sketches
            )
            own = None
            if alone:
                own = NumericComparison(comparison.grid, comparison.bounds, keep=True)
                own.add(usable, is_sorted=True).result()
            if last and self.keep_values:
                comparison.result()  # made now, while this thread holds the column
            return profile, own
        return self._counters[name].profile(table.column(name).combine_chunks()), None

    @property
    def crossing_features(self) -> list[str]:
        """Numeric features whose exact Wasserstein distance needs the values again: give
        every batch once more to :meth:`update_crossing`."""
        return [name for name, item in self.comparisons.items() if item.needs_crossing_values]

    def update_crossing(self, batch: Batch) -> Self:
        """The second look at a batch, for :attr:`crossing_features`."""
        table = as_arrow_table(batch)
        names = self.crossing_features

        def keep(name: str) -> None:
            values = numeric_values(table.column(name).combine_chunks())
            self.comparisons[name].add_crossing(values[np.isfinite(values)])

        map_columns(keep, names, self.threads)
        return self

    def profile(
        self, window_start: datetime | None = None, window_end: datetime | None = None
    ) -> DatasetProfile:
        """The profile of every batch added so far."""
        return DatasetProfile(dict(self._profiles), self._rows, window_start, window_end)


def build_profile(
    data: Batch | Iterable[Batch], plan: ProfilePlan, sketch_k: int = DEFAULT_SKETCH_K
) -> DatasetProfile:
    """Profile a frame, a table or an iterable of batches with ``plan``.

    >>> import pyarrow as pa
    >>> plan = ProfilePlan({"x": NumericBinning((0.0,))})
    >>> build_profile([pa.table({"x": [-1.0]}), pa.table({"x": [1.0, None]})], plan).rows
    3
    """
    builder = ProfileBuilder(plan, sketch_k)
    batches: Iterable[Batch] = [data] if _is_batch(data) else data
    for batch in batches:
        builder.update(batch)
    return builder.profile()


def build_reference_profile(
    data: Batch,
    kinds: Mapping[str, FeatureKind],
    bins: int = 10,
    top_k: int = 20,
    sketch_k: int = DEFAULT_SKETCH_K,
    threads: int = DEFAULT_THREADS,
) -> DatasetProfile:
    """Profile a reference held in memory, fixing the plan from its exact quantiles and counts."""
    profile, _ = build_reference(data, kinds, bins, top_k, sketch_k, threads, grids=False)
    return profile


def build_reference(
    data: Batch,
    kinds: Mapping[str, FeatureKind],
    bins: int = 10,
    top_k: int = 20,
    sketch_k: int = DEFAULT_SKETCH_K,
    threads: int = DEFAULT_THREADS,
    *,
    grids: bool = True,
    sketches: bool = True,
) -> tuple[DatasetProfile, dict[str, ReferenceGrid]]:
    """:func:`build_reference_profile`, and each numeric feature's exact
    :class:`~watchkeeper.monitoring.statistics.reference_grid.ReferenceGrid` from the same sorted values
    (``sketches=False``: the numeric profiles' quantile sketches left empty).

    >>> import polars as pl
    >>> profile, grids = build_reference(pl.DataFrame({"x": [3.0, 1.0, 1.0]}), {"x": "numeric"})
    >>> grids["x"].values.tolist(), profile.features["x"].count
    ([1.0, 3.0], 3)
    """
    table = as_arrow_table(data)
    absent = [name for name in kinds if name not in table.column_names]
    if absent:
        raise SchemaError(f"column {absent[0]!r} is missing from the reference")

    def profile_column(name: str) -> tuple[FeatureProfile, ReferenceGrid | None]:
        column = table.column(name)
        if kinds[name] == "numeric":
            ordered = sorted_numbers(column)
            usable = finite_part_of_sorted(ordered)
            edges = quantile_edges(usable, bins)
            profile = NumericProfile.from_sorted(
                usable, len(ordered) - len(usable), edges, sketch_k, sketch=sketches
            )
            return profile, ReferenceGrid.from_sorted(usable) if grids else None
        counted = column_label_counts(column)
        binning = categorical_binning(counted.labels.to_pylist(), counted.counts, top_k)
        return CategoryCounter(binning, keep_vocabulary=True).profile_counts(counted), None

    names = list(kinds)
    parts = map_columns(profile_column, names, threads)
    profiles = {name: part[0] for name, part in zip(names, parts, strict=True)}
    found = {name: part[1] for name, part in zip(names, parts, strict=True)}
    return (
        DatasetProfile(profiles, table.num_rows),
        {name: grid for name, grid in found.items() if grid is not None},
    )


def map_columns(function: Callable[[str], T], names: Sequence[str], threads: int) -> list[T]:
    """``function`` over the column names, on ``threads`` threads (1: in this thread).

    Threads pay off because the heavy steps (NumPy's sort, Arrow's kernels) release the GIL
    while the sketch update of another column holds it.

    >>> map_columns(lambda name: name.upper(), ["a", "b"], threads=2)
    ['A', 'B']
    """
    if threads <= 1 or len(names) <= 1:
        return [function(name) for name in names]
    with ThreadPoolExecutor(max_workers=threads) as executor:
        return list(executor.map(function, names))


def plan_from_batches(
    batches: Iterable[Batch],
    kinds: Mapping[str, FeatureKind],
    bins: int = 10,
    top_k: int = 20,
    sketch_k: int = DEFAULT_SKETCH_K,
) -> ProfilePlan:
    """First pass over a reference too large for memory: edges from KLL quantiles (within the
    sketch's rank error of the exact ones), categories and vocabulary from exact counts.

    >>> import pyarrow as pa
    >>> batches = [pa.table({"x": [1.0, 2.0], "c": ["a", "b"]}), pa.table({"x": [3.0, 4.0], "c": ["b", None]})]
    >>> plan = plan_from_batches(batches, {"x": "numeric", "c": "categorical"}, bins=2, top_k=1)
    >>> plan.features["x"].edges, plan.features["c"].categories
    ((3.0,), ('b',))
    """
    from datasketches import kll_doubles_sketch

    sketches = {
        name: kll_doubles_sketch(sketch_k) for name, kind in kinds.items() if kind == "numeric"
    }
    parts: dict[str, list[LabelCounts]] = {name: [] for name in kinds if name not in sketches}
    for batch in batches:
        table = as_arrow_table(batch)
        for name, sketch in sketches.items():
            values = numeric_values(table.column(name).combine_chunks())
            sketch.update(values[np.isfinite(values)])  # a copy: the sketch wants writable memory
        for name, counted in parts.items():
            counted.extend(label_counts(chunk) for chunk in table.column(name).chunks)
    features: dict[str, FeatureBinning] = {}
    for name in kinds:
        if name in sketches:
            sketch = sketches[name]
            levels = np.linspace(0.0, 1.0, bins + 1)[1:-1]
            edges = np.unique(
                np.asarray(
                    sketch.get_quantiles(levels) if not sketch.is_empty() else [], dtype=np.float64
                )
            )
            features[name] = NumericBinning(
                tuple(float(edge) for edge in edges[np.isfinite(edges)])
            )
        else:
            labels, counts, _ = combine_label_counts(parts[name])
            features[name] = categorical_binning(labels, counts, top_k)
    return ProfilePlan(features)


def categorical_binning(labels: list[str], counts: np.ndarray, top_k: int) -> CategoricalBinning:
    """The top ``top_k`` labels, and the sorted vocabulary unless it exceeds :data:`VOCABULARY_LIMIT`.

    >>> categorical_binning(["b", "a"], np.array([1, 2]), top_k=1)
    CategoricalBinning(categories=('a',), vocabulary=('a', 'b'), kind='categorical')
    """
    vocabulary = tuple(sorted(labels)) if len(labels) <= VOCABULARY_LIMIT else None
    return CategoricalBinning(top_categories(labels, counts, top_k), vocabulary)


def _is_batch(data: object) -> bool:
    if isinstance(data, pa.RecordBatch | pa.Table):
        return True
    return type(data).__name__ == "DataFrame" and hasattr(data, "to_arrow")


def as_arrow_table(batch: Batch) -> pa.Table:
    """A batch (Polars frame, Arrow table or record batch) as an Arrow table."""
    if isinstance(batch, pa.Table):
        return batch
    if isinstance(batch, pa.RecordBatch):
        return pa.Table.from_batches([batch])
    if hasattr(batch, "to_arrow"):
        table: pa.Table = batch.to_arrow()
        return table
    raise SchemaError(f"cannot profile a {type(batch).__name__}: give a Polars or Arrow table")


__all__ = [
    "DEFAULT_THREADS",
    "VOCABULARY_LIMIT",
    "ProfileBuilder",
    "as_arrow_table",
    "build_profile",
    "build_reference",
    "build_reference_profile",
    "categorical_binning",
    "map_columns",
    "plan_from_batches",
]
