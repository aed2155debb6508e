"""``watchkeeper report``: write the model health report, one self-contained HTML file.

The page is built by :mod:`watchkeeper.report`; this module parses the options and says where
the file went.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, stdout


@app.command()
def report(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="The HTML file to write (folders are created).", dir_okay=False
        ),
    ] = Path("report.html"),
    weeks: Annotated[
        int | None,
        typer.Option(help="Only the latest N weeks of windows (default: all).", min=1),
    ] = None,
    title: Annotated[str | None, typer.Option(help="The page's title.")] = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Write the report: score distributions, drift, flag rate, performance, money, timeline, lineage.

    One HTML file with inline CSS and SVG: it opens offline and can be attached anywhere.
    """
    from watchkeeper.report import write_report
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        written = write_report(opened, out, title=title, weeks=weeks)
    size = written.stat().st_size
    if json_output:
        emit_json({"path": str(written.resolve()), "bytes": size})
        return
    stdout.print(f"report written to {written} ({size / 1024:,.0f} KiB)", markup=False)


__all__ = ["report"]
