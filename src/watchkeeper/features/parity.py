"""The parity check: both engines on one frame, compared feature by feature.

The batch engine computes the features of the whole frame at once; the online engine, with
a fresh in-memory state, is fed the same rows one by one in time order
(:func:`~watchkeeper.features.replay.replay_online`). Every feature of every row is compared
(:mod:`~watchkeeper.features.comparison`). Rows that break the schema are left out of both
(they are counted). This is the property the test suite proves on random streams, and what
``watchkeeper features check-parity`` runs on a user's own data.

>>> import polars as pl
>>> from datetime import datetime, UTC
>>> from watchkeeper.features.fit import fit
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "card": {"type": "string"},
...                            "amount": {"type": "float"}},
...     transforms=[{"name": "s", "op": "std", "input": "amount", "by": "card", "window": "1d"}])
>>> frame = pl.DataFrame({"event_id": ["a", "b", "c"], "card": ["x"] * 3, "amount": [1.0, 2.0, 4.0],
...                       "ts": [datetime(2026, 1, 1, hour, tzinfo=UTC) for hour in (1, 2, 3)]})
>>> report = check_parity(fit(spec, frame), frame)
>>> report.ok, report.features[0].mismatches
(True, 0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.features.batch_engine import BatchFeatureEngine
from watchkeeper.features.comparison import ColumnComparison, compare_columns
from watchkeeper.features.online_engine import OnlineFeatureEngine
from watchkeeper.features.replay import replay_online

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec


@dataclass(frozen=True)
class ParityReport:
    """Per feature, how the online engine's values compare with the batch engine's."""

    rows: int
    rejected_rows: int
    features: list[ColumnComparison]

    @property
    def ok(self) -> bool:
        """True when every feature of every row agrees."""
        return all(feature.mismatches == 0 for feature in self.features)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly report."""
        return {
            "ok": self.ok,
            "rows": self.rows,
            "rejected_rows": self.rejected_rows,
            "features": [feature.to_dict() for feature in self.features],
        }


def check_parity(
    fitted: FittedFeatureSpec,
    frame: pl.DataFrame,
    progress: Callable[[int], None] | None = None,
) -> ParityReport:
    """Run both engines on ``frame`` and compare every feature of every row."""
    batch = BatchFeatureEngine(fitted).compute(frame, policy="quarantine")
    online_engine = OnlineFeatureEngine(fitted)
    online = replay_online(online_engine, frame, policy="quarantine", progress=progress)
    event_id = fitted.spec.event_id
    identifiers = batch.features[event_id] if event_id in batch.features.columns else None
    comparisons = [
        compare_columns(
            column.name, batch.features[column.name], online.features[column.name], identifiers
        )
        for column in online_engine.plan.columns
    ]
    return ParityReport(
        rows=batch.features.height, rejected_rows=batch.rejected.height, features=comparisons
    )


__all__ = ["ParityReport", "check_parity"]
