"""What a replay leaves in its output folder: ``report.html`` and ``summary.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from watchkeeper.workspace import Workspace


def write_outputs(
    workspace: Workspace, out: Path, *, title: str, extra_html: str, summary: dict[str, Any]
) -> None:
    """Write the watched workspace's report, with ``extra_html`` after its summary, and the
    JSON ``summary`` into ``out``.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with Workspace.open(Workspace.create(folder / "ws")) as workspace:
    ...     write_outputs(workspace, folder, title="t", extra_html="<p>x</p>", summary={"a": 1})
    >>> sorted(path.name for path in folder.iterdir() if path.is_file())
    ['report.html', 'summary.json']
    """
    from watchkeeper.report import write_report

    write_report(workspace, out / "report.html", title=title, extra_html=extra_html)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")


__all__ = ["write_outputs"]
