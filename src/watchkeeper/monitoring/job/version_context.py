"""What monitoring needs of a model version: its reference profile, calibrator and threshold.

All of it comes from the version's verified manifest. A multiclass or regression version
has no calibrator and no threshold: its ``task`` and its performance ``estimator`` come from
the manifest's ``extra`` (:func:`~watchkeeper.modeling.task_estimators.load_estimator`), and
its reference holds the task's prediction columns instead of the score
(:func:`~watchkeeper.monitoring.profiles.prediction_columns.prediction_columns_for_profile`). A version without a reference profile
cannot be monitored (there is nothing to compare with) and is refused with a message that
says how to fix it; :func:`stored_reference_profile` reads the profile alone and says None
instead (the canary's score guard falls back to the champion's scores then).
"""

from __future__ import annotations

from dataclasses import dataclass

from watchkeeper.config import ModelTask
from watchkeeper.errors import RegistryError
from watchkeeper.modeling.task_estimators import load_estimator
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.prediction_columns import prediction_columns_for_profile
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.performance.multiclass_estimation import MulticlassCalibrator
from watchkeeper.performance.regression_estimation import LossEstimator
from watchkeeper.registry.registry import ModelRegistry


@dataclass(frozen=True)
class VersionContext:
    """One model version as monitoring sees it."""

    version: int
    reference: DatasetProfile
    calibrator: ScoreCalibrator | None
    threshold: float
    feature_types: dict[str, str]
    task: ModelTask = "binary"
    estimator: MulticlassCalibrator | LossEstimator | None = None
    """A multiclass or regression version's performance estimator (None for binary)."""

    @property
    def profiled_columns(self) -> list[str]:
        """The columns a window profile holds: the reference's features and the task's
        prediction columns."""
        return list(self.reference.features)


def load_version_context(registry: ModelRegistry, version: int | str) -> VersionContext:
    """Read a version's manifest and reference profile (both verified by sha256).

    Raises :class:`RegistryError` when the version has no reference profile, or one without
    its task's prediction columns (the score, for a binary version).
    """
    number = registry.resolve(version)
    manifest = registry.manifest(number)
    reference = stored_reference_profile(registry, number)
    if reference is None:
        raise RegistryError(
            f"version {number} of model {registry.model_name!r} has no reference profile, so it "
            "cannot be monitored; register it with reference_profile_sha256 (a profile of its "
            "holdout features and score)"
        )
    task: ModelTask = manifest.extra.get("task", "binary")
    for column in prediction_columns_for_profile(task):
        if column not in reference.features:
            raise RegistryError(
                f"the reference profile of version {number} of model {registry.model_name!r} "
                f"has no {column!r} column; profile the holdout's predictions with the features"
            )
    calibrator = None
    if manifest.calibrator is not None:
        calibrator = ScoreCalibrator.from_dict(manifest.calibrator)
    served = {
        name: dtype for name, dtype in manifest.feature_types.items() if name in reference.features
    }
    estimator = None if task == "binary" else load_estimator(manifest.extra, registry.artifacts)
    return VersionContext(
        number, reference, calibrator, manifest.threshold_value, served, task, estimator
    )


def stored_reference_profile(registry: ModelRegistry, version: int | str) -> DatasetProfile | None:
    """The reference profile stored with a version at training (its holdout's features and
    predictions, verified by sha256), or None when it was registered without one (an
    example: :func:`~watchkeeper.rollout.canary_reference.canary_reference`)."""
    sha256 = registry.manifest(registry.resolve(version)).reference_profile_sha256
    if sha256 is None:
        return None
    return DatasetProfile.from_bytes(registry.artifacts.get_bytes(sha256))


__all__ = ["VersionContext", "load_version_context", "stored_reference_profile"]
