"""What ``/readyz`` says of the online state: its watermark, and whether it fits the champion.

The watermark (:mod:`~watchkeeper.features.state.watermark`) tells up to when, and with which
fitted spec, the state was filled from the event store. A state filled for another fitted
spec than the champion's (a promotion changed the features) gives the champion windows built
for other features: the service is then not ready, unless it was started with
``--allow-cold-state``. A state never filled is ``watchkeeper serve``'s to refuse at start.

>>> from datetime import datetime, UTC
>>> from watchkeeper.features.state.memory import MemoryStateStore
>>> from watchkeeper.features.state.watermark import StateWatermark, write_watermark
>>> store = MemoryStateStore()
>>> state_readiness(store, "ab" * 32)
({'watermark': None, 'spec_hash': None, 'events': None, 'warm': False}, None)
>>> write_watermark(store, StateWatermark(datetime(2026, 3, 1, tzinfo=UTC), "cd" * 32, 5, 2))
>>> report, problem = state_readiness(store, "ab" * 32)
>>> report["watermark"], report["warm"]
('2026-03-01T00:00:00+00:00', False)
>>> problem
"the online state was filled for fitted spec cdcdcdcdcdcd, not the champion's (abababababab): run 'watchkeeper features backfill-state'"
"""

from __future__ import annotations

from typing import Any

from watchkeeper.errors import WatchkeeperError
from watchkeeper.features.backfill import BACKFILL_COMMAND
from watchkeeper.features.state.store import EntityStateStore
from watchkeeper.features.state.watermark import read_watermark


def state_readiness(
    store: EntityStateStore, champion_spec_hash: str | None
) -> tuple[dict[str, Any], str | None]:
    """The state's report for ``/readyz`` and the problem that makes the service not ready.

    ``champion_spec_hash``: the hash of the champion's fitted spec (None: no champion is
    served, e.g. an external model).
    """
    try:
        mark = read_watermark(store)
    except WatchkeeperError as error:
        failed: dict[str, Any] = {"watermark": None, "spec_hash": None, "events": None}
        failed["warm"] = False
        return failed, f"the online state's watermark could not be read: {error}"
    warm = mark is not None and champion_spec_hash is not None and mark.fits(champion_spec_hash)
    report: dict[str, Any] = {
        "watermark": None if mark is None else mark.until.isoformat(),
        "spec_hash": None if mark is None else mark.spec_hash,
        "events": None if mark is None else mark.events,
        "warm": warm,
    }
    if mark is None or champion_spec_hash is None or warm:
        return report, None
    return report, (
        f"the online state was filled for fitted spec {mark.spec_hash[:12]}, not the "
        f"champion's ({champion_spec_hash[:12]}): run '{BACKFILL_COMMAND}'"
    )


__all__ = ["state_readiness"]
