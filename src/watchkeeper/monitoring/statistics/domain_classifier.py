"""Multivariate drift: can a classifier tell reference rows from current rows?

A gradient-boosted classifier (scikit-learn's ``HistGradientBoostingClassifier``, imported
only here and only when called) is trained to separate a sample of reference rows from a
sample of current rows, and scored by cross-validated ROC AUC. About 0.5 means the two are
indistinguishable, even in feature *combinations* that per-feature statistics cannot see;
towards 1.0 they differ. Numeric features go in as they are (missing values are handled by the
model); categorical ones as codes of the reference's tracked categories (``other`` one more code).

Defaults: warn at AUC 0.55, alert at 0.65 (``monitoring.domain_classifier_auc``).

>>> import numpy as np, pyarrow as pa
>>> from watchkeeper.monitoring.profiles.profile_plan import NumericBinning, ProfilePlan
>>> plan = ProfilePlan({"x": NumericBinning(())})
>>> rng = np.random.default_rng(0)
>>> reference = pa.table({"x": rng.normal(size=400)})
>>> result = domain_classifier_drift(reference, pa.table({"x": rng.normal(3, 1, size=400)}), plan, folds=3)
>>> result.verdict, result.roc_auc > 0.9
('alert', True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from watchkeeper.config.lifecycle import DriftThresholds
from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.column_summaries import numeric_values
from watchkeeper.monitoring.profiles.profile_plan import CategoricalBinning, ProfilePlan
from watchkeeper.monitoring.statistics.drift import Verdict, verdict_of

DEFAULT_AUC_THRESHOLDS = DriftThresholds(warn=0.55, alert=0.65)
MAX_CATEGORY_CODE = 253
"""The classifier's categorical features take codes below its 255 bins (one is for missing)."""


@dataclass(frozen=True)
class MultivariateDrift:
    """Cross-validated ROC AUC of a reference-vs-current classifier, and its verdict."""

    method: str
    roc_auc: float
    roc_auc_std: float
    reference_rows: int
    current_rows: int
    folds: int
    threshold: float
    warn_threshold: float
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)


def encode_rows(table: pa.Table, plan: ProfilePlan) -> NDArray[np.float64]:
    """The plan's features as a float matrix: numbers as they are, categories as codes.

    >>> plan = ProfilePlan({"c": CategoricalBinning(("a", "b"))})
    >>> encode_rows(pa.table({"c": ["b", "z", None]}), plan).ravel().tolist()
    [1.0, 2.0, nan]
    """
    columns = []
    for name, binning in plan.features.items():
        if name not in table.column_names:
            raise SchemaError(f"column {name!r} is missing from the sample")
        column = table.column(name).combine_chunks()
        if isinstance(binning, CategoricalBinning):
            columns.append(_category_codes(column, binning))
        else:
            columns.append(numeric_values(column))
    return np.column_stack(columns) if columns else np.empty((table.num_rows, 0))


def domain_classifier_drift(
    reference_sample: pa.Table,
    current_sample: pa.Table,
    plan: ProfilePlan,
    thresholds: DriftThresholds = DEFAULT_AUC_THRESHOLDS,
    folds: int = 5,
    seed: int = 0,
    threads: int = 1,
) -> MultivariateDrift:
    """Train on both samples with ``folds``-fold stratified cross-validation; report the AUC.

    ``threads`` caps the classifier's OpenMP threads: on samples this small one thread is
    fastest, and on a busy machine extra threads spin and wait (ten times slower, measured).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from threadpoolctl import threadpool_limits

    if min(reference_sample.num_rows, current_sample.num_rows) < folds:
        raise SchemaError(
            f"the domain classifier needs at least {folds} rows on each side "
            f"(got {reference_sample.num_rows} and {current_sample.num_rows})"
        )
    rows = np.vstack([encode_rows(reference_sample, plan), encode_rows(current_sample, plan)])
    target = np.concatenate(
        [np.zeros(reference_sample.num_rows), np.ones(current_sample.num_rows)]
    ).astype(np.int64)
    categorical = [isinstance(binning, CategoricalBinning) for binning in plan.features.values()]
    model = HistGradientBoostingClassifier(
        max_iter=100,
        early_stopping=True,  # no signal, few trees: the no-drift case stays quick
        categorical_features=np.array(categorical, dtype=bool) if any(categorical) else None,
        random_state=seed,
    )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with threadpool_limits(limits=threads):
        scores = cross_val_score(model, rows, target, cv=splitter, scoring="roc_auc")
    auc = float(np.mean(scores))
    return MultivariateDrift(
        method="domain_classifier",
        roc_auc=auc,
        roc_auc_std=float(np.std(scores)),
        reference_rows=reference_sample.num_rows,
        current_rows=current_sample.num_rows,
        folds=folds,
        threshold=thresholds.alert,
        warn_threshold=thresholds.warn,
        verdict=verdict_of(auc, thresholds),
    )


def sample_rows(table: pa.Table, rows: int, seed: int = 0) -> pa.Table:
    """A uniform sample of at most ``rows`` rows, without replacement, in table order.

    >>> sample_rows(pa.table({"x": list(range(10))}), 3).num_rows
    3
    """
    if table.num_rows <= rows:
        return table
    chosen = np.sort(np.random.default_rng(seed).choice(table.num_rows, rows, replace=False))
    return table.take(pa.array(chosen))


class RowSampler:
    """Collects a uniform sample of about ``rows`` rows from a stream of ``total`` rows.

    Each batch keeps every row with probability ``rows / total`` (Bernoulli sampling), so the
    sample needs one pass and memory proportional to the sample, not to the stream.

    >>> sampler = RowSampler(rows=100, total=1000)
    >>> for start in range(0, 1000, 250):
    ...     sampler.add(pa.table({"x": list(range(start, start + 250))}))
    >>> 60 < sampler.sample().num_rows < 140
    True
    """

    def __init__(self, rows: int, total: int, seed: int = 0) -> None:
        self.rate = 1.0 if total <= rows else rows / total
        self._random = np.random.default_rng(seed)
        self._parts: list[pa.Table] = []

    def add(self, batch: pa.Table | pa.RecordBatch) -> None:
        """Sample one batch."""
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        if self.rate >= 1.0:
            self._parts.append(table)
            return
        keep = self._random.random(table.num_rows) < self.rate
        self._parts.append(table.filter(pa.array(keep)))

    def sample(self) -> pa.Table:
        """Everything sampled so far, as one table."""
        if not self._parts:
            raise SchemaError("no rows were sampled")
        return pa.concat_tables(self._parts, promote_options="permissive")


def _category_codes(column: pa.Array, binning: CategoricalBinning) -> NDArray[np.float64]:
    labels = column if pa.types.is_string(column.type) else column.cast(pa.string())
    tracked = pa.array(binning.categories[:MAX_CATEGORY_CODE], type=pa.string())
    positions = pc.index_in(labels, value_set=tracked).fill_null(len(tracked))
    codes: NDArray[np.float64] = positions.to_numpy(zero_copy_only=False).astype(np.float64)
    codes[labels.is_null().to_numpy(zero_copy_only=False)] = np.nan
    return codes


__all__ = [
    "DEFAULT_AUC_THRESHOLDS",
    "MultivariateDrift",
    "RowSampler",
    "domain_classifier_drift",
    "encode_rows",
    "sample_rows",
]
