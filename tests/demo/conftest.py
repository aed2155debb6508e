"""The short case-study replay several demo tests read: run once per session.

155 days at 1,500 transactions a day, the first model live on day 130, the shift on day 140
(see ``test_replay.py`` for what the loop does on it, ``test_story.py`` for what its report
and summary say).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from watchkeeper.demo import DemoSettings, DemoSummary, run_demo

SHORT_DEMO = DemoSettings(seed=3, scale=1.0, days=155, shift_day=140, history_days=130)


@pytest.fixture(scope="session")
def short_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoSummary, Path]:
    """The replay's summary and its output folder (``report.html``, ``summary.json``)."""
    out = tmp_path_factory.mktemp("demo")
    steps: list[float] = []
    summary = run_demo(SHORT_DEMO, out, lambda step, done: steps.append(done))
    assert steps[0] == 0.0 and steps[-1] == 1.0
    assert all(later >= earlier - 1e-9 for earlier, later in pairwise(steps))
    return summary, out
