"""Contract tests of the metadata store, run alike on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from watchkeeper.clock import EventTimeClock
from watchkeeper.errors import StorageError, StoreUnavailableError
from watchkeeper.storage.metadata import tables
from watchkeeper.storage.metadata.database import create_metadata_engine, normalise_url
from watchkeeper.storage.metadata.migrate import head_revision
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.storage.metadata.store import MetadataStore, open_metadata_store

START = datetime(2026, 2, 1, tzinfo=UTC)
SHA = "ab" * 32
T = TypeVar("T")


@pytest.fixture
def clock() -> EventTimeClock:
    return EventTimeClock(START)


@pytest.fixture
def store(database_url: str, clock: EventTimeClock) -> Iterator[MetadataStore]:
    with open_metadata_store(database_url, clock) as opened:
        yield opened


def run_in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` in ``count`` threads released together; re-raise the first failure."""
    barrier = threading.Barrier(count)
    results: list[T | None] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return [result for result in results if result is not None]


def count_rows(database_url: str, table: sa.Table) -> int:
    engine = create_metadata_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            )
    finally:
        engine.dispose()


# -- opening and migrating ------------------------------------------------------------------


def test_opening_migrates_to_head_and_reopening_keeps_data(
    database_url: str, clock: EventTimeClock
) -> None:
    with open_metadata_store(database_url, clock) as first:
        assert first.schema_version() == head_revision()
        first.record_decision(model="fraud", kind="alert", summary="psi above 0.2")
    with open_metadata_store(database_url, clock) as second:
        assert second.schema_version() == head_revision()
        assert [entry.summary for entry in second.decisions("fraud")] == ["psi above 0.2"]


def test_migrations_create_exactly_the_tables_module(
    store: MetadataStore, database_url: str
) -> None:
    engine = create_metadata_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, tables.metadata) == []
    finally:
        engine.dispose()


def test_threads_opening_a_fresh_database_at_once_all_succeed(
    database_url: str, clock: EventTimeClock
) -> None:
    def open_and_read(_index: int) -> str | None:
        with open_metadata_store(database_url, clock) as opened:
            return opened.schema_version()

    assert run_in_threads(4, open_and_read) == [head_revision()] * 4


@pytest.mark.slow
def test_processes_opening_a_fresh_database_at_once_all_succeed(database_url: str) -> None:
    script = (
        "import sys\n"
        "from watchkeeper.clock import WallClock\n"
        "from watchkeeper.storage.metadata.store import open_metadata_store\n"
        "with open_metadata_store(sys.argv[1], WallClock()) as store:\n"
        "    print(store.schema_version())\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, database_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [process.communicate(timeout=120) for process in processes]
    for process, (output, errors) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, errors
        assert output.strip() == head_revision()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = create_metadata_engine(f"sqlite:///{tmp_path / 'metadata.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


# -- connection errors ----------------------------------------------------------------------


def test_unreachable_server_names_the_url_with_the_password_masked(clock: EventTimeClock) -> None:
    url = "postgresql+psycopg://u:secret@127.0.0.1:1/x"
    with pytest.raises(StoreUnavailableError) as raised:
        open_metadata_store(url, clock)
    message = str(raised.value)
    assert "secret" not in message
    assert "postgresql+psycopg://u:***@127.0.0.1:1/x" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url",
    ["mysql://u:secret@localhost/x", "not a url://at all", "sqlite:////nonexistent-folder/m.db"],
)
def test_unknown_or_unusable_urls_raise_store_unavailable(url: str, clock: EventTimeClock) -> None:
    with pytest.raises(StoreUnavailableError) as raised:
        open_metadata_store(url, clock)
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(
    "url", ["postgres://u@db/x", "postgresql://u@db/x", "postgresql+psycopg://u@db/x"]
)
def test_postgresql_urls_are_normalised_to_psycopg(url: str) -> None:
    assert normalise_url(url).drivername == "postgresql+psycopg"


# -- audit log ------------------------------------------------------------------------------


def test_decisions_come_newest_first_by_event_time(store: MetadataStore) -> None:
    for days, kind in [(2, "retrain_attempt"), (5, "promotion"), (1, "alert"), (5, "rollback")]:
        store.record_decision(
            model="fraud",
            kind=kind,
            summary=kind,
            evidence={"days": days, "nested": {"psi": [0.1, 0.3]}},
            at=START + timedelta(days=days),
        )
    store.record_decision(model="other", kind="alert", summary="other model")
    store.record_decision(model=None, kind="config_change", summary="owner changed")

    entries = store.decisions("fraud")
    # same event time: the one written later comes first
    assert [entry.kind for entry in entries] == [
        "rollback",
        "promotion",
        "retrain_attempt",
        "alert",
    ]
    assert entries[0].evidence == {"days": 5, "nested": {"psi": [0.1, 0.3]}}
    assert entries[0].created_at == START
    assert [entry.kind for entry in store.decisions("fraud", limit=2)] == ["rollback", "promotion"]
    assert [entry.summary for entry in store.decisions(kind="alert")] == ["alert", "other model"]
    assert len(store.decisions()) == 6


# -- metric series --------------------------------------------------------------------------


def metric_rows(value: float) -> list[MetricRow]:
    window = (START, START + timedelta(days=1))
    return [
        MetricRow("fraud", "psi", *window, value=value, status="ok", feature="amount"),
        MetricRow("fraud", "psi", *window, value=value, status="ok", feature="merchant"),
        MetricRow("fraud", "precision", *window, value=value, status="immature", model_version=3),
        MetricRow("fraud", "precision", *window, value=value, status="ok"),
    ]


def test_upserting_the_same_metrics_twice_updates_instead_of_duplicating(
    store: MetadataStore, database_url: str, clock: EventTimeClock
) -> None:
    assert store.upsert_metrics(metric_rows(0.1)) == 4
    assert store.upsert_metrics(metric_rows(0.1)) == 4
    assert count_rows(database_url, tables.metric_series) == 4

    clock.advance(timedelta(hours=1))
    assert store.upsert_metrics(metric_rows(0.7)) == 4
    rows = store.metrics("fraud")
    assert len(rows) == 4
    assert {row.value for row in rows} == {0.7}
    assert {row.computed_at for row in rows} == {START + timedelta(hours=1)}


def test_metric_queries_filter_and_keep_none_for_missing_feature_and_version(
    store: MetadataStore,
) -> None:
    later = START + timedelta(days=7)
    store.upsert_metrics(
        [
            *metric_rows(0.2),
            MetricRow(
                "fraud", "psi", later, later + timedelta(days=1), value=math.nan, status="no_data"
            ),
            MetricRow("fraud", "psi", later, later + timedelta(days=1), value=None, status="warn"),
        ]
    )  # the last two share a key: the last one wins
    assert store.upsert_metrics([]) == 0

    psi = store.metrics("fraud", metric="psi")
    assert [(row.feature, row.window_start) for row in psi] == [
        ("amount", START),
        ("merchant", START),
        (None, later),
    ]
    assert psi[-1].value is None and psi[-1].status == "warn"
    model_level = store.metrics("fraud", metric="precision", feature="")
    assert [(row.feature, row.model_version) for row in model_level] == [(None, None), (None, 3)]
    assert [row.feature for row in store.metrics("fraud", feature="amount")] == ["amount"]
    assert len(store.metrics("fraud", start=later)) == 1
    assert len(store.metrics("fraud", end=START + timedelta(days=1))) == 4
    assert store.metrics("nobody") == []


# -- watermarks -----------------------------------------------------------------------------


def test_watermarks_move_by_compare_and_set(store: MetadataStore) -> None:
    first, second = START + timedelta(days=1), START + timedelta(days=2)
    assert store.get_watermark("monitor", "fraud") is None
    assert store.advance_watermark("monitor", "fraud", first, expected=None)
    assert not store.advance_watermark("monitor", "fraud", second, expected=None)
    assert not store.advance_watermark("monitor", "fraud", second, expected=START)
    assert store.get_watermark("monitor", "fraud") == first
    assert store.advance_watermark("monitor", "fraud", second, expected=first)
    assert store.get_watermark("monitor", "fraud") == second
    assert store.get_watermark("monitor", "other") is None
    with pytest.raises(ValueError, match="cannot move back"):
        store.advance_watermark("monitor", "fraud", first, expected=second)


def test_only_one_of_many_concurrent_runs_advances_a_watermark(store: MetadataStore) -> None:
    store.advance_watermark("retrain", "fraud", START, expected=None)

    def advance(index: int) -> bool:
        target = START + timedelta(hours=index + 1)
        return store.advance_watermark("retrain", "fraud", target, expected=START)

    assert sorted(run_in_threads(6, advance)) == [False] * 5 + [True]


# -- registry -------------------------------------------------------------------------------


def test_concurrent_registrations_number_versions_without_gaps_or_duplicates(
    store: MetadataStore,
) -> None:
    def register_five(thread: int) -> list[int]:
        return [
            store.register_version(
                "fraud", artifact_sha256=SHA, artifact_uri="memory:///m", lineage={"thread": thread}
            ).version
            for _ in range(5)
        ]

    numbers = [number for numbers in run_in_threads(4, register_five) for number in numbers]
    assert sorted(numbers) == list(range(1, 21))
    assert [record.version for record in store.versions("fraud")] == list(range(1, 21))
    other = store.register_version("other", artifact_sha256=SHA, artifact_uri="memory:///o")
    assert other.version == 1


def test_registered_version_round_trips(store: MetadataStore) -> None:
    record = store.register_version(
        "fraud",
        artifact_sha256=SHA,
        artifact_uri="file:///ws/objects/ab/ab",
        created_by="alice",
        metrics={"precision": 0.94},
        lineage={"training_window": ["2026-01-01", "2026-01-31"], "code": "abc123"},
    )
    assert store.versions("fraud") == [record]
    assert record.created_at == START and record.status == "registered"


def test_concurrent_alias_changes_leave_exactly_one_row_per_alias(
    store: MetadataStore, database_url: str
) -> None:
    for _ in range(4):
        store.register_version("fraud", artifact_sha256=SHA, artifact_uri="memory:///m")
    assert store.set_alias("fraud", "champion", 1) is None
    assert store.set_alias("fraud", "champion", 2) == 1

    def flip(index: int) -> list[int | None]:
        return [store.set_alias("fraud", "champion", (index + step) % 4 + 1) for step in range(5)]

    previous = [version for versions in run_in_threads(6, flip) for version in versions]
    assert set(previous) <= {1, 2, 3, 4}
    assert store.get_alias("fraud", "champion") in {1, 2, 3, 4}
    assert count_rows(database_url, tables.model_aliases) == 1
    assert store.get_alias("fraud", "challenger") is None


def test_alias_to_an_unregistered_version_is_refused(store: MetadataStore) -> None:
    store.register_version("fraud", artifact_sha256=SHA, artifact_uri="memory:///m")
    with pytest.raises(StorageError, match="version 7 of model 'fraud'"):
        store.set_alias("fraud", "champion", 7)
    assert store.get_alias("fraud", "champion") is None


# -- time zones -----------------------------------------------------------------------------


def test_timestamps_come_back_as_the_same_instant_in_utc(store: MetadataStore) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2026, 3, 1, 9, 15, 30, 123456, tzinfo=india)
    naive = datetime(2026, 3, 2, 12, 0)

    entry = store.record_decision(model="fraud", kind="alert", summary="s", at=local)
    [read] = store.decisions("fraud")
    assert read == entry
    assert read.at == local and read.at.utcoffset() == timedelta(0)
    assert read.at.tzinfo is not None

    store.upsert_metrics([MetricRow("fraud", "psi", local, naive, value=1.0, status="ok")])
    [row] = store.metrics("fraud")
    assert row.window_start == local and row.window_start.tzinfo == UTC
    assert row.window_end == naive.replace(tzinfo=UTC)

    store.advance_watermark("monitor", "fraud", local, expected=None)
    assert store.advance_watermark("monitor", "fraud", naive, expected=local.astimezone(UTC))
    assert store.get_watermark("monitor", "fraud") == naive.replace(tzinfo=UTC)
