"""The models a service scores with: the champion, the challenger of a running canary, a router.

:func:`load_serving_models` reads the registry and the running rollout once; the service
reloads after every rollout action (and on demand), not on every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watchkeeper.errors import RegistryError
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.registry.fitted_specs import load_fitted_spec
from watchkeeper.registry.registry import LoadedVersion, ModelRegistry
from watchkeeper.registry.statuses import CHAMPION
from watchkeeper.rollout.router import Router
from watchkeeper.storage.metadata.rollout_store import RolloutRecord


@dataclass(frozen=True)
class ServingModels:
    """The champion, the canary's challenger (if any), their fitted specs, and the router."""

    champion: LoadedVersion
    champion_spec: FittedFeatureSpec
    challenger: LoadedVersion | None = None
    challenger_spec: FittedFeatureSpec | None = None
    rollout: RolloutRecord | None = None
    router: Router = field(default_factory=lambda: Router(rollout_id=None))


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


__all__ = ["ServingModels", "load_serving_models"]
