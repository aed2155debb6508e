"""Delta commits: retried with backoff on conflicts, never written twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError

import watchkeeper.storage.events.delta_tables as delta_tables
from watchkeeper.errors import StorageError
from watchkeeper.storage.events.delta_tables import ApplicationTransaction, DeltaEventTables
from watchkeeper.storage.events.rows import conform_rows, with_arrival_sequence
from watchkeeper.storage.events.tables import EVENT_TABLES

TRANSACTIONS = EVENT_TABLES["transactions"]


def rows(samples: Any, count: int = 3) -> pa.Table:
    conformed = conform_rows(
        TRANSACTIONS, samples.transactions(count), datetime(2026, 3, 1, tzinfo=UTC)
    )
    return with_arrival_sequence(conformed, 1)


class FlakyWrites:
    """Stands in for ``write_deltalake``: fails as told, around the real write."""

    def __init__(self, failures_before: int, failures_after: int = 0) -> None:
        self.failures_before = failures_before
        self.failures_after = failures_after
        self.calls = 0

    def __call__(self, *arguments: Any, **keywords: Any) -> None:
        self.calls += 1
        if self.failures_before:
            self.failures_before -= 1
            raise CommitFailedError("Failed to commit transaction: 15")
        delta_tables_write(*arguments, **keywords)
        if self.failures_after:
            self.failures_after -= 1
            raise CommitFailedError("the commit landed but the answer was lost")


delta_tables_write = delta_tables.write_deltalake


def test_conflicts_are_retried_with_growing_backoff(
    tmp_path: Path, samples: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    tables = DeltaEventTables(str(tmp_path), sleep=waits.append)
    flaky = FlakyWrites(failures_before=3)
    monkeypatch.setattr(delta_tables, "write_deltalake", flaky)

    version = tables.commit(TRANSACTIONS, rows(samples), ApplicationTransaction("app", 1))

    assert flaky.calls == 4
    assert len(waits) == 3 and waits[0] < waits[2]
    assert version == DeltaTable(tables.uri("transactions")).version()


def test_a_commit_that_landed_despite_an_error_is_not_written_again(
    tmp_path: Path, samples: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = DeltaEventTables(str(tmp_path), sleep=lambda seconds: None)
    monkeypatch.setattr(
        delta_tables, "write_deltalake", FlakyWrites(failures_before=0, failures_after=1)
    )

    tables.commit(TRANSACTIONS, rows(samples), ApplicationTransaction("app", 1))

    assert DeltaTable(tables.uri("transactions")).to_pyarrow_table().num_rows == 3


def test_retries_give_up_with_a_named_error(
    tmp_path: Path, samples: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = DeltaEventTables(str(tmp_path), commit_attempts=2, sleep=lambda seconds: None)
    monkeypatch.setattr(delta_tables, "write_deltalake", FlakyWrites(failures_before=5))
    with pytest.raises(StorageError, match=r"transactions: commit failed after 2 attempt"):
        tables.commit(TRANSACTIONS, rows(samples))


def test_a_batch_already_committed_by_its_application_is_skipped(
    tmp_path: Path, samples: Any
) -> None:
    tables = DeltaEventTables(str(tmp_path))
    first = tables.commit(TRANSACTIONS, rows(samples), ApplicationTransaction("app", 5))
    again = tables.commit(TRANSACTIONS, rows(samples), ApplicationTransaction("app", 4))
    assert first == again
    assert tables.committed_version("transactions", "app") == 5
    assert tables.committed_version("transactions", "other") is None
    assert tables.committed_version("outcomes", "app") is None
