"""The reference profile registered with a model version: its holdout, as monitoring will see it.

Monitoring compares each production window with this profile: every feature column of the
holdout and the new model's ``score`` on it, so feature drift and score drift are measured
against what the model was validated on. A multiclass model's profile holds its ``decision``
(the decided class, categorical) and ``score`` (that class's probability) instead, a
regression model's its ``prediction`` (:func:`prediction_columns_for_profile`;
:func:`task_reference_profile`). The holdout's flag rate is the share of scores at or
above the version's threshold (in the manifest): :func:`flag_rate` reads it from the score
column's quantile sketch, as the monitor does for its baseline (the exact value is also in
the version's metrics). Encoded features are profiled as categories.

>>> import numpy as np
>>> from watchkeeper.config import MonitoringConfig
>>> holdout = pl.DataFrame({"log_amount": [float(i) for i in range(100)], "mcc": [1, 2] * 50})
>>> scores = np.linspace(0.0, 0.99, 100)
>>> profile = reference_profile(holdout, scores, MonitoringConfig(), categorical=["mcc"])
>>> sorted(profile.features), profile.rows
(['log_amount', 'mcc', 'score'], 100)
>>> flag_rate(profile, threshold=0.895)
0.1
>>> predicted = pl.DataFrame({"prediction": np.linspace(0.0, 9.9, 100)})
>>> sorted(task_reference_profile(holdout, predicted, MonitoringConfig()).features)
['log_amount', 'mcc', 'prediction']
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import MonitoringConfig
from watchkeeper.errors import FeatureError
from watchkeeper.monitoring.profiles.column_kinds import infer_column_kinds
from watchkeeper.monitoring.profiles.dataset_profile import (
    REFERENCE_PROFILE_MEDIA_TYPE,
    DatasetProfile,
)
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.prediction_columns import (
    DECISION_COLUMN,
    PREDICTION_COLUMN,
    SCORE_COLUMN,
    prediction_columns_for_profile,
)
from watchkeeper.monitoring.profiles.profile_builder import build_reference_profile
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind
from watchkeeper.monitoring.profiles.reference_sample import with_reference_sample
from watchkeeper.storage.artifacts.store import ArtifactStore


def reference_profile(
    features: pl.DataFrame,
    scores: npt.ArrayLike,
    monitoring: MonitoringConfig,
    *,
    categorical: Collection[str] = (),
) -> DatasetProfile:
    """Profile the holdout ``features`` with the model's ``scores``.

    ``categorical`` names feature columns to profile as categories whatever their type
    (encoded features hold integer codes).
    """
    score_values = np.asarray(scores, dtype=np.float64)
    frame = features.with_columns(pl.Series(SCORE_COLUMN, score_values))
    kinds = infer_column_kinds(frame.to_arrow(), categorical=categorical).kinds
    kinds[SCORE_COLUMN] = "numeric"
    return build_reference_profile(
        frame, kinds, bins=monitoring.bins, top_k=monitoring.top_k, sketch_k=monitoring.sketch_k
    )


def task_reference_profile(
    features: pl.DataFrame,
    predictions: pl.DataFrame,
    monitoring: MonitoringConfig,
    *,
    categorical: Collection[str] = (),
) -> DatasetProfile:
    """Profile the holdout ``features`` with a model's ``predictions`` on them, row for row.

    ``predictions`` holds prediction columns (:func:`prediction_columns_for_profile`):
    ``decision`` is profiled as categories, the others as numbers. A feature with a
    prediction column's name is refused.
    """
    clashing = sorted(set(features.columns) & set(predictions.columns))
    if clashing:
        raise FeatureError(
            f"feature {clashing[0]!r} has the name of a prediction column of the reference profile"
        )
    if predictions.height != features.height:
        raise FeatureError(
            f"{predictions.height} predictions for {features.height} holdout rows: the "
            "reference profile needs one per row"
        )
    frame = pl.concat([features, predictions], how="horizontal")
    kinds = infer_column_kinds(frame.to_arrow(), categorical=categorical).kinds
    for name in predictions.columns:
        kinds[name] = _prediction_kind(name)
    return build_reference_profile(
        frame, kinds, bins=monitoring.bins, top_k=monitoring.top_k, sketch_k=monitoring.sketch_k
    )


def _prediction_kind(name: str) -> FeatureKind:
    return "categorical" if name == DECISION_COLUMN else "numeric"


def flag_rate(profile: DatasetProfile, threshold: float) -> float | None:
    """The share of profiled scores at or above ``threshold`` (None without scores)."""
    scores = profile.features.get(SCORE_COLUMN)
    if not isinstance(scores, NumericProfile) or scores.count == 0:
        return None
    below = float(scores.quantile_sketch().get_rank(threshold, False))
    return round((1.0 - below) * scores.count) / scores.count


@dataclass(frozen=True)
class ReferenceProfileWriter:
    """Builds the reference profile once the model is known, and stores it as an artifact.

    Called by :func:`~watchkeeper.training.retrain_attempt.run_retrain_attempt` with the new
    model's holdout scores and threshold; returns the artifact's sha256 for the manifest.
    The threshold is not part of the profile (the manifest holds it).
    """

    features: pl.DataFrame
    artifacts: ArtifactStore
    monitoring: MonitoringConfig
    categorical: tuple[str, ...] = field(default=())

    def __call__(self, scores: npt.ArrayLike, threshold: float) -> str:
        """Profile, store, and return the sha256 of the stored profile."""
        profile = reference_profile(
            self.features, scores, self.monitoring, categorical=self.categorical
        )
        return self._stored(profile)

    def for_predictions(self, predictions: pl.DataFrame) -> str:
        """Profile with a multiclass or regression model's prediction columns, store it, and
        return its sha256 (see :func:`task_reference_profile`)."""
        profile = task_reference_profile(
            self.features, predictions, self.monitoring, categorical=self.categorical
        )
        return self._stored(profile)

    def _stored(self, profile: DatasetProfile) -> str:
        profile = with_reference_sample(profile, self.artifacts, self.features)
        stored = self.artifacts.put_bytes(profile.to_bytes(), REFERENCE_PROFILE_MEDIA_TYPE)
        return stored.sha256


__all__ = [
    "DECISION_COLUMN",
    "PREDICTION_COLUMN",
    "REFERENCE_PROFILE_MEDIA_TYPE",
    "SCORE_COLUMN",
    "ReferenceProfileWriter",
    "flag_rate",
    "prediction_columns_for_profile",
    "reference_profile",
    "task_reference_profile",
]
