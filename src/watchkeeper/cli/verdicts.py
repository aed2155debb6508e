"""What the commands that judge data share: ``--fail-on``, its exit code, the verdicts'
colours, and writing an HTML page.

A verdict at or above ``--fail-on`` exits 1 (for CI); bad input exits 2 (one line on
stderr, see :mod:`watchkeeper.cli.app`); otherwise 0.

>>> fail_level("warn"), reaches("alert", "warn"), reaches("ok", "warn"), reaches("alert", None)
('warn', True, False, False)
"""

from __future__ import annotations

from pathlib import Path

import typer

from watchkeeper.cli.output import stderr
from watchkeeper.errors import DatasetError

VERDICT_STYLE = {"ok": "green", "warn": "yellow", "alert": "bold red"}
"""Rich styles of the verdicts (any other, such as ``no_data``, is dim)."""
LEVELS = {"ok": 0, "warn": 1, "alert": 2}


def fail_level(text: str | None) -> str | None:
    """The ``--fail-on`` level: ``warn``, ``alert`` or None."""
    if text is not None and text not in ("warn", "alert"):
        raise DatasetError(f"--fail-on {text}: give warn or alert")
    return text


def reaches(verdict: str, level: str | None) -> bool:
    """Whether ``verdict`` is at or above the ``--fail-on`` level."""
    return level is not None and LEVELS.get(verdict, -1) >= LEVELS[level]


def exit_if_reached(verdict: str, level: str | None) -> None:
    """Exit 1, saying why, when ``verdict`` reaches ``level``."""
    if reaches(verdict, level):
        stderr.print(f"verdict {verdict} reaches --fail-on {level}: exit 1", markup=False)
        raise typer.Exit(1)


def styled(verdict: str) -> str:
    """A verdict in its colour, as Rich markup."""
    return f"[{VERDICT_STYLE.get(verdict, 'dim')}]{verdict}[/]"


def write_page(path: Path, page: str, what: str = "HTML report") -> None:
    """Write ``page`` to ``--html`` ``path``: a one-line error when it cannot be written."""
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as error:
        raise DatasetError(f"--html {path}: cannot write ({error.strerror})") from None
    stderr.print(f"{what} written to {path}", markup=False)


__all__ = [
    "LEVELS",
    "VERDICT_STYLE",
    "exit_if_reached",
    "fail_level",
    "reaches",
    "styled",
    "write_page",
]
