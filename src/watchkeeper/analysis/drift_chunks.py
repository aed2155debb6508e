"""Per-chunk drift as tidy rows: each feature's statistics in each chunk.

The row of the deciding statistic (PSI) carries the warn and alert levels and the verdict;
the others (Jensen-Shannon, KS and its p-value, Wasserstein over the reference's standard
deviation, chi-square p-value) are reported beside it, without a verdict, where they apply.

>>> import numpy as np, pyarrow as pa
>>> from watchkeeper.monitoring.comparison.baseline import build_baseline
>>> from watchkeeper.monitoring.comparison.chunk_drift import compare_chunks
>>> from watchkeeper.monitoring.comparison.chunks import Chunking
>>> rng = np.random.default_rng(0)
>>> baseline = build_baseline(pa.table({"x": rng.normal(size=2_000)}), {"x": "numeric"})
>>> current = pa.table({"x": rng.normal(3, 1, size=200)})
>>> rows = drift_rows(compare_chunks(baseline, current, Chunking(number=1)))
>>> [(row.method, row.verdict) for row in rows][:2]
[('psi', 'alert'), ('js_distance', None)]
"""

from __future__ import annotations

from collections.abc import Sequence

from watchkeeper.analysis.results import ResultRow
from watchkeeper.metric_names import DRIFT_STATISTICS
from watchkeeper.monitoring.comparison.chunk_drift import ChunkDrift


def drift_rows(chunks: Sequence[ChunkDrift]) -> list[ResultRow]:
    """The rows of every chunk, feature by feature in the reference's order."""
    rows = []
    for chunk in chunks:
        for item in chunk.features:
            for statistic in DRIFT_STATISTICS:
                value = getattr(item, statistic)
                deciding = statistic == item.method
                if value is None and not deciding:
                    continue
                rows.append(
                    ResultRow(
                        chunk.chunk, chunk.start, chunk.end, chunk.rows, item.feature, statistic,
                        value,
                        threshold=item.threshold if deciding else None,
                        warn_threshold=item.warn_threshold if deciding else None,
                        verdict=item.verdict if deciding else None,
                    )
                )  # fmt: skip
    return rows


__all__ = ["drift_rows"]
