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
    :mod:`~watchkeeper.monitoring.job.judgement_pools`); when no pool within a report window does,
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

import numpy as np

from watchkeeper.config import DriftThresholds, MonitoringConfig, TransformConfig
from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile, FeatureProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.statistics.drift import FeatureDrift
from watchkeeper.monitoring.statistics.tail_probabilities import chi_square_upper_quantile

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


def model_cycles(
    transforms: Iterable[TransformConfig],
    config: MonitoringConfig,
    predictions: Iterable[str],
    read: Iterable[str] | None = None,
) -> dict[str, timedelta]:
    """:func:`feature_cycles` with the workspace's monitoring settings: declared cycles from
    ``config.per_feature``, prediction columns inheriting up to ``config.report_window``."""
    return feature_cycles(transforms, config.per_feature, predictions, read, config.report_window)


def occupied_cells(profile: FeatureProfile) -> int:
    """How many of a reference profile's cells hold rows (bins and missing, or categories,
    ``other`` and ``missing``): the degrees of freedom of its PSI under no drift, plus one.

    >>> import numpy as np
    >>> from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
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


def pooled_profile(profiles: Sequence[FeatureProfile], balanced: bool = False) -> FeatureProfile:
    """A feature's profile over a pool of windows (the newest first): their binned counts
    summed, or, ``balanced``, each window's shares weighed equally and scaled to the pool's
    :func:`effective_rows`.

    A cyclic feature's pool is balanced: a whole week is its seven days once each, whatever
    share of the traffic the version had on each (a canary's 150 events a day, then all of
    them once promoted: summed, the promotion day would outweigh the rest of the week). A
    numeric pool keeps the newest window's sketch and moments, since merging KLL sketches is
    randomised and a row recomputed must not change (a pooled row's KS and Wasserstein
    statistics are the window's own: :func:`judged_drift`).

    >>> import numpy as np
    >>> from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
    >>> low, high = (NumericProfile.from_values(np.array(values), edges=(2.0,))
    ...              for values in ([1.0] * 10, [3.0] * 1000))
    >>> pooled_profile([low, high]).counts, pooled_profile([low, high], balanced=True).counts
    ((10, 1000), (20, 20))
    """
    newest = profiles[0]
    cells = np.array([_cells(profile, newest) for profile in profiles], dtype=np.float64)
    if balanced:
        totals = cells.sum(axis=1)
        shares = cells[totals > 0] / totals[totals > 0, None]
        cells = shares.mean(axis=0, keepdims=True) * effective_rows(totals.tolist())
    pooled = [round(float(value)) for value in cells.sum(axis=0)]
    if isinstance(newest, CategoricalProfile):
        return replace(newest, counts=tuple(pooled[:-2]), other=pooled[-2], missing=pooled[-1])
    return replace(newest, counts=tuple(pooled[:-1]), missing=pooled[-1])


def effective_rows(rows: Sequence[int]) -> float:
    """The effective size of a balanced pool of windows of ``rows`` events each (those with
    none left out): ``k ** 2 / sum(1 / n)`` (Kish's, for equal weights per window); their
    sum when they are alike, less when one window is small.

    >>> effective_rows([500, 500]), round(effective_rows([1500, 5]), 1), effective_rows([0])
    (1000.0, 19.9, 0.0)
    """
    counted = [count for count in rows if count > 0]
    return len(counted) ** 2 / sum(1 / count for count in counted) if counted else 0.0


def _cells(profile: FeatureProfile, like: FeatureProfile) -> tuple[int, ...]:
    """A profile's PSI cells, checked to be binned as ``like``."""
    if isinstance(profile, CategoricalProfile) and isinstance(like, CategoricalProfile):
        alike = profile.categories == like.categories
        cells = profile.cells
    elif isinstance(profile, NumericProfile) and isinstance(like, NumericProfile):
        alike, cells = profile.edges == like.edges, (*profile.counts, profile.missing)
    else:
        alike, cells = False, ()
    if not alike:
        raise SchemaError("cannot pool profiles binned differently")
    return cells


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


def reference_needs(reference: DatasetProfile, config: MonitoringConfig) -> dict[str, int]:
    """The events each feature of a version needs to be judged: :func:`rows_needed` for its
    reference's occupied cells and its warn level."""
    return {
        name: rows_needed(
            occupied_cells(profile),
            reference.rows,
            config.per_feature.get(name, config.psi).warn,
            config.min_rows,
        )
        for name, profile in reference.features.items()
    }


def pool_reach(cycles: Mapping[str, timedelta], config: MonitoringConfig) -> int:
    """How many windows a pool may span: the longer of the report window and the longest
    cycle.

    >>> pool_reach({"day": timedelta(days=31)}, MonitoringConfig())
    31
    """
    longest = max((config.report_window, *cycles.values()))
    return max(1, math.ceil(longest / config.window))


def pooled_judgement(
    recent: Sequence[DatasetProfile | None],
    covered: int,
    cycles: Mapping[str, timedelta],
    length: timedelta,
    needed: Mapping[str, int],
) -> Judgement:
    """The judgement of the newest of ``recent`` — a version's profiles of its latest windows
    of ``length``, newest first, None for a window without its events — when its service
    covers the ``covered`` newest of them whole.

    Each of ``needed``'s features is judged on the fewest newest windows, at least those of
    its cycle, holding its ``needed`` events (its own window alone when they suffice), within
    the covered ones; else it is ``short_window`` (its cycle not covered) or ``few_rows``. A
    pool longer than one cycle-free window sums its counts; a cyclic feature's is balanced
    (:func:`pooled_profile`), its events counted by :func:`effective_rows`.

    >>> import numpy as np
    >>> from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
    >>> day = DatasetProfile({"x": NumericProfile.from_values(np.arange(300.0), (150.0,))}, 300)
    >>> judged = pooled_judgement([day, day, day], 3, {}, timedelta(days=1), {"x": 500})
    >>> judged.pooled["x"].counts
    (300, 300)
    >>> pooled_judgement([day, day], 1, {}, timedelta(days=1), {"x": 500}).unjudged
    {'x': 'few_rows'}
    """
    unjudged: dict[str, str] = {}
    pooled: dict[str, FeatureProfile] = {}
    sizes = [profile.rows if profile is not None else 0 for profile in recent]
    for name, count in needed.items():
        cycle = cycles.get(name)
        balanced = cycle is not None and cycle > length
        first = math.ceil(cycle / length) if balanced and cycle is not None else 1
        if first > covered:
            unjudged[name] = SHORT_WINDOW
            continue
        measure = effective_rows if balanced else sum
        windows = next((k for k in range(first, covered + 1) if measure(sizes[:k]) >= count), None)
        if windows is None:
            unjudged[name] = FEW_ROWS
        elif windows > 1 or recent[0] is None:
            found = [profile.features[name] for profile in recent[:windows] if profile]
            pooled[name] = pooled_profile(found, balanced)
    return Judgement(unjudged=unjudged, pooled=pooled)


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
    "effective_rows",
    "expected_null_psi",
    "feature_cycles",
    "judged_drift",
    "model_cycles",
    "occupied_cells",
    "pool_reach",
    "pooled_judgement",
    "pooled_profile",
    "reference_needs",
    "rows_needed",
    "window_judgement",
]
