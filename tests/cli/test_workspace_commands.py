"""``watchkeeper init`` and ``check``: a working workspace, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from watchkeeper.cli import main


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-c", "from watchkeeper.cli import main; main()", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_init_writes_a_workspace_that_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ws"
    assert main(["init", str(folder), "--example", "fraud"]) == 0
    assert (folder / "watchkeeper.yaml").is_file()
    capsys.readouterr()
    assert main(["check", "--workspace", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "card-fraud"
    assert report["owner"].startswith("Dana Reyes")
    assert (folder / ".watchkeeper" / "metadata.db").is_file()


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)]) == 0
    assert main(["init", str(tmp_path)]) == 2
    assert main(["init", str(tmp_path), "--force"]) == 0


def test_bad_configuration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "watchkeeper.yaml").write_text(
        "model: {name: x}\nowner: {name: A, contact: a@b.c}\nalerts: {cooldwn: 1d}\n"
    )
    result = run_cli("check", "-w", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "watchkeeper.yaml: alerts.cooldwn: unknown key" in lines[0]


def test_unreachable_database_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "watchkeeper.yaml").write_text(
        "model: {name: x}\nowner: {name: A, contact: a@b.c}\n"
        "storage: {metadata: 'postgresql+psycopg://wk:hunter2@127.0.0.1:1/wk'}\n"
    )
    result = run_cli("check", "-w", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "storage.metadata" in result.stderr
    assert "hunter2" not in result.stderr


def test_missing_workspace_says_how_to_create_one(tmp_path: Path) -> None:
    result = run_cli("check", "-w", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "watchkeeper init" in result.stderr


def test_usage_error_is_exit_2(tmp_path: Path) -> None:
    result = run_cli("check", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_check_contacts_the_configured_redis(tmp_path: Path) -> None:
    (tmp_path / "watchkeeper.yaml").write_text(
        "model: {name: x}\nowner: {name: A, contact: a@b.c}\n"
        "storage: {online_state: {type: redis, url: 'redis://:hunter2@127.0.0.1:1/0'}}\n"
    )
    result = run_cli("check", "-w", str(tmp_path))
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "storage.online_state" in lines[0] and "not reachable" in lines[0]
    assert "hunter2" not in result.stderr


def test_error_text_with_brackets_is_printed_verbatim(tmp_path: Path) -> None:
    (tmp_path / "watchkeeper.yaml").write_text(
        "model: {name: '[/bold]x[red]'}\nowner: {name: A, contact: a@b.c}\n"
    )
    result = run_cli("check", "-w", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "(got '[/bold]x[red]')" in result.stderr


def test_check_shows_names_with_brackets_verbatim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "watchkeeper.yaml").write_text(
        "model: {name: x}\nowner: {name: '[bold]Dana[/]', contact: a@b.c}\n"
    )
    assert main(["check", "-w", str(tmp_path)]) == 0
    assert "[bold]Dana[/]" in capsys.readouterr().out


def test_an_interval_without_unit_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "ws")]) == 0
    result = run_cli("run", "--interval", "5", "--once", "-w", str(tmp_path / "ws"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "--interval: '5' is not a duration" in lines[0]


@pytest.mark.parametrize("content", [b"not json", b"\xff\xfe{}", b""])
def test_a_spec_that_is_not_json_is_one_line_and_exit_2(tmp_path: Path, content: bytes) -> None:
    assert main(["init", str(tmp_path / "ws")]) == 0
    (tmp_path / "spec.json").write_bytes(content)
    (tmp_path / "events.csv").write_text("event_id,ts\n")
    result = run_cli(
        "features", "compute", "-i", str(tmp_path / "events.csv"), "-o",
        str(tmp_path / "out.parquet"), "--spec", str(tmp_path / "spec.json"),
        "-w", str(tmp_path / "ws"),
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "not a valid fitted feature spec" in lines[0]
