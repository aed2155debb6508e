"""Two versions of a model compared on one realized metric over their matured windows.

When a model's versions served side by side (a split, a shadow), they are compared on the
windows where both served: the same traffic. When one replaced the other at once, no window
holds both, and the older's last windows are compared with the newer's first ones; the
comparison says so, since the traffic differs (a shift may be what made the newer version).

>>> from datetime import UTC, datetime
>>> day = [datetime(2026, 6, d, tzinfo=UTC) for d in (1, 2, 3)]
>>> compare_versions("mae", 1, 2, {day[0]: 2.0, day[1]: 4.0}, {day[1]: 3.0, day[2]: 9.0}).describe()
'mae: v1 4.0000 vs v2 3.0000 on the 1 matured windows where both served'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

COMPARED_WINDOWS = 14
"""Adjacent matured windows of each version compared when no window holds both."""


@dataclass(frozen=True)
class VersionComparison:
    """Two versions of a model compared on one realized metric over matured windows.

    ``shared`` is the number of windows where both served (the values are their means over
    those windows); without any, ``windows`` adjacent windows of each are compared instead
    (the older's last, the newer's first), which is not the same traffic.
    """

    metric: str
    older: int
    newer: int
    older_value: float | None
    newer_value: float | None
    shared: int
    windows: int

    def describe(self, labels: dict[int, str] | None = None) -> str:
        """One line for people.

        >>> VersionComparison("accuracy", 1, 2, 0.7, 0.8, 0, 14).describe({1: "v1", 2: "v2"})
        'accuracy: v1 0.7000 vs v2 0.8000 on 14 adjacent matured windows each (not the same traffic)'
        """
        names = labels or {}
        older, newer = (
            names.get(self.older, f"v{self.older}"),
            names.get(self.newer, f"v{self.newer}"),
        )

        def text(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.4f}"

        where = (
            f"on the {self.shared} matured windows where both served"
            if self.shared
            else f"on {self.windows} adjacent matured windows each (not the same traffic)"
        )
        return f"{self.metric}: {older} {text(self.older_value)} vs {newer} {text(self.newer_value)} {where}"


def compare_versions(
    metric: str,
    older: int,
    newer: int,
    older_values: dict[datetime, float],
    newer_values: dict[datetime, float],
    windows: int = COMPARED_WINDOWS,
) -> VersionComparison:
    """Compare two versions' per-window values: their means on the windows both served in,
    or else on the older's last and the newer's first ``windows`` windows (fewer when one has
    fewer).

    >>> from datetime import UTC
    >>> day = [datetime(2026, 6, d, tzinfo=UTC) for d in (1, 2, 3)]
    >>> compare_versions("mae", 1, 2, {day[0]: 2.0, day[1]: 4.0}, {day[1]: 3.0, day[2]: 9.0})
    VersionComparison(metric='mae', older=1, newer=2, older_value=4.0, newer_value=3.0, shared=1, windows=1)
    """
    shared = sorted(set(older_values) & set(newer_values))
    if shared:
        old_part = [older_values[start] for start in shared]
        new_part = [newer_values[start] for start in shared]
    else:
        count = min(windows, len(older_values), len(newer_values))
        old_part = [older_values[start] for start in sorted(older_values)[-count:]] if count else []
        new_part = [newer_values[start] for start in sorted(newer_values)[:count]]
    return VersionComparison(
        metric, older, newer, _mean(old_part), _mean(new_part), len(shared), len(new_part)
    )


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


__all__ = ["COMPARED_WINDOWS", "VersionComparison", "compare_versions"]
