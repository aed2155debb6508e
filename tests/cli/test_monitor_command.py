"""``watchkeeper monitor``: JSON shape, human output, incremental second run, one-line errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.cli import main

DAY = datetime(2026, 6, 1, tzinfo=UTC)


def test_monitor_json_shape_and_second_run(
    monitored_traffic: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in range(3):
        monitored_traffic.log_day(DAY + timedelta(days=index), rows=400)
    workspace = str(monitored_traffic.root)
    assert main(["monitor", "-w", workspace, "--until", "2026-06-03T12:00:00+00:00", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "model", "champion", "until", "watermark", "label_watermark", "windows", "relabelled",
        "recomputed", "rows_written", "concurrent", "alerts", "notes",
    }  # fmt: skip
    assert report["model"] == "card-fraud" and report["champion"] == 1
    assert report["windows"] == ["2026-06-01/2026-06-02", "2026-06-02/2026-06-03"]
    assert report["watermark"] == {"before": None, "after": "2026-06-03T00:00:00+00:00"}
    assert report["rows_written"] > 0 and report["concurrent"] is False
    assert report["alerts"] == [] and report["notes"] == []

    assert main(["monitor", "-w", workspace, "--until", "2026-06-04"]) == 0
    text = capsys.readouterr().out
    assert "new windows: 2026-06-03/2026-06-04" in text and "windows open for labels: 2" in text

    assert main(["monitor", "-w", workspace, "--until", "2026-06-04", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["windows"] == [] and again["rows_written"] == 0


@pytest.mark.parametrize(
    ("setup", "message"),
    [({"champion": False}, "no champion"), ({"with_reference": False}, "no reference profile")],
)
def test_monitor_errors_are_one_line_and_exit_2(
    tmp_path: Path,
    monitored_traffic_type: Any,
    capsys: pytest.CaptureFixture[str],
    setup: dict[str, bool],
    message: str,
) -> None:
    traffic = monitored_traffic_type(tmp_path / "ws", **setup)
    assert main(["monitor", "-w", str(traffic.root), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1


def test_monitor_rejects_a_bad_until(
    monitored_traffic: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["monitor", "-w", str(monitored_traffic.root), "--until", "soon"]) == 2
    assert "--until: 'soon' is not an ISO date or date-time" in capsys.readouterr().err


def test_two_monitor_processes_at_once_count_each_window_once(monitored_traffic: Any) -> None:
    import subprocess
    import sys

    for index in range(3):
        monitored_traffic.log_day(DAY + timedelta(days=index), rows=300)
    command = (
        "import sys; from watchkeeper.cli import main; "
        f"sys.exit(main(['monitor', '-w', {str(monitored_traffic.root)!r}, "
        "'--until', '2026-06-04', '--json']))"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", command], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    reports = [json.loads(process.communicate(timeout=120)[0]) for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    assert all(report["watermark"]["after"] == "2026-06-04T00:00:00+00:00" for report in reports)
    from watchkeeper.workspace import Workspace

    with Workspace.open(monitored_traffic.root) as opened:
        rows = opened.metadata.metrics("card-fraud")
    keys = [(row.model_version, row.window_start, row.feature, row.metric) for row in rows]
    assert len(keys) == len(set(keys))
    assert len({row.window_start for row in rows}) == 3


def test_a_served_model_of_another_task_is_monitored_once_it_has_a_champion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), "--example", "triage"]) == 0
    capsys.readouterr()
    assert main(["monitor", "-w", str(tmp_path)]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "model 'ticket-triage' has no champion to monitor; promote a version first" in error
    assert "not available" not in error
    assert main(["run", "--once", "-w", str(tmp_path), "--json"]) == 0
    tick = json.loads(capsys.readouterr().out)
    assert any(
        note.startswith("monitoring skipped: model 'ticket-triage' has no champion")
        for note in tick["notes"]
    )


def test_run_json_prints_one_document_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), "--example", "triage"]) == 0
    capsys.readouterr()
    assert main(["run", "--ticks", "2", "--interval", "1s", "-w", str(tmp_path), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    ticks = [json.loads(line) for line in lines]
    assert all("notes" in tick for tick in ticks)
