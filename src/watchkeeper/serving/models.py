"""The models a service scores with: the champion, the challenger of a running canary, a router.

:func:`load_serving_models` reads the registry and the running rollout once; the service
reloads after every rollout action (and on demand), not on every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watchkeeper.errors import RegistryError
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.registry.registry import LoadedVersion, ModelRegistry
from watchkeeper.registry.statuses import CHAMPION
from watchkeeper.rollout.router import Router
from watchkeeper.storage.rollout_store import RolloutRecord


@dataclass(frozen=True)
class ServingModels:
    """The champion, the canary's challenger (if any), their fitted specs, and the router."""

    champion: LoadedVersion
    champion_spec: FittedFeatureSpec
    challenger: LoadedVersion | None = None
    challenger_spec: FittedFeatureSpec | None = None
    rollout: RolloutRecord | None = None
    router: Router = field(default_factory=lambda: Router(rollout_id=None))


def load_fitted_spec(registry: ModelRegistry, version: int) -> FittedFeatureSpec:
    """The fitted feature spec a version was registered with (verified)."""
    data = registry.feature_spec(version)
    if data is None:
        raise RegistryError(
            f"version {version} of {registry.model_name!r} was registered without a fitted "
            "feature spec; the service cannot compute its features"
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


def load_serving_models(registry: ModelRegistry) -> ServingModels:
    """The champion and, while a canary runs, its challenger and the traffic split."""
    champion_version = registry.aliases().get(CHAMPION)
    if champion_version is None:
        raise RegistryError(f"model {registry.model_name!r} has no champion to serve")
    champion = registry.load(champion_version)
    champion_spec = load_fitted_spec(registry, champion_version)
    rollout = registry.metadata.rollouts.active(registry.model_name)
    if rollout is None:
        return ServingModels(champion, champion_spec)
    challenger = registry.load(rollout.challenger_version)
    challenger_spec = load_fitted_spec(registry, rollout.challenger_version)
    router = Router(
        rollout_id=f"{registry.model_name}:{rollout.id}",
        canary_share=rollout.canary_share,
        shadow=rollout.shadow,
    )
    return ServingModels(champion, champion_spec, challenger, challenger_spec, rollout, router)


__all__ = ["ServingModels", "feature_spec_changes", "load_fitted_spec", "load_serving_models"]
