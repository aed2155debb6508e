"""The short case-study replay several demo tests read: run once per session.

155 days at 1,500 transactions a day, the first model live on day 130, the shift on day 140
(see ``test_replay.py`` for what the loop does on it, ``test_story.py`` for what its report
and summary say).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.demo import DemoSettings, DemoSummary, run_demo
from watchkeeper.demo.runs import Progress

SHORT_DEMO = DemoSettings(seed=3, scale=1.0, days=155, shift_day=140, history_days=130)


Replay = Callable[[Path, Progress], Any]


def replay_watching_progress(run: Replay, out: Path) -> Any:
    """``run(out, progress)``, checking that the progress goes from 0 to 1 without going back."""
    steps: list[float] = []
    result = run(out, lambda step, done: steps.append(done))
    assert steps[0] == 0.0 and steps[-1] == 1.0
    assert all(later >= earlier - 1e-9 for earlier, later in pairwise(steps))
    return result


@pytest.fixture(scope="session")
def watching_progress() -> Callable[[Replay, Path], Any]:
    """:func:`replay_watching_progress`, for the replays' fixtures."""
    return replay_watching_progress


@pytest.fixture(scope="session")
def short_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoSummary, Path]:
    """The replay's summary and its output folder (``report.html``, ``summary.json``)."""
    out = tmp_path_factory.mktemp("demo")
    summary = replay_watching_progress(lambda folder, say: run_demo(SHORT_DEMO, folder, say), out)
    return summary, out
