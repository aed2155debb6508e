"""The online state of a workspace: fill it for the champion, and say when it is cold.

:func:`fill_workspace_state` runs :func:`~watchkeeper.features.backfill.backfill_state` for a
workspace: the champion's fitted spec, the raw events of the event store's ``transactions``
table up to ``until`` (default: the newest), the store ``storage.online_state`` names. It is
what ``watchkeeper features backfill-state`` runs; :func:`cold_state_problem` is what
``watchkeeper serve`` checks before it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from watchkeeper.clock import as_utc
from watchkeeper.errors import ConfigError, RegistryError
from watchkeeper.features.backfill import BACKFILL_COMMAND, BackfillReport, backfill_state
from watchkeeper.features.state.watermark import read_watermark
from watchkeeper.registry.fitted_specs import load_fitted_spec
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.registry.statuses import CHAMPION

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec
    from watchkeeper.workspace import Workspace

EVENTS_TABLE = "transactions"
"""The raw events the state is filled from."""
ONE_MICROSECOND = timedelta(microseconds=1)


def champion_spec(workspace: Workspace) -> tuple[int, FittedFeatureSpec]:
    """The champion's version and the fitted spec it computes its features with."""
    if workspace.config.model.serving == "external":
        raise ConfigError(
            "model.serving is external: the model's service computes its own features, "
            "watchkeeper keeps no online state for it"
        )
    registry = ModelRegistry.for_workspace(workspace)
    version = registry.aliases().get(CHAMPION)
    if version is None:
        raise RegistryError(
            f"model {registry.model_name!r} has no champion: train one ('watchkeeper train') "
            "before filling its online state"
        )
    return version, load_fitted_spec(registry, version)


def latest_event(workspace: Workspace) -> datetime | None:
    """The event time of the newest raw event in the event store (None: it holds none)."""
    column = workspace.config.keys.event_time
    times = workspace.events.read(EVENTS_TABLE, columns=[column])[column]
    newest = times.max() if times.len() else None
    return as_utc(newest) if isinstance(newest, datetime) else None


def fill_workspace_state(
    workspace: Workspace,
    until: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillReport:
    """Fill the workspace's online state for its champion from its event store.

    ``until`` (inclusive) defaults to the newest event. ``progress`` is called with the keys
    written so far and the keys to write.
    """
    _, fitted = champion_spec(workspace)
    if until is None:
        until = latest_event(workspace)
        if until is None:
            raise ConfigError(
                f"the event store's {EVENTS_TABLE} table holds no events: there is no history "
                "to fill the online state with (a service starting now starts rightly empty)"
            )
    until = as_utc(until)
    events = workspace.events.read(EVENTS_TABLE, end=until + ONE_MICROSECOND)
    store = workspace.open_online_state()
    try:
        return backfill_state(store, fitted, events, until, progress=progress)
    finally:
        store.close()


def cold_state_problem(workspace: Workspace) -> str | None:
    """Why a service of this workspace would start cold (None: it would not).

    Cold: the state has no watermark for the champion's fitted spec while the event store
    holds history. An external model, or one without a champion, has no state to check.
    """
    try:
        version, fitted = champion_spec(workspace)
    except (ConfigError, RegistryError):
        return None
    store = workspace.open_online_state()
    try:
        mark = read_watermark(store)
    finally:
        store.close()
    if mark is not None and mark.fits(fitted.content_hash):
        return None
    newest = latest_event(workspace)
    if newest is None:
        return None
    if mark is None:
        found = "the online state was never filled"
    else:
        found = f"the online state was filled for another fitted spec ({mark.spec_hash[:12]})"
    return (
        f"{found} but the event store holds history up to {newest.isoformat()}: the windowed "
        f"features of champion version {version} would start empty; run '{BACKFILL_COMMAND}' "
        "first (or pass --allow-cold-state to start cold anyway)"
    )


__all__ = [
    "champion_spec",
    "cold_state_problem",
    "fill_workspace_state",
    "latest_event",
]
