"""Time comes from a clock passed in: no module but ``clock.py`` reads the wall clock."""

from __future__ import annotations

import ast
from pathlib import Path

import watchkeeper

PACKAGE = Path(watchkeeper.__file__).parent
FORBIDDEN = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
}


def wall_clock_reads(source: str) -> list[int]:
    """Line numbers of calls such as ``datetime.now()`` or ``time.time()``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if (name, node.func.attr) in FORBIDDEN:
                lines.append(node.lineno)
    return lines


def test_the_detector_finds_a_wall_clock_read() -> None:
    assert wall_clock_reads("import time\nx = 1\nstamp = time.time()\n") == [3]
    assert wall_clock_reads("import datetime\nd = datetime.datetime.now()\n") == [2]
    assert wall_clock_reads("t = time.monotonic()\n") == []


def test_only_clock_module_reads_the_wall_clock() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "clock.py" and path.parent == PACKAGE:
            continue
        lines = wall_clock_reads(path.read_text(encoding="utf-8"))
        if lines:
            offenders[str(path.relative_to(PACKAGE))] = lines
    assert offenders == {}, f"read the time from a Clock instead: {offenders}"
