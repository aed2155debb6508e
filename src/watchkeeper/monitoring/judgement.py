"""When a window's drift gets a verdict, and on which rows: warm-up, enough rows, whole cycles.

A drift row always carries its statistics; its *status* says whether they were judged. Three
things make a window's PSI say nothing about drift, and each has its own status (alert rules,
the retrain policy and the report's colours ignore all three):

``warming_up``
    The version's first windows after a launch or a promotion are small (a canary's share) or
    partial (it began serving mid-day, mid-week). A version's drift is judged only from the
    first window that *begins* after it has served ``monitoring.warm_up_rows`` events, counted
    by rows over all its windows so far, not by days: its first window is never judged.
``few_rows``
    PSI on a small sample is biased upward. With ``k`` cells (bins plus the missing bin, or
    categories plus ``other`` and ``missing``), ``n`` current and ``m`` reference rows drawn
    from one distribution, ``n_eff * PSI`` is asymptotically chi-square with ``k - 1`` degrees
    of freedom, where ``n_eff = n * m / (n + m)`` (PSI is the symmetrised Kullback-Leibler
    divergence, whose second-order term is Pearson's statistic over ``n_eff``). So::

        E[PSI | no drift] ~= (k - 1) / n_eff          (k = 11, n = 100: about 0.1)

    and the chance that identical distributions reach a level ``L`` is
    ``P(chi2_{k-1} >= L * n_eff)``. A feature is therefore judged only on at least
    :func:`rows_needed` rows: ``monitoring.min_rows``, or more for a feature with many cells,
    so that identical distributions reach its *warn* level in at most one window in a
    thousand (:data:`NULL_TAIL`). A window with fewer rows is judged on the pool of its
    version's consecutive windows ending with it, merged, that holds enough (see
    :mod:`~watchkeeper.monitoring.judgement_pools`); when no pool within a report window does,
    the status is ``few_rows``.
``short_window``
    A cyclic feature is lopsided in any part of its cycle by nature: one day holds one
    weekday. :func:`feature_cycles` gives each feature's cycle, declared
    (``monitoring.per_feature.<name>.min_window``) or inferred from its transform
    (:data:`CYCLIC_OPERATIONS`); the model's score (and any prediction column) takes the
    longest cycle of the features it reads, up to the report window, since a model that
    reads the weekday scores a Monday differently from a Sunday (a fraud score's lowest
    deciles are a few 1e-8 apart, and which of them a day fills depends on its weekday).
    Such a feature is judged on a pool covering its whole cycle (the last seven daily
    windows, rolling), and only when the version served all of it.

>>> from datetime import timedelta
>>> from watchkeeper.config import TransformConfig
>>> transforms = [TransformConfig(name="weekday", op="day_of_week", input="ts"),
...               TransformConfig(name="amount_log", op="log1p", input="amount")]
>>> feature_cycles(transforms, {}, ["score"])
{'weekday': datetime.timedelta(days=7), 'score': datetime.timedelta(days=7)}
>>> round(expected_null_psi(cells=11, rows=100, reference_rows=20_000), 4)
0.1005
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from watchkeeper.config import DriftThresholds, TransformConfig
from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.dataset_profile import FeatureProfile
from watchkeeper.monitoring.drift import FeatureDrift
from watchkeeper.monitoring.numeric_profile import NumericProfile
from watchkeeper.monitoring.tail_probabilities import chi_square_upper_quantile

WARMING_UP = "warming_up"
"""Status of a drift row of a version that has not served ``warm_up_rows`` events before it."""
FEW_ROWS = "few_rows"
"""Status of a drift row whose window, pooled within a report window, holds too few events."""
SHORT_WINDOW = "short_window"
"""Status of a drift row that cannot cover its feature's cycle: no verdict."""

CYCLIC_OPERATIONS: Mapping[str, timedelta] = {
    "hour_of_day": timedelta(days=1),
    "day_of_week": timedelta(days=7),
    "is_weekend": timedelta(days=7),
    "day_of_month": timedelta(days=31),
}
"""The cycle of each time-part transform: any shorter span is lopsided by nature (31 days
holds every day of the month at least once)."""

NULL_TAIL = 1e-3
"""The chance, per window and feature, that identical distributions reach the warn level."""


def feature_cycles(
    transforms: Iterable[TransformConfig],
    per_feature: Mapping[str, DriftThresholds],
    predictions: Iterable[str] = (),
    read: Iterable[str] | None = None,
    inherited: timedelta = timedelta(days=7),
) -> dict[str, timedelta]:
    """The cycle of every feature that has one: declared (``min_window``) or inferred from its
    transform; each of ``predictions`` (the prediction columns) takes its own declared cycle,
    else the longest of the features the model ``read`` (default: of all features) up to
    ``inherited`` (the report window: a score is judged on whole weeks at most, however long
    its inputs' cycles; declare its ``min_window`` to judge it on longer pools).

    >>> from watchkeeper.config import TransformConfig
    >>> hour = TransformConfig(name="hour", op="hour_of_day", input="ts")
    >>> week = TransformConfig(name="weekday", op="day_of_week", input="ts")
    >>> feature_cycles([hour], {"hour": DriftThresholds(min_window="2d")}, ["score"])
    {'hour': datetime.timedelta(days=2), 'score': datetime.timedelta(days=2)}
    >>> feature_cycles([hour, week], {}, ["score"], read=["hour", "amount"])["score"]
    datetime.timedelta(days=1)
    >>> month = TransformConfig(name="day", op="day_of_month", input="ts")
    >>> feature_cycles([month], {}, ["score"])["score"]
    datetime.timedelta(days=7)
    """
    predicted = set(predictions)
    cycles = {
        transform.name: CYCLIC_OPERATIONS[transform.op]
        for transform in transforms
        if transform.op in CYCLIC_OPERATIONS and transform.name not in predicted
    }
    declared = declared_cycles(per_feature)
    cycles |= {name: cycle for name, cycle in declared.items() if name not in predicted}
    inputs = set(cycles) if read is None else set(read) & set(cycles)
    longest = min(max(cycles[name] for name in inputs), inherited) if inputs else None
    for name in predicted:
        cycle = declared.get(name, longest)
        if cycle is not None:
            cycles[name] = cycle
    return cycles


def occupied_cells(profile: FeatureProfile) -> int:
    """How many of a reference profile's cells hold rows (bins and missing, or categories,
    ``other`` and ``missing``): the degrees of freedom of its PSI under no drift, plus one.

    >>> import numpy as np
    >>> from watchkeeper.monitoring.numeric_profile import NumericProfile
    >>> occupied_cells(NumericProfile.from_values(np.arange(100.0), edges=(25.0, 50.0, 75.0)))
    4
    """
    cells: Sequence[int] = (
        profile.cells
        if isinstance(profile, CategoricalProfile)
        else (*profile.counts, profile.missing)
    )
    return sum(1 for count in cells if count > 0)


def expected_null_psi(cells: int, rows: int, reference_rows: int) -> float:
    """PSI's expected value when the current ``rows`` and the reference come from one
    distribution over ``cells`` occupied cells: ``(cells - 1) / n_eff`` (see the module).

    >>> round(expected_null_psi(cells=52, rows=500, reference_rows=20_000), 3)
    0.105
    """
    return (cells - 1) / _effective_rows(rows, reference_rows)


def rows_needed(
    cells: int, reference_rows: int, level: float, min_rows: int, tail: float = NULL_TAIL
) -> int:
    """The rows a window needs before its PSI is judged against ``level``: at least
    ``min_rows``, and enough that identical distributions reach ``level`` with probability
    at most ``tail`` (``n_eff >= chi2_{cells-1}.isf(tail) / level``).

    When the reference itself is too small for that (its own noise alone could reach the
    level) or the level is 0, ``min_rows`` is all that is asked.

    >>> rows_needed(cells=11, reference_rows=20_000, level=0.1, min_rows=500)
    500
    >>> rows_needed(cells=52, reference_rows=20_000, level=0.1, min_rows=500)
    921
    """
    if cells < 2 or level <= 0:
        return min_rows
    target = chi_square_upper_quantile(tail, cells - 1) / level
    if target >= reference_rows:
        return min_rows
    return max(min_rows, math.ceil(target * reference_rows / (reference_rows - target)))


def _effective_rows(rows: int, reference_rows: int) -> float:
    if rows <= 0 or reference_rows <= 0:
        raise ValueError("both samples need at least one row")
    return rows * reference_rows / (rows + reference_rows)


@dataclass(frozen=True)
class Judgement:
    """How one window's drift rows are judged: per feature, the profile its drift is computed
    on (a pool's, in ``pooled``; else the window's own) or why it gets no verdict.

    ``everything`` is the status of every feature when the whole window is not judged (a
    version warming up); ``unjudged`` holds single features' statuses.

    >>> Judgement(unjudged={"weekday": SHORT_WINDOW}).status("weekday", "alert")
    'short_window'
    >>> Judgement().status("amount", "warn"), Judgement(WARMING_UP).status("amount", "ok")
    ('warn', 'warming_up')
    """

    everything: str | None = None
    unjudged: Mapping[str, str] = field(default_factory=dict)
    pooled: Mapping[str, FeatureProfile] = field(default_factory=dict)

    def status(self, feature: str, verdict: str) -> str:
        """The status of ``feature``'s rows whose verdict on their profile is ``verdict``."""
        return self.everything or self.unjudged.get(feature, verdict)

    def profile(self, feature: str, own: FeatureProfile) -> FeatureProfile:
        """The profile ``feature``'s drift is computed on: its pool's, else ``own``."""
        return self.pooled.get(feature, own)


def pooled_profile(own: FeatureProfile, earlier: Sequence[FeatureProfile]) -> FeatureProfile:
    """A feature's profile over a pool: the binned counts of ``own`` and its ``earlier``
    windows summed; a numeric one keeps ``own``'s sketch and moments, since merging KLL
    sketches is randomised and a row recomputed must not change (a pooled row's KS and
    Wasserstein statistics are the window's own: :func:`judged_drift`).

    >>> import numpy as np
    >>> from watchkeeper.monitoring.numeric_profile import NumericProfile
    >>> day = NumericProfile.from_values(np.array([1.0, 3.0]), edges=(2.0,))
    >>> pooled = pooled_profile(day, [day, day])
    >>> pooled.counts, pooled.sketch == day.sketch
    ((3, 3), True)
    """
    if isinstance(own, CategoricalProfile):
        merged = own
        for profile in earlier:
            assert isinstance(profile, CategoricalProfile)
            merged = merged.merge(profile)
        return merged
    counts, missing = list(own.counts), own.missing
    for profile in earlier:
        assert isinstance(profile, NumericProfile)
        if profile.edges != own.edges:
            raise SchemaError("cannot pool numeric profiles with different bin edges")
        counts = [mine + theirs for mine, theirs in zip(counts, profile.counts, strict=True)]
        missing += profile.missing
    return replace(own, counts=tuple(counts), missing=missing)


def judged_drift(own: FeatureDrift, pooled: FeatureDrift | None) -> FeatureDrift:
    """A feature's drift as its row reports it: the pool's binned statistics (PSI, JS
    distance, chi-square p-value, verdict) where it has a pool, the window's own sketch
    statistics (KS and Wasserstein) always."""
    if pooled is None:
        return own
    return replace(
        pooled,
        ks_statistic=own.ks_statistic,
        ks_pvalue=own.ks_pvalue,
        wasserstein=own.wasserstein,
    )


def window_judgement(
    rows: int,
    span: timedelta,
    cycles: Mapping[str, timedelta],
    min_rows: int,
    needed: Mapping[str, int] | None = None,
) -> Judgement:
    """The judgement of a window on its own rows: too few rows (fewer than ``min_rows``, or
    than a feature's ``needed``) or a ``span`` shorter than a feature's cycle is no verdict.

    >>> from datetime import timedelta
    >>> week = {"weekday": timedelta(days=7)}
    >>> window_judgement(2_000, timedelta(days=1), week, 500).unjudged
    {'weekday': 'short_window'}
    >>> window_judgement(200, timedelta(days=7), week, 500).everything
    'few_rows'
    """
    if rows < min_rows:
        return Judgement(FEW_ROWS)
    unjudged = {name: FEW_ROWS for name, count in (needed or {}).items() if rows < count}
    unjudged |= {name: SHORT_WINDOW for name, cycle in cycles.items() if span < cycle}
    return Judgement(unjudged=unjudged)


def declared_cycles(per_feature: Mapping[str, DriftThresholds]) -> dict[str, timedelta]:
    """The cycles declared with ``min_window`` (all a caller without the workspace's
    transforms knows).

    >>> declared_cycles({"weekday": DriftThresholds(min_window="7d"), "amount": DriftThresholds()})
    {'weekday': datetime.timedelta(days=7)}
    """
    return {
        name: levels.min_window
        for name, levels in per_feature.items()
        if levels.min_window is not None
    }


__all__ = [
    "CYCLIC_OPERATIONS",
    "FEW_ROWS",
    "NULL_TAIL",
    "SHORT_WINDOW",
    "WARMING_UP",
    "Judgement",
    "declared_cycles",
    "expected_null_psi",
    "feature_cycles",
    "judged_drift",
    "occupied_cells",
    "pooled_profile",
    "rows_needed",
    "window_judgement",
]
