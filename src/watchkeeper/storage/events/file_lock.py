"""An exclusive lock shared by every process of the machine: ``flock`` on a lock file.

The event store funnels work that must not run twice at once through such a lock: one
flush per spool at a time, and one Delta commit per local table at a time. ``flock`` locks
belong to an open file, so two threads of one process exclude each other too, and the
kernel releases the lock when its holder dies (even by ``kill -9``): a crash never leaves
a stale lock behind.

>>> import tempfile
>>> from pathlib import Path
>>> lock = FileLock(Path(tempfile.mkdtemp()) / "flush.lock")
>>> with lock:
...     lock.path.exists()
True
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from watchkeeper.errors import StorageError


class FileLock:
    """An exclusive, blocking, inter-process lock held while inside ``with``.

    Not re-entrant: a holder that takes the same lock again waits for itself forever.

    >>> import tempfile
    >>> lock = FileLock(Path(tempfile.mkdtemp()) / "nested" / "commit.lock")
    >>> with lock:
    ...     pass
    >>> lock.path.parent.name
    'nested'
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None

    def __enter__(self) -> FileLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StorageError(f"cannot open the lock file {self.path}: {error}") from error
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except OSError as error:
            os.close(descriptor)
            raise StorageError(f"cannot lock {self.path}: {error}") from error
        self._descriptor = descriptor
        return self

    def __exit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)


__all__ = ["FileLock"]
