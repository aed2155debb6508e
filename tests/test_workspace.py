"""A workspace opens the stores its file names, resolving relative paths against its folder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from watchkeeper.clock import EventTimeClock
from watchkeeper.errors import ConfigError, WorkspaceError
from watchkeeper.workspace import Workspace


def test_stores_live_inside_the_workspace_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WATCHKEEPER_METADATA_URL", raising=False)
    root = Workspace.create(tmp_path / "ws")
    monkeypatch.chdir(tmp_path)  # relative paths must not follow the current folder
    clock = EventTimeClock(datetime(2026, 2, 1, tzinfo=UTC))
    with Workspace.open(Path("ws"), clock) as workspace:
        workspace.metadata.record_decision(model="card-fraud", kind="note", summary="hello")
        workspace.events.append(
            "outcomes",
            pl.DataFrame(
                {
                    "event_id": ["tx-1"],
                    "outcome": ["chargeback"],
                    "outcome_ts": [datetime(2026, 1, 20, tzinfo=UTC)],
                }
            ),
        )
        reference = workspace.artifacts.put_bytes(b"model bytes")
    assert (root / ".watchkeeper" / "metadata.db").is_file()
    assert (root / ".watchkeeper" / "events").is_dir()
    with Workspace.open(root) as reopened:
        assert reopened.events.read("outcomes")["event_id"].to_list() == ["tx-1"]
        assert reopened.artifacts.get_bytes(reference.sha256) == b"model bytes"
        assert [entry.summary for entry in reopened.metadata.decisions("card-fraud")] == ["hello"]


def test_metadata_on_postgresql_through_the_environment(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHKEEPER_METADATA_URL", postgres_url)
    root = Workspace.create(tmp_path / "ws")
    with Workspace.open(root) as workspace:
        assert workspace.metadata.url.startswith("postgresql+psycopg://")
        workspace.metadata.record_decision(model="card-fraud", kind="note", summary="on postgres")
        assert workspace.metadata.decisions("card-fraud")[0].summary == "on postgres"
    assert not (root / ".watchkeeper" / "metadata.db").exists()


def test_unreachable_database_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "watchkeeper.yaml").write_text(
        "model: {name: x}\nowner: {name: A, contact: a@b.c}\n"
        "storage: {metadata: 'postgresql://u:secret@127.0.0.1:1/db'}\n"
    )
    with Workspace.open(tmp_path) as workspace, pytest.raises(ConfigError) as caught:
        _ = workspace.metadata
    assert "storage.metadata" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_object_store_urls_are_kept_as_they_are(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path)
    workspace = Workspace.open(root)
    assert workspace.resolve("s3://bucket/events") == "s3://bucket/events"
    assert workspace.resolve("state/events") == str(root.resolve() / "state" / "events")
    assert workspace.resolve("/abs/events") == "/abs/events"


def test_unknown_example_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="unknown example 'bank'"):
        Workspace.create(tmp_path, example="bank")
    with pytest.raises(WorkspaceError, match="no such folder"):
        Workspace.open(tmp_path / "missing")
