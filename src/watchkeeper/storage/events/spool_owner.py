"""Which event store a spool feeds, recorded so that the spool follows a copied workspace.

A spool records its owner when it is created, and refuses to open for another store: its
entries must never be replayed into the wrong tables. A local store is recorded relative to
the spool's folder (``./events``), so a workspace copied or moved whole (``cp -r ws ws2``)
opens as before, while a spool shared by two different stores is still refused. An object
store's URL (or any other name) is recorded as it is.

>>> from pathlib import Path
>>> owner_record("/srv/ws/.watchkeeper/events", Path("/srv/ws/.watchkeeper"))
'./events'
>>> owner_record("/data/events", Path("/srv/ws/.watchkeeper"))
'../../../data/events'
>>> owner_record("s3://bucket/events", Path("/srv/ws/.watchkeeper"))
's3://bucket/events'
>>> recorded_owner("./events", Path("/copy/.watchkeeper"))
'/copy/.watchkeeper/events'
"""

from __future__ import annotations

import os
from pathlib import Path

_RELATIVE = ("./", "../")


def owner_record(owner: str, spool_folder: Path) -> str:
    """How a spool in ``spool_folder`` (resolved) records ``owner`` (an absolute local root,
    a URL or a name)."""
    if not Path(owner).is_absolute():
        return owner
    relative = os.path.relpath(owner, spool_folder)
    return relative if relative.startswith("..") else f"./{relative}"


def recorded_owner(record: str, spool_folder: Path) -> str:
    """The owner a record names: an absolute path for a relative record, else the record."""
    if record.startswith(_RELATIVE):
        return os.path.normpath(spool_folder / record)
    return record


def follows_a_copy(record: str, owner: str, spool_path: Path) -> bool:
    """Whether an absolute ``record`` (written before owners were recorded relative) names
    ``owner`` as it was before the workspace was copied or moved.

    True when the record and ``owner`` sit at the same place relative to the spool, and
    either the recorded store is gone (moved) or the place the record implies for the spool
    holds another spool file (copied; the original still has its own). A spool shared by
    two stores in different places relative to it is never taken for a copy.
    """
    if not (Path(record).is_absolute() and Path(owner).is_absolute()):
        return False
    relative = os.path.relpath(owner, spool_path.parent)
    if relative.startswith("..") or not record.endswith(os.sep + relative):
        return False
    original_spool = Path(record[: -len(relative) - 1]) / spool_path.name
    if not Path(record).exists():
        return True
    try:
        return original_spool.exists() and not original_spool.samefile(spool_path)
    except OSError:
        return False


__all__ = ["follows_a_copy", "owner_record", "recorded_owner"]
