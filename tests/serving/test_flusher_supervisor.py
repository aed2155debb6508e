"""A dead flusher is logged and restarted, after a back-off that grows while it keeps dying."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import time
from pathlib import Path

import pytest

from watchkeeper.serving.flusher_supervisor import FlusherSupervisor
from watchkeeper.serving.log_flusher import LogFlusher
from watchkeeper.workspace import Workspace


class FakeFlusher:
    started = 0

    def __init__(self) -> None:
        self.alive = False

    def start(self) -> None:
        FakeFlusher.started += 1
        self.alive = True

    def stop(self, timeout_seconds: float = 0.0) -> int | None:
        return -9


def test_a_flusher_that_keeps_dying_is_restarted_ever_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    supervisor = FlusherSupervisor(FakeFlusher, clock=lambda: now[0], steady_seconds=60.0)
    supervisor.start(watch=False)
    restarts_at = []
    for _ in range(400):  # dies at once after each start
        supervisor.flusher.alive = False
        before = supervisor.restarts
        supervisor.check()
        supervisor.check()
        if supervisor.restarts > before:
            restarts_at.append(now[0])
        now[0] += 1.0
    gaps = [later - earlier for earlier, later in itertools.pairwise(restarts_at)]
    assert gaps[:6] == [3.0, 5.0, 9.0, 17.0, 33.0, 61.0]  # 1 s alive, then 2, 4, 8... s back-off
    assert max(gaps) <= 61.0
    assert "the flusher process died (exit code -9)" in caplog.text
    supervisor.stop()


def test_a_flusher_that_ran_steadily_is_restarted_after_the_first_back_off() -> None:
    now = [0.0]
    supervisor = FlusherSupervisor(FakeFlusher, clock=lambda: now[0], steady_seconds=60.0)
    supervisor.start(watch=False)
    for _ in range(3):
        now[0] += 100.0  # a long life, then death
        supervisor.flusher.alive = False
        supervisor.check()
        now[0] += 1.0
        supervisor.check()
        assert supervisor.flusher.alive
    assert supervisor.restarts == 3


def test_a_killed_flusher_process_is_restarted_and_flushes_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.serving.test_log_flusher import outcomes

    caplog.set_level(logging.WARNING)
    root = Workspace.create(tmp_path / "ws")
    supervisor = FlusherSupervisor(
        lambda: LogFlusher(root, interval_seconds=0.2), check_seconds=0.1, first_backoff_seconds=0.1
    )
    supervisor.start()
    try:
        first = supervisor.flusher
        assert isinstance(first, LogFlusher) and first.pid is not None
        os.kill(first.pid, signal.SIGKILL)
        with Workspace.open(root) as worker:
            worker.events.automatic_flush = False
            worker.events.append_columns("outcomes", outcomes("after-the-kill"))
            deadline = time.monotonic() + 60
            while worker.events.read("outcomes").height < 1:
                assert time.monotonic() < deadline, "no flusher flushed after the kill"
                time.sleep(0.1)
        assert supervisor.restarts >= 1 and supervisor.flusher is not first
        assert "died" in caplog.text and "restart 1" in caplog.text
    finally:
        assert supervisor.stop(30.0) == 0
