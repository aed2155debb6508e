"""What the commands that judge two datasets (``drift``, ``performance``) share: their
options, ``--fail-on`` and its exit code, the verdicts' colours, writing an HTML page.

A verdict at or above ``--fail-on`` exits 1 (for CI); bad input exits 2 (one line on
stderr, see :mod:`watchkeeper.cli.app`); otherwise 0.

>>> fail_level("warn"), reaches("alert", "warn"), reaches("ok", "warn"), reaches("alert", None)
('warn', True, False, False)
>>> listed(["a,b", " c"])
['a', 'b', 'c']
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli.output import stderr
from watchkeeper.errors import DatasetError

ReferenceOption = Annotated[
    Path, typer.Option("--reference", "-r", help="The reference data (Parquet or CSV).")
]
CurrentOption = Annotated[
    Path, typer.Option("--current", "-c", help="The data to check (Parquet or CSV).")
]
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Also write a self-contained HTML page here.", dir_okay=False),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option("--exclude", metavar="COLUMN", help="Leave this column out (repeatable)."),
]
RoleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--role",
        metavar="COLUMN=ROLE",
        help="Set a column's role: feature, identifier, timestamp, prediction, target or "
        "excluded (repeatable; feature brings back a column left out).",
    ),
]
FailOnOption = Annotated[
    str | None,
    typer.Option(
        metavar="warn|alert",
        help="Exit 1 when any verdict (a feature's, a chunk's, a metric's) reaches this level.",
    ),
]
ChunkSizeOption = Annotated[
    int | None, typer.Option(metavar="N", help="Cut the current data into chunks of N rows.")
]
ChunksOption = Annotated[
    int | None,
    typer.Option("--chunks", metavar="K", help="Cut the current data into K equal chunks."),
]
ChunkPeriodOption = Annotated[
    str | None,
    typer.Option(metavar="PERIOD", help="One chunk per period (1w, 1d, 6h) of --timestamp-column."),
]
MinChunkRowsOption = Annotated[
    int, typer.Option(metavar="N", help="Refuse chunks with fewer rows.")
]

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


def listed(values: list[str] | None) -> list[str]:
    """Repeated options, each possibly comma-separated, as one list of names."""
    return [name.strip() for value in values or () for name in value.split(",") if name.strip()]


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
    "ChunkPeriodOption",
    "ChunkSizeOption",
    "ChunksOption",
    "CurrentOption",
    "ExcludeOption",
    "FailOnOption",
    "HtmlOption",
    "MinChunkRowsOption",
    "ReferenceOption",
    "RoleOption",
    "exit_if_reached",
    "fail_level",
    "listed",
    "reaches",
    "styled",
    "write_page",
]
