"""A replay's progress as plain lines, one per simulated month: what a log or a CI job shows
when the output is not a terminal (where a progress bar would print nothing).

The replays report steps as ``"phase: YYYY-MM-DD"`` (the day of event time reached) or as a
plain sentence (``"writing the report"``); :class:`MonthlyProgress` writes a line when the
phase or the month changes.

>>> import io
>>> out = io.StringIO()
>>> say = MonthlyProgress(out, clock=iter(range(0, 100, 5)).__next__)
>>> for step, done in [("simulating", 0.0), ("with: 2026-04-01", 0.2), ("with: 2026-04-04", 0.21),
...                    ("with: 2026-05-01", 0.3), ("done", 1.0)]:
...     say(step, done)
>>> print(out.getvalue(), end="")
[  0%   5 s] simulating
[ 20%  10 s] with: 2026-04
[ 30%  15 s] with: 2026-05
[100%  20 s] done
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import TextIO


class MonthlyProgress:
    """A replay's progress callback (``step``, share done) writing one line per phase and
    simulated month to ``out``, with the share done and the seconds since it was made."""

    def __init__(self, out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._out = out
        self._clock = clock
        self._began = clock()
        self._last: str | None = None

    def __call__(self, step: str, done: float) -> None:
        """Write ``step`` (its month, when it names a day) unless it repeats the last line."""
        shown = _by_month(step)
        if shown == self._last:
            return
        self._last = shown
        elapsed = self._clock() - self._began
        self._out.write(f"[{done:4.0%} {elapsed:3.0f} s] {shown}\n")
        self._out.flush()


def _by_month(step: str) -> str:
    """``phase: YYYY-MM-DD`` as ``phase: YYYY-MM``; any other step unchanged.

    >>> _by_month("without: 2026-07-14"), _by_month("writing the report")
    ('without: 2026-07', 'writing the report')
    """
    phase, _, day = step.rpartition(": ")
    try:
        moment = date.fromisoformat(day)
    except ValueError:
        return step
    return f"{phase}: {moment:%Y-%m}"


__all__ = ["MonthlyProgress"]
