"""Real processes: ``kill -9`` of a writer, and four writers at once.

Each test starts ``event_writer_child.py`` as separate Python processes. A writer prints
``ack <worker> <batch>`` only after ``append`` returned; every acknowledged row must then
be in Delta exactly once, whatever happens to the writer afterwards.
"""

from __future__ import annotations

import itertools
import json
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from deltalake import DeltaTable

from watchkeeper.clock import EventTimeClock
from watchkeeper.storage.events.delta_events import DeltaEventStore

CHILD = Path(__file__).with_name("event_writer_child.py")
ROWS_PER_BATCH = 5


def start_writer(root: Path, spool: Path, worker: str, *options: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        str(CHILD),
        "--root",
        str(root),
        "--spool",
        str(spool),
        "--worker",
        worker,
    ]
    return subprocess.Popen(
        [*command, "--rows", str(ROWS_PER_BATCH), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_acknowledgements(writer: subprocess.Popen[str], wanted: int) -> list[str]:
    """Read stdout until ``wanted`` acks; return the acked event-id prefixes."""
    assert writer.stdout is not None
    acknowledged: list[str] = []
    while len(acknowledged) < wanted:
        line = writer.stdout.readline()
        if not line:
            _, errors = writer.communicate()
            pytest.fail(f"the writer stopped early (exit {writer.returncode}): {errors}")
        if line.startswith("ack "):
            _, worker, batch = line.split()
            acknowledged.append(f"{worker}-{batch}")
    return acknowledged


def acknowledged_event_ids(batches: list[str]) -> set[str]:
    return {f"{batch}-{row}" for batch in batches for row in range(ROWS_PER_BATCH)}


def stored_event_ids(root: Path) -> Counter[str]:
    """Every stored event id with how often it is stored (no deduplication)."""
    table = DeltaTable(str(root / "transactions"))
    return Counter(table.to_pyarrow_table(columns=["event_id"])["event_id"].to_pylist())


def replay(root: Path, spool: Path) -> pl.DataFrame:
    clock = EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC))
    with DeltaEventStore(str(root), spool, clock) as store:
        return store.read("transactions")


@pytest.mark.slow
@pytest.mark.parametrize("append_options", [(), ("--unsynced",)], ids=["fsync", "unsynced"])
def test_acknowledged_rows_survive_kill_9(tmp_path: Path, append_options: tuple[str, ...]) -> None:
    root, spool = tmp_path / "events", tmp_path / "writer.spool"
    acknowledged: list[str] = []
    for round_number, wanted in enumerate((25, 40, 33)):
        writer = start_writer(
            root,
            spool,
            f"round{round_number}",
            "--flush-every",
            "4",
            "--flush-threshold-rows",
            "35",
            *append_options,
        )
        acknowledged += read_acknowledgements(writer, wanted)
        writer.send_signal(signal.SIGKILL)
        writer.communicate()
        assert writer.returncode == -signal.SIGKILL

    read = replay(root, spool)
    stored = stored_event_ids(root)
    assert acknowledged_event_ids(acknowledged) <= set(stored)
    assert max(stored.values()) == 1, "a row is stored twice"
    assert read.height == len(stored)


@pytest.mark.slow
def test_kill_9_between_delta_commit_and_spool_cleanup(tmp_path: Path) -> None:
    root, spool = tmp_path / "events", tmp_path / "writer.spool"
    writer = start_writer(
        root, spool, "w", "--batches", "10", "--flush-every", "4", "--crash-after-commit"
    )
    output, errors = writer.communicate(timeout=120)
    assert writer.returncode == -signal.SIGKILL, errors
    acknowledged = [line.split()[2] for line in output.splitlines() if line.startswith("ack ")]
    assert acknowledged == ["0", "1", "2", "3"]
    assert any(line.startswith("commit w") for line in output.splitlines())
    committed_version = DeltaTable(str(root / "transactions")).version()
    with sqlite3.connect(spool) as connection:
        assert connection.execute("SELECT COUNT(*) FROM entries").fetchone() == (
            4,
        )  # not cleaned up

    read = replay(root, spool)

    assert DeltaTable(str(root / "transactions")).version() == committed_version  # no second commit
    stored = stored_event_ids(root)
    assert set(stored) == acknowledged_event_ids([f"w-{batch}" for batch in acknowledged])
    assert max(stored.values()) == 1
    assert read.height == 20
    with sqlite3.connect(spool) as connection:
        assert connection.execute("SELECT COUNT(*) FROM entries").fetchone() == (0,)


def delta_commits(root: Path) -> list[dict[str, Any]]:
    infos = []
    for path in sorted((root / "transactions" / "_delta_log").glob("*.json")):
        for line in path.read_text().splitlines():
            action = json.loads(line)
            if "commitInfo" in action:
                infos.append(action["commitInfo"] | {"version": int(path.stem)})
    return infos


@pytest.mark.slow
def test_four_writers_at_once_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    root = tmp_path / "events"
    spools = {"a1": "shared.spool", "a2": "shared.spool", "b": "b.spool", "c": "c.spool"}
    batches = 30
    writers = {  # a2 appends unsynced, beside a1's synced appends to the same spool
        worker: start_writer(
            root,
            tmp_path / spool,
            worker,
            "--batches",
            str(batches),
            "--flush-every",
            "3",
            *(["--unsynced"] if worker == "a2" else []),
        )
        for worker, spool in spools.items()
    }
    outputs = {}
    for worker, writer in writers.items():
        output, errors = writer.communicate(timeout=240)
        assert writer.returncode == 0, errors
        outputs[worker] = output.splitlines()

    reported_commits = [
        line.split() for lines in outputs.values() for line in lines if line.startswith("commit ")
    ]
    stored = stored_event_ids(root)
    expected = acknowledged_event_ids(
        [f"{worker}-{batch}" for worker in spools for batch in range(batches)]
    )
    assert set(stored) == expected
    assert max(stored.values()) == 1

    commits = delta_commits(root)
    versions = [commit["version"] for commit in commits]
    assert versions == list(range(len(versions)))
    flushes = [commit for commit in commits if "watchkeeper.spool_id" in commit]
    assert sorted(int(version) for _, _, version, _ in reported_commits) == [
        c["version"] for c in flushes
    ]
    assert sum(int(commit["watchkeeper.rows"]) for commit in flushes) == len(expected)
    for spool_id in {commit["watchkeeper.spool_id"] for commit in flushes}:
        ranges = sorted(
            (int(c["watchkeeper.first_spool_entry"]), int(c["watchkeeper.last_spool_entry"]))
            for c in flushes
            if c["watchkeeper.spool_id"] == spool_id
        )
        assert all(previous[1] < following[0] for previous, following in itertools.pairwise(ranges))
    assert len({commit["watchkeeper.spool_id"] for commit in flushes}) == 3
