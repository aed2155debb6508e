"""``ingest`` reports what opening the store committed; ``check`` and ``dead-letters`` show
the rows set aside because the event store cannot write them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchkeeper.cli import main
from watchkeeper.storage.events.column_payload import encode_columns
from watchkeeper.storage.events.spool import Spool
from watchkeeper.storage.events.tables import event_table
from watchkeeper.workspace import Workspace

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def leave_in_spool(root: Path, *event_ids: str) -> None:
    """Spool outcomes as a process that died before flushing them would have left them."""
    folder = root / ".watchkeeper"
    spool = Spool(folder / "events.spool", owner=str((folder / "events").resolve()))
    for event_id in event_ids:
        count, payload = encode_columns(
            event_table("outcomes"),
            {"event_id": [event_id], "outcome": ["chargeback"], "outcome_ts": [NOW]},
            received_at=NOW,
        )
        spool.append_payload("outcomes", count, payload, NOW)
    spool.close()


def run_json(capsys: pytest.CaptureFixture[str], *arguments: str) -> object:
    capsys.readouterr()
    assert main([*arguments, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ingest_counts_the_rows_committed_when_the_store_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Workspace.create(tmp_path / "ws")
    leave_in_spool(root, "e-1", "e-2", "e-3")
    report = run_json(capsys, "ingest", "--workspace", str(root))
    assert report == {"rows": 3, "dead_letter_rows": 0}
    assert run_json(capsys, "ingest", "--workspace", str(root)) == {
        "rows": 0,
        "dead_letter_rows": 0,
    }


def test_a_poison_row_is_reported_by_ingest_check_and_dead_letters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Workspace.create(tmp_path / "ws")
    leave_in_spool(root, "e-1", "card-\ud800", "e-2")
    capsys.readouterr()
    assert main(["ingest", "--workspace", str(root)]) == 0
    out = capsys.readouterr().out
    assert "ingested 2 rows" in out
    assert "1 row(s) could not be written" in out

    report = run_json(capsys, "check", "--workspace", str(root))
    assert isinstance(report, dict)
    assert report["dead_letters"] == 1
    (reason,) = report["dead_letter_reasons"]
    assert "outcomes: column 'event_id': UnicodeEncodeError" in reason
    assert main(["check", "--workspace", str(root)]) == 0
    assert "1 spooled row(s) could not be written" in capsys.readouterr().out

    (letter,) = run_json(capsys, "dead-letters", "--workspace", str(root))  # type: ignore[misc]
    assert (letter["table"], letter["entry_id"], letter["first_row"]) == ("outcomes", 2, 0)
    assert main(["dead-letters", "--workspace", str(root)]) == 0
    assert "outcomes  entry 2, row 0: column 'event_id'" in capsys.readouterr().out
