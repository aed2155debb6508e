"""The flusher process of ``watchkeeper serve`` moves the spool to Delta for the workers."""

from __future__ import annotations

import multiprocessing
import os
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


def test_a_flusher_whose_server_is_gone_stops_at_once(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws")
    never = multiprocessing.get_context("spawn").Event()
    started = time.monotonic()
    flush_until_stopped(str(root), 3600, never, parent=-1)  # -1: not this process's parent
    assert time.monotonic() - started < 30


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
