"""What a canary's scores are compared with: the challenger's own holdout scores.

A challenger retrained after a shift scores the shifted traffic differently from the
champion — that is the point of retraining it — so its served scores say nothing against the
champion's. What it must match is what it was validated on: the scores of its own holdout,
profiled at training and stored with the version as its reference profile
(:func:`~watchkeeper.monitoring.job.version_context.stored_reference_profile`). The profile's
score column holds a quantile sketch; :func:`score_counts_from_profile` reads from it the
counts on the guard's bins (:data:`~watchkeeper.rollout.guards.SCORE_BINS` equal-width bins
of [0, 1]), within the sketch's rank error.

A version registered without a reference profile has nothing of its own to compare with:
:func:`canary_reference` says so, and the guard falls back to the champion's scores over the
same period, naming the fallback in its evidence.

>>> import numpy as np
>>> import polars as pl
>>> from watchkeeper.config import MonitoringConfig
>>> from watchkeeper.training.reference_profile import reference_profile
>>> holdout = pl.DataFrame({"amount": np.arange(1_000.0)})
>>> scores = np.repeat([0.05, 0.55, 0.95], [800, 150, 50])
>>> profile = reference_profile(holdout, scores, MonitoringConfig())
>>> score_counts_from_profile(profile)
(800, 0, 0, 0, 0, 150, 0, 0, 0, 50)
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from watchkeeper.monitoring.job.version_context import stored_reference_profile
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.prediction_columns import SCORE_COLUMN
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.rollout.guards import SCORE_BINS

__all__ = [
    "CanaryReference",
    "canary_reference",
    "score_counts_from_profile",
]


@dataclass(frozen=True)
class CanaryReference:
    """The score histogram a canary's scores are judged against, and what it is in words.

    ``score_counts`` is None when the challenger has no stored profile with scores: the guard
    then compares with the champion's scores over the same period, and ``source`` says why.
    """

    score_counts: tuple[int, ...] | None
    source: str


def score_counts_from_profile(
    profile: DatasetProfile, bins: int = SCORE_BINS
) -> tuple[int, ...] | None:
    """The profiled scores counted on ``bins`` equal-width bins of [0, 1] (a score of 1.0 in
    the last), read from the score column's quantile sketch; None without profiled scores."""
    scores = profile.features.get(SCORE_COLUMN)
    if not isinstance(scores, NumericProfile) or scores.count == 0:
        return None
    sketch = scores.quantile_sketch()
    inner = [index / bins for index in range(1, bins)]
    below = [0.0, *(float(sketch.get_rank(edge, False)) for edge in inner), 1.0]
    cumulative = [round(share * scores.count) for share in below]
    return tuple(high - low for low, high in pairwise(cumulative))


def canary_reference(registry: ModelRegistry, version: int) -> CanaryReference:
    """The challenger ``version``'s reference for the score guard: its stored holdout scores,
    or None with the reason the champion's scores stand in.

    >>> import tempfile
    >>> from datetime import UTC, datetime
    >>> from sklearn.linear_model import LogisticRegression
    >>> from watchkeeper.clock import EventTimeClock
    >>> from watchkeeper.storage.artifacts.store import open_artifact_store
    >>> from watchkeeper.storage.metadata.store import open_metadata_store
    >>> from watchkeeper.modeling.model import SklearnModel
    >>> store = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC)))
    >>> registry = ModelRegistry(store, open_artifact_store(tempfile.mkdtemp()), "fraud")
    >>> model = SklearnModel(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), ["amount"])
    >>> version = registry.register(model, feature_schema={"amount": "Float64"}, threshold=0.5)
    >>> canary_reference(registry, version.version).source
    "version 1 has no stored reference profile: the champion's scores over the same period"
    >>> store.close()
    """
    profile = stored_reference_profile(registry, version)
    counts = None if profile is None else score_counts_from_profile(profile)
    if counts is None:
        lacks = "no stored reference profile" if profile is None else "no scores in its profile"
        return CanaryReference(
            None, f"version {version} has {lacks}: the champion's scores over the same period"
        )
    return CanaryReference(counts, f"version {version}'s holdout scores (its reference profile)")
