"""The ``route`` column of the predictions table: which model a logged score came from.

A deciding score is the champion's or, during a canary, the challenger's (``canary``). In
shadow mode the challenger also scores silently: its row is logged under the event id with
:data:`SHADOW_SUFFIX` appended, route ``shadow``, so the table keeps one row per event id.

>>> "t-1" + SHADOW_SUFFIX
't-1:shadow'
"""

from __future__ import annotations

from typing import Literal

RouteName = Literal["champion", "canary", "shadow"]
"""The ``route`` of a score: who decided (``champion``/``canary``) or the silent ``shadow``."""

DecidingRoute = Literal["champion", "canary"]
"""The routes whose model decides."""

CHAMPION_ROUTE: DecidingRoute = "champion"
CANARY_ROUTE: DecidingRoute = "canary"
SHADOW_ROUTE: RouteName = "shadow"
SHADOW_SUFFIX = ":shadow"
"""Appended to the event id of a shadow score's prediction row (one row per event id)."""

__all__ = [
    "CANARY_ROUTE",
    "CHAMPION_ROUTE",
    "SHADOW_ROUTE",
    "SHADOW_SUFFIX",
    "DecidingRoute",
    "RouteName",
]
