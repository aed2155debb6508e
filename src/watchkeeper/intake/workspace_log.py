"""Logging a team's predictions and outcomes into a workspace: frames and files.

:func:`log_frame` logs one frame into a workspace's
:class:`~watchkeeper.intake.event_log.EventLog` (``Workspace.event_log``), and
:func:`log_file` feeds it a Parquet or CSV file batch by batch, reporting progress. Files
and frames take whatever period their data covers: the plausible event-time range guards
the live endpoints only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from watchkeeper.intake.event_log import EventLog, LogSummary, PreparedLog, empty_summary
from watchkeeper.intake.file_batches import DEFAULT_BATCH_ROWS, file_batches
from watchkeeper.intake.frames import FrameLike, as_polars

LoggedTable = Literal["predictions", "outcomes"]
Progress = Callable[[int, int | None], None]
"""Called after each batch with the rows done and the file's rows (None when unknown)."""


def log_frame(
    log: EventLog,
    table: LoggedTable,
    frame: FrameLike,
    columns: Mapping[str, str] | None = None,
    model_label: str | None = None,
) -> LogSummary:
    """Log one frame (pandas, Polars or Arrow) of ``table``, its columns renamed by
    ``columns`` (theirs -> ours)."""
    return log.commit(_prepared(log, table, frame, columns, model_label))


def _prepared(
    log: EventLog,
    table: LoggedTable,
    frame: FrameLike,
    columns: Mapping[str, str] | None,
    model_label: str | None,
) -> PreparedLog:
    rows = as_polars(frame, columns)
    if table == "predictions":
        return log.prepare_predictions(rows, model_label)
    return log.prepare_outcomes(rows)


def log_file(
    log: EventLog,
    table: LoggedTable,
    path: Path,
    columns: Mapping[str, str] | None = None,
    model_label: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
) -> LogSummary:
    """Log a Parquet or CSV file of ``table`` batch by batch (one Delta commit each).

    A batch is written while the next is read and checked (Delta and Polars release the
    interpreter while they work), so checking costs little beyond the writes.
    """
    batches = file_batches(path, batch_rows)
    summary = empty_summary(table)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="watchkeeper-log") as writer:
        pending: Future[LogSummary] | None = None
        for batch in batches:
            prepared = _prepared(log, table, batch, columns, model_label)
            if pending is not None:
                summary = summary + pending.result()
                if progress is not None:
                    progress(summary.rows, batches.total_rows)
            pending = writer.submit(log.commit, prepared)
        if pending is not None:
            summary = summary + pending.result()
            if progress is not None:
                progress(summary.rows, batches.total_rows)
    return summary


__all__ = ["LoggedTable", "Progress", "log_file", "log_frame"]
