"""The flusher process of ``watchkeeper serve`` moves the spool to Delta for the workers."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from tests.serving.conftest import START

from watchkeeper.serving.log_flusher import LogFlusher, flush_until_stopped
from watchkeeper.workspace import Workspace


def outcomes(*event_ids: str) -> dict[str, list[object]]:
    """Columns of one chargeback per event id."""
    count = len(event_ids)
    return {
        "event_id": list(event_ids),
        "outcome": ["chargeback"] * count,
        "outcome_ts": [START] * count,
        "amount": [None] * count,
        "received_at": [START] * count,
    }


def test_rows_a_worker_spools_reach_delta_on_the_flushers_interval(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws")
    flusher = LogFlusher(root, interval_seconds=0.2)
    flusher.start()
    try:
        with Workspace.open(root) as worker:
            worker.events.automatic_flush = False
            worker.events.append_columns("outcomes", outcomes("e1", "e2"))
            deadline = time.monotonic() + 60
            while worker.events.read("outcomes").height < 2:  # table made, then rows committed
                assert time.monotonic() < deadline, "the flusher never flushed"
                time.sleep(0.1)
            assert sorted(worker.events.read("outcomes")["event_id"]) == ["e1", "e2"]
            assert flusher.alive
    finally:
        assert flusher.stop() == 0
    assert not flusher.alive


def test_the_last_rows_are_flushed_when_the_flusher_stops(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws")
    flusher = LogFlusher(root, interval_seconds=3600)
    flusher.start()
    with Workspace.open(root) as worker:
        worker.events.automatic_flush = False
        worker.events.append_columns("outcomes", outcomes("e9"))
        assert flusher.stop() == 0
        assert worker.events.read("outcomes")["event_id"].to_list() == ["e9"]


@pytest.mark.timeout(30)  # waiting out the hour-long interval would fail here
def test_a_flusher_whose_server_is_gone_stops_at_once(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws")
    never, _writer = multiprocessing.Pipe(duplex=False)
    flush_until_stopped(str(root), 3600, never, parent=-1)  # -1: not this process's parent
    assert not never.poll()  # it stopped on its own: no stop message was ever sent


def test_a_flusher_whose_pipe_is_closed_stops_without_flushing(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws")
    reader, writer = multiprocessing.Pipe(duplex=False)
    writer.close()  # as when the server is gone
    flush_until_stopped(str(root), 3600, reader, parent=os.getppid())


def has_open(pid: int, name: str) -> bool:
    """Whether process ``pid`` holds a file whose path ends with ``name`` open (Linux)."""
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(link).endswith(name) for link in folder.iterdir())
    except OSError:  # a descriptor closed meanwhile
        return False


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")
def test_stopping_a_flusher_killed_while_it_waited_returns_at_once(tmp_path: Path) -> None:
    """A flusher killed while it waited used to leave ``stop`` waiting for it for ever."""
    root = Workspace.create(tmp_path / "ws")
    flusher = LogFlusher(root, interval_seconds=3600)  # it waits all the time
    flusher.start()
    assert flusher.pid is not None
    deadline = time.monotonic() + 60
    while not has_open(flusher.pid, "events.spool"):  # its store is open: it waits next
        assert time.monotonic() < deadline, "the flusher never opened the workspace"
        time.sleep(0.05)
    time.sleep(1.0)
    os.kill(flusher.pid, signal.SIGKILL)
    codes: list[int | None] = []
    stopper = threading.Thread(target=lambda: codes.append(flusher.stop(5.0)), daemon=True)
    stopper.start()
    stopper.join(30)
    assert not stopper.is_alive(), "stop() waits for a dead flusher"
    assert codes == [-signal.SIGKILL]


def test_the_flusher_ignores_sigterm_until_told_to_stop(tmp_path: Path) -> None:
    """A SIGTERM to the server's process group reaches the flusher too; it must outlive the
    workers to flush their last rows."""
    root = Workspace.create(tmp_path / "ws")
    flusher = LogFlusher(root, interval_seconds=0.2)
    flusher.start()
    with Workspace.open(root) as worker:
        worker.events.automatic_flush = False
        worker.events.append_columns("outcomes", outcomes("e1"))
        deadline = time.monotonic() + 60
        while worker.events.read("outcomes").height < 1:  # past its start
            assert time.monotonic() < deadline, "the flusher never flushed"
            time.sleep(0.05)
        assert flusher.pid is not None
        os.kill(flusher.pid, signal.SIGTERM)
        time.sleep(0.5)
        assert flusher.alive
        worker.events.append_columns("outcomes", outcomes("e2"))
        assert flusher.stop() == 0
        assert sorted(worker.events.read("outcomes")["event_id"]) == ["e1", "e2"]


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
def test_the_flusher_runs_at_idle_priority(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws")
    flusher = LogFlusher(root, interval_seconds=3600)
    flusher.start()
    try:
        assert flusher.pid is not None
        deadline = time.monotonic() + 60
        while os.sched_getscheduler(flusher.pid) != os.SCHED_IDLE:  # set as the process starts
            assert time.monotonic() < deadline, "the flusher never left the normal priority"
            time.sleep(0.05)
        assert os.sched_getscheduler(os.getpid()) != os.SCHED_IDLE  # the server's own is kept
    finally:
        assert flusher.stop() == 0
