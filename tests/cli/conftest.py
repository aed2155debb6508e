"""Helpers of the command tests: edit a workspace's settings, copy it, run a command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from watchkeeper.cli import main


def configure_workspace(root: Path, **sections: dict[str, Any]) -> None:
    """Merge ``sections`` (name -> settings) into the workspace's ``watchkeeper.yaml``."""
    path = root / "watchkeeper.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name, values in sections.items():
        settings[name] = {**settings.get(name, {}), **values}
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")


def copy_workspace(source: Path, copy: Path) -> Path:
    """A copy of the workspace at ``source``, without its event spool (not shared)."""
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("events.spool*"))
    return copy


def run_json(
    capsys: pytest.CaptureFixture[str], root: Path, *arguments: str
) -> tuple[int, Any, str]:
    """Run ``watchkeeper <arguments> -w root --json``: the exit code, the JSON output (None
    when there is none) and what went to stderr."""
    capsys.readouterr()
    code = main([*arguments, "-w", str(root), "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err
