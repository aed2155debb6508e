"""What ``watchkeeper skew-check`` reads from a workspace: served rows, their history, the start.

:func:`skew_report` reads the logged predictions to compare (``--start``/``--end``, one model
version or all), and, from a longest window before the first of them to the last, the raw
events of the event store and every other logged prediction as the recomputation's history
(:func:`~watchkeeper.features.skew.check_skew`). It also tells whether the service started
cold: its first logged prediction, unless the online state carries a watermark for this
fitted spec from before it (:mod:`~watchkeeper.features.state.watermark`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.errors import WatchkeeperError
from watchkeeper.features.skew import SkewReport, check_skew
from watchkeeper.features.state.watermark import read_watermark

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec
    from watchkeeper.workspace import Workspace

logger = logging.getLogger(__name__)

ONE_MICROSECOND = timedelta(microseconds=1)


def skew_report(
    workspace: Workspace,
    fitted: FittedFeatureSpec,
    start: datetime | None,
    end: datetime | None,
    model_version: int | None,
    threshold: float,
) -> tuple[SkewReport, datetime | None, datetime | None]:
    """The skew report of the served predictions in ``[start, end)`` (of ``model_version``,
    or all), with the first and last of their times (None when there is none)."""
    events = workspace.events
    compared = events.read("predictions", start, end)
    if model_version is not None:
        compared = compared.filter(pl.col("model_version") == model_version)
    if not compared.height:
        return check_skew(fitted, compared, threshold), None, None
    first, last = compared["ts"].min(), compared["ts"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    since = first - fitted.spec.longest_window
    logged = events.read("predictions", since, last + ONE_MICROSECOND)
    selected = pl.lit(True)
    if start is not None:
        selected &= pl.col("ts") >= as_utc(start)
    if end is not None:
        selected &= pl.col("ts") < as_utc(end)
    if model_version is not None:
        selected &= pl.col("model_version") == model_version
    history = events.read("transactions", since, last + ONE_MICROSECOND)
    report = check_skew(
        fitted,
        logged,
        threshold,
        history=history,
        compare=logged.select(selected.alias("compare"))["compare"],
        cold_since=_cold_since(workspace, fitted),
    )
    return report, first, last


def _cold_since(workspace: Workspace, fitted: FittedFeatureSpec) -> datetime | None:
    """The first logged prediction, unless the state was filled for ``fitted`` before it."""
    times = workspace.events.read("predictions", columns=["ts"])["ts"]
    first = times.min() if times.len() else None
    if not isinstance(first, datetime):
        return None
    first = as_utc(first)
    try:
        store = workspace.open_online_state()
        try:
            mark = read_watermark(store)
        finally:
            store.close()
    except WatchkeeperError as error:  # unknown: the first rows are reported as a warm-up
        logger.warning("the online state's watermark could not be read: %s", error)
        return first
    if mark is not None and mark.fits(fitted.content_hash) and mark.until < first:
        return None
    return first


__all__ = ["skew_report"]
