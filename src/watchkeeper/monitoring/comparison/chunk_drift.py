"""Per-chunk drift: each chunk of the current data against one baseline built once.

>>> import numpy as np, pyarrow as pa
>>> from watchkeeper.monitoring.comparison.baseline import build_baseline
>>> from watchkeeper.monitoring.comparison.chunks import Chunking
>>> rng = np.random.default_rng(0)
>>> baseline = build_baseline(pa.table({"x": rng.normal(size=3_000)}), {"x": "numeric"})
>>> current = pa.table({"x": np.concatenate([rng.normal(size=500), rng.normal(2, 1, 500)])})
>>> [(item.chunk, item.rows, item.verdict) for item in compare_chunks(baseline, current, Chunking(number=2))]
[(0, 500, 'ok'), (1, 500, 'alert')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from watchkeeper.monitoring.comparison.baseline import (
    Baseline,
    CurrentComparison,
    FrameComparison,
    compare_frame,
)
from watchkeeper.monitoring.comparison.chunks import Chunk, Chunking, split_chunks
from watchkeeper.monitoring.profiles.profile_builder import DEFAULT_THREADS
from watchkeeper.monitoring.statistics.drift import VERDICT_ORDER, FeatureDrift, Verdict


@dataclass(frozen=True)
class ChunkDrift:
    """One chunk's bounds (rows, or times for chunks by period), size and per-feature drift."""

    chunk: int
    start: int | datetime
    end: int | datetime
    rows: int
    features: tuple[FeatureDrift, ...]

    @property
    def verdict(self) -> Verdict:
        """The worst verdict of the chunk's features."""
        verdicts = [feature.verdict for feature in self.features]
        return max(verdicts, key=VERDICT_ORDER.__getitem__, default="ok")

    def to_dict(self) -> dict[str, Any]:
        """The chunk's JSON entry (times as ISO 8601)."""
        return {
            "chunk": self.chunk,
            "start": _plain(self.start),
            "end": _plain(self.end),
            "rows": self.rows,
            "features": [feature.to_dict() for feature in self.features],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], warn: Mapping[str, float]) -> ChunkDrift:
        """Rebuild a chunk from :meth:`to_dict`'s output (``warn``: the warn levels of output
        whose features do not carry their own)."""
        return cls(
            int(data["chunk"]),
            _parsed(data["start"]),
            _parsed(data["end"]),
            int(data["rows"]),
            tuple(
                FeatureDrift.from_dict(item, warn.get(item["feature"])) for item in data["features"]
            ),
        )


def compare_chunks(
    baseline: Baseline,
    data: pa.Table,
    chunking: Chunking,
    threads: int = DEFAULT_THREADS,
) -> list[ChunkDrift]:
    """Each chunk of ``data`` against ``baseline`` (exact KS and Wasserstein per chunk, so
    the chunks' profiles need no quantile sketch)."""
    results = []
    for chunk in split_chunks(data, chunking):
        selected = chunk.data.select(baseline.features)
        compared = compare_frame(baseline, selected, threads, sketches=False)
        results.append(_chunk_drift(chunk, compared))
    return results


def compare_chunked(
    baseline: Baseline, chunks: Iterable[Chunk], threads: int = DEFAULT_THREADS
) -> tuple[FrameComparison, list[ChunkDrift]]:
    """The whole of the data and each of its ``chunks`` against ``baseline``, as
    :func:`compare_frame` and :func:`compare_chunks` give them, in one pass: each column of
    each chunk is sorted once, and the whole's sorted values are the chunks' merged (every
    row lies in exactly one chunk). The chunks may come one at a time
    (:func:`~watchkeeper.monitoring.comparison.chunks.stream_chunks`).

    >>> import numpy as np, pyarrow as pa
    >>> from watchkeeper.monitoring.comparison.baseline import build_baseline
    >>> from watchkeeper.monitoring.comparison.chunks import split_chunks
    >>> rng = np.random.default_rng(0)
    >>> baseline = build_baseline(pa.table({"x": rng.normal(size=3_000)}), {"x": "numeric"})
    >>> chunks = split_chunks(pa.table({"x": rng.normal(size=1_000)}), Chunking(number=2))
    >>> whole, drift = compare_chunked(baseline, chunks)
    >>> whole.rows, [chunk.rows for chunk in drift]
    (1000, [500, 500])
    """
    whole = CurrentComparison(baseline, threads, keep_values=True, sketches=False)
    results = []
    pending = iter(chunks)
    chunk = next(pending, None)
    while chunk is not None:
        following = next(pending, None)
        selected = chunk.data.select(baseline.features)
        compared = whole.update_chunk(selected, last=following is None)
        results.append(_chunk_drift(chunk, compared))
        chunk = following
    return whole.result(), results


def _chunk_drift(chunk: Chunk, compared: FrameComparison) -> ChunkDrift:
    return ChunkDrift(chunk.index, chunk.start, chunk.end, chunk.rows, tuple(compared.drift()))


def _plain(bound: int | datetime) -> int | str:
    return bound.isoformat() if isinstance(bound, datetime) else bound


def _parsed(bound: int | str) -> int | datetime:
    return datetime.fromisoformat(bound) if isinstance(bound, str) else int(bound)


__all__ = ["ChunkDrift", "compare_chunked", "compare_chunks"]
