"""A deterministic traffic split by a hash of the entity key.

During a canary each entity (a card) is routed by ``blake2b(rollout id + key)`` mapped to
``[0, 1)``: below ``canary_share`` it meets the challenger (route ``canary``), otherwise the
champion (route ``champion``). The same key always gets the same route within one rollout,
so a card's features, decisions and later chargebacks stay attributable to one model. In
shadow mode every decision comes from the champion and the challenger also scores the event
silently (route ``shadow``).

>>> router = Router(rollout_id="r1", canary_share=0.1)
>>> router.route("card-42") == router.route("card-42")
True
>>> Router(rollout_id="r1", canary_share=0.1, shadow=True).route("card-42")
Route(decision='champion', shadow=True)
>>> 0.0 <= bucket("r1", "card-42") < 1.0
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from watchkeeper.storage.events.prediction_routes import (
    CANARY_ROUTE,
    CHAMPION_ROUTE,
    DecidingRoute,
)

_SCALE = float(1 << 64)


def bucket(rollout_id: str, key: str) -> float:
    """The key's position in ``[0, 1)`` for one rollout: blake2b of both, first 8 bytes.

    >>> bucket("r1", "card-1") == bucket("r1", "card-1")
    True
    >>> bucket("r1", "card-1") == bucket("r2", "card-1")
    False
    """
    digest = hashlib.blake2b(
        key.encode("utf-8"), digest_size=8, key=rollout_id.encode("utf-8")[:64]
    ).digest()
    return int.from_bytes(digest, "big") / _SCALE


@dataclass(frozen=True)
class Route:
    """Where an event goes: the model that decides, and whether the challenger shadows it."""

    decision: DecidingRoute
    shadow: bool = False


@dataclass(frozen=True)
class Router:
    """Splits traffic between champion and challenger for one rollout.

    ``canary_share`` is the share of entity keys sent to the challenger (ignored in shadow
    mode, where the champion decides for everyone). A router with ``rollout_id=None`` (no
    rollout running) sends everything to the champion.

    >>> Router(rollout_id=None).route("card-1")
    Route(decision='champion', shadow=False)
    """

    rollout_id: str | None
    canary_share: float = 0.1
    shadow: bool = False

    def route(self, key: str | None) -> Route:
        """The route of an event whose entity key is ``key`` (a missing key: champion)."""
        if self.rollout_id is None:
            return Route(CHAMPION_ROUTE)
        if self.shadow:
            return Route(CHAMPION_ROUTE, shadow=True)
        if key is not None and bucket(self.rollout_id, key) < self.canary_share:
            return Route(CANARY_ROUTE)
        return Route(CHAMPION_ROUTE)


__all__ = ["Route", "Router", "bucket"]
