"""The fitted feature spec each registered version computes its features with.

A version is registered with the fitted spec of its training (vocabularies, windows); the
service, the backfill and the rollout controller read it from here.
"""

from __future__ import annotations

from watchkeeper.errors import RegistryError
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.registry.registry import ModelRegistry


def load_fitted_spec(
    registry: ModelRegistry,
    version: int | str,
    remedy: str = "the service cannot compute its features",
) -> FittedFeatureSpec:
    """The fitted feature spec a version (or alias) was registered with (verified); a version
    registered without one is refused, the error ending with ``remedy``."""
    data = registry.feature_spec(version)
    if data is None:
        raise RegistryError(
            f"version {version} of {registry.model_name!r} was registered without a fitted "
            f"feature spec; {remedy}"
        )
    return FittedFeatureSpec.from_json(data.decode("utf-8"))


def feature_spec_changes(registry: ModelRegistry, before: int, after: int) -> bool:
    """Whether version ``after`` computes its features with another fitted spec than
    ``before`` (its online state, filled for ``before``'s, then needs filling again)."""
    specs = [registry.feature_spec(version) for version in (before, after)]
    hashes = {
        None if data is None else FittedFeatureSpec.from_json(data.decode("utf-8")).content_hash
        for data in specs
    }
    return len(hashes) > 1


__all__ = ["feature_spec_changes", "load_fitted_spec"]
