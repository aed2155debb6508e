"""What monitoring needs of a model version: its reference profile, calibrator and threshold.

All of it comes from the version's verified manifest. A version without a reference profile
cannot be monitored (there is nothing to compare with) and is refused with a message that
says how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

from watchkeeper.errors import RegistryError
from watchkeeper.monitoring.dataset_profile import DatasetProfile
from watchkeeper.monitoring.estimation import ScoreCalibrator
from watchkeeper.monitoring.served_predictions import SCORE_COLUMN
from watchkeeper.registry.registry import ModelRegistry


@dataclass(frozen=True)
class VersionContext:
    """One model version as monitoring sees it."""

    version: int
    reference: DatasetProfile
    calibrator: ScoreCalibrator | None
    threshold: float
    feature_types: dict[str, str]

    @property
    def profiled_columns(self) -> list[str]:
        """The columns a window profile holds: the reference's features and the score."""
        return list(self.reference.features)


def load_version_context(registry: ModelRegistry, version: int | str) -> VersionContext:
    """Read a version's manifest and reference profile (both verified by sha256).

    Raises :class:`RegistryError` when the version has no reference profile, or one without
    the score.
    """
    number = registry.resolve(version)
    manifest = registry.manifest(number)
    if manifest.reference_profile_sha256 is None:
        raise RegistryError(
            f"version {number} of model {registry.model_name!r} has no reference profile, so it "
            "cannot be monitored; register it with reference_profile_sha256 (a profile of its "
            "holdout features and score)"
        )
    payload = registry.artifacts.get_bytes(manifest.reference_profile_sha256)
    reference = DatasetProfile.from_bytes(payload)
    if SCORE_COLUMN not in reference.features:
        raise RegistryError(
            f"the reference profile of version {number} of model {registry.model_name!r} has "
            f"no {SCORE_COLUMN!r} column; profile the holdout's scores with the features"
        )
    calibrator = None
    if manifest.calibrator is not None:
        calibrator = ScoreCalibrator.from_dict(manifest.calibrator)
    served = {
        name: dtype for name, dtype in manifest.feature_types.items() if name in reference.features
    }
    return VersionContext(number, reference, calibrator, manifest.threshold_value, served)


__all__ = ["VersionContext", "load_version_context"]
