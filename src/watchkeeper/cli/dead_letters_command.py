"""``watchkeeper dead-letters``: the spooled rows the event store could not write.

A row that cannot become a Delta row (text UTF-8 cannot encode, a value its column cannot
hold, an entry whose bytes no longer parse) is set aside by the flush with its reason, so
that it never holds back the rows behind it. This command lists them, newest first; their
raw content stays in the spool file's ``dead_letters`` table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, stdout


@app.command("dead-letters")
def dead_letters(
    limit: Annotated[int, typer.Option(help="At most this many dead letters.", min=1)] = 50,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """List the spooled rows set aside because the event store cannot write them."""
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        letters = opened.events.dead_letters(limit)
    if json_output:
        emit_json([letter.to_dict() for letter in letters])
        return
    if not letters:
        stdout.print("no row has been set aside")
        return
    for letter in letters:
        last = letter.first_row + letter.row_count - 1
        rows = f"row {last}" if letter.row_count == 1 else f"rows {letter.first_row}-{last}"
        stdout.print(
            f"{letter.dead_letter_id}  {letter.set_aside_at.isoformat(timespec='seconds')}  "
            f"{letter.table}  entry {letter.entry_id}, {rows}: {escape(letter.reason)}",
            soft_wrap=True,
        )


__all__ = ["dead_letters"]
