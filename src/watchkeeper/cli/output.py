"""How commands speak: human output through Rich, machine output as JSON on stdout.

With ``--json`` only the JSON document goes to stdout; progress and logs go to stderr, so
``watchkeeper status --json | jq`` always works.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from watchkeeper.durations import format_duration

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def to_jsonable(value: Any) -> Any:
    """Convert dates, durations, paths and nested containers to plain JSON values.

    >>> to_jsonable({"at": date(2026, 6, 1), "after": timedelta(days=2), "n": (1, 2)})
    {'at': '2026-06-01', 'after': '2d', 'n': [1, 2]}
    """
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    return value


def format_number(value: object, missing: str = "n/a") -> str:
    """A value as every command prints it: floats to four significant digits below 1,000 and
    as whole thousands-separated numbers from there, ``missing`` for None.

    >>> format_number(0.123456), format_number(12345.678), format_number(None), format_number(7)
    ('0.1235', '12,346', 'n/a', '7')
    """
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return missing if value is None else str(value)


def emit_json(document: Any, *, line: bool = False) -> None:
    """Write one JSON document to stdout: indented, or on a single line with ``line`` (for
    commands that print a stream of documents, one per line: JSON lines)."""
    text = json.dumps(
        to_jsonable(document), indent=None if line else 2, allow_nan=False,
        separators=(",", ":") if line else None,
    )  # fmt: skip
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


__all__ = ["emit_json", "format_number", "stderr", "stdout", "to_jsonable"]
