"""What an analysis gives: one tidy row per chunk, feature and method, as a frame, JSON or HTML.

Every row says where it was measured (``chunk``, its ``start`` and ``end``: row positions, or
times for chunks by period; its ``rows``), what (``feature``, None for a model's performance;
``method``: the statistic or metric), the ``value`` with its confidence bounds where the
statistic has them, the thresholds it is judged by, and the ``verdict``:

==========  ==============================================================================
verdict     meaning
==========  ==============================================================================
ok          within its thresholds
warn        drift: PSI at or above the warn level
alert       drift: PSI at or above the alert level; performance: outside the reference band
no_data     the chunk cannot give the value (no positives for a recall, say)
unjudged    performance: the reference's chunks give no band for this metric
None        a statistic reported beside the one that decides (KS, p-values...)
==========  ==============================================================================

The same inputs give the same JSON, byte for byte.

>>> row = ResultRow(0, 0, 100, 100, "x", "psi", 0.3, threshold=0.25, warn_threshold=0.1, verdict="alert")
>>> result = AnalysisResult("drift", None, (row,), {"reference_rows": 1000})
>>> result.verdict, result.to_polars()["value"].to_list()
('alert', [0.3])
>>> print(result.to_json(indent=None)[:60])
{"kind": "drift", "task": null, "verdict": "alert", "referen
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from importlib.util import find_spec
from typing import Any, Literal

import polars as pl

from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.statistics.drift import VERDICT_ORDER

AnalysisKind = Literal["drift", "performance", "estimate"]
RowVerdict = Literal["ok", "warn", "alert", "no_data", "unjudged"]
UNJUDGED = "unjudged"


@dataclass(frozen=True)
class ResultRow:
    """One value of one chunk: where, what, how much, how sure, and the verdict."""

    chunk: int
    start: int | datetime
    end: int | datetime
    rows: int
    feature: str | None
    method: str
    value: float | None
    confidence_low: float | None = None
    confidence_high: float | None = None
    lower_threshold: float | None = None
    threshold: float | None = None
    warn_threshold: float | None = None
    verdict: RowVerdict | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON values (times as ISO 8601, no NaN)."""
        return {name: _plain(value) for name, value in asdict(self).items()}


COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(ResultRow))
"""The columns of the tidy frame, in order."""

_DTYPES: Mapping[str, type[pl.DataType]] = {
    **dict.fromkeys(("chunk", "start", "end", "rows"), pl.Int64),
    **dict.fromkeys(COLUMNS[6:12], pl.Float64),  # value to warn_threshold
}


@dataclass(frozen=True)
class AnalysisResult:
    """The rows of one analysis (``kind``: drift, performance or estimate) of a current frame
    against a :class:`~watchkeeper.analysis.reference.Reference`, and what it was run on
    (``context``: rows, chunking, column roles, notes...)."""

    kind: AnalysisKind
    task: str | None
    rows: tuple[ResultRow, ...]
    context: Mapping[str, Any]

    @property
    def verdict(self) -> str:
        """The worst verdict of any row: ``ok``, ``warn`` or ``alert``; ``unjudged`` when no
        row has one of them."""
        judged = [row.verdict for row in self.rows if row.verdict in VERDICT_ORDER]
        if not judged:
            return UNJUDGED
        return max(judged, key=lambda verdict: VERDICT_ORDER[str(verdict)]) or UNJUDGED

    @property
    def chunks(self) -> int:
        """How many chunks the current data was cut into."""
        return len({row.chunk for row in self.rows})

    def to_polars(self) -> pl.DataFrame:
        """The tidy frame: one row per chunk, feature and method (:data:`COLUMNS`)."""
        times = any(isinstance(row.start, datetime) for row in self.rows)
        columns = []
        for name in COLUMNS:
            values = [getattr(row, name) for row in self.rows]
            if name in ("start", "end") and times:
                columns.append(pl.Series(name, values))  # the times' own zone
            else:
                columns.append(pl.Series(name, values, dtype=_DTYPES.get(name, pl.String)))
        return pl.DataFrame(columns)

    def to_pandas(self) -> Any:
        """The tidy frame as a pandas ``DataFrame`` (pandas must be installed)."""
        if find_spec("pandas") is None:
            raise DatasetError("to_pandas: pandas is not installed (pip install pandas)")
        return self.to_polars().to_pandas()

    def to_dict(self) -> dict[str, Any]:
        """The whole result as JSON values: what was run, then the rows."""
        return {
            "kind": self.kind,
            "task": self.task,
            "verdict": self.verdict,
            **{name: _plain(value) for name, value in self.context.items()},
            "results": [row.to_dict() for row in self.rows],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text: the same inputs give the same bytes."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def to_html(self, title: str | None = None) -> str:
        """A self-contained HTML page (inline SVG, no script): a chart per metric over the
        chunks, with its thresholds and confidence bounds, alerts marked."""
        from watchkeeper.analysis.plots import render_result

        return render_result(self, title or _TITLES[self.kind])

    def __repr__(self) -> str:
        return (
            f"AnalysisResult({self.kind}, task={self.task}, {self.chunks} chunks, "
            f"{len(self.rows)} rows, verdict {self.verdict})"
        )


_TITLES: Mapping[str, str] = {
    "drift": "Drift per chunk",
    "performance": "Realized performance per chunk",
    "estimate": "Estimated performance per chunk",
}


def _plain(value: Any) -> Any:
    """A value as JSON: times as ISO 8601, NaN as None, containers recursively."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


__all__ = ["COLUMNS", "UNJUDGED", "AnalysisKind", "AnalysisResult", "ResultRow", "RowVerdict"]
