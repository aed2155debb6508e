"""The default artifact store: a local folder (``<root>/objects/ab/cdef...``).

Writes go to a temporary file in ``<root>/objects`` (same filesystem), are flushed to disk,
and are renamed into place, so a reader never sees half an object and a crash leaves at most a
``.tmp-*`` file, which :meth:`FolderArtifactStore.verify_all` ignores. An object that is already
stored intact is not written again; a corrupt one is replaced by the good bytes.

>>> import tempfile
>>> folder = tempfile.TemporaryDirectory()
>>> store = FolderArtifactStore(folder.name)
>>> ref = store.put_bytes(b"{}")
>>> store.put_bytes(b"{}") == ref, store.verify(ref.sha256), store.verify_all()
(True, True, [])
>>> folder.cleanup()
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import BinaryIO

from watchkeeper.storage.artifacts.store import (
    READ_CHUNK_BYTES,
    ArtifactRef,
    IntegrityFailure,
    checked_sha256,
    missing,
    object_key,
    sha256_of_chunks,
    verified,
)

_TEMPORARY_PREFIX = ".tmp-"


class FolderArtifactStore:
    """Content-addressed artifacts in a local folder, created on the first write."""

    def __init__(self, root: str | PathLike[str]) -> None:
        self._root = Path(root).expanduser().resolve()

    @property
    def location(self) -> str:
        """The root folder as a ``file://`` URI."""
        return self._root.as_uri()

    def put_bytes(self, data: bytes, media_type: str | None = None) -> ArtifactRef:
        """Store ``data`` under its sha256, atomically; storing it again changes nothing."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        if not self._intact(path, sha256):
            temporary = self._temporary_file()
            try:
                with temporary.open("wb") as output:
                    output.write(data)
                    _flush_to_disk(output)
                self._move_into_place(temporary, path)
            finally:
                temporary.unlink(missing_ok=True)
        return ArtifactRef(sha256, len(data), path.as_uri(), media_type)

    def put_file(self, path: str | PathLike[str], media_type: str | None = None) -> ArtifactRef:
        """Store a local file's content, copied and hashed in one pass, atomically."""
        source = Path(path)
        temporary = self._temporary_file()
        try:
            digest, size = hashlib.sha256(), 0
            with source.open("rb") as source_file, temporary.open("wb") as output:
                while chunk := source_file.read(READ_CHUNK_BYTES):
                    digest.update(chunk)
                    output.write(chunk)
                    size += len(chunk)
                _flush_to_disk(output)
            sha256 = digest.hexdigest()
            target = self._path(sha256)
            if not self._intact(target, sha256):
                self._move_into_place(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return ArtifactRef(sha256, size, target.as_uri(), media_type)

    def get_bytes(self, sha256: str) -> bytes:
        """The content stored under ``sha256``, verified; raises if missing or corrupt."""
        digest = checked_sha256(sha256)
        path = self._path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise missing(digest, path.as_uri()) from None
        return verified(digest, data, path.as_uri())

    def exists(self, sha256: str) -> bool:
        """Whether a file is stored under ``sha256`` (its content is not checked)."""
        return self._path(sha256).is_file()

    def verify(self, sha256: str) -> bool:
        """Whether the object is stored and still hashes to ``sha256``."""
        return self._intact(self._path(sha256), checked_sha256(sha256))

    def verify_all(self) -> list[IntegrityFailure]:
        """Check every stored object; return those whose content does not match their name."""
        failures = []
        objects = self._root / "objects"
        for path in sorted(objects.glob("*/*")) if objects.is_dir() else []:
            if path.name.startswith(_TEMPORARY_PREFIX) or not path.is_file():
                continue
            claimed = path.parent.name + path.name
            actual = sha256_of_chunks(_chunks(path))
            if actual != claimed:
                reason = f"content hashes to {actual}"
                failures.append(IntegrityFailure(claimed, path.as_uri(), reason))
        return failures

    def _path(self, sha256: str) -> Path:
        return self._root / object_key(sha256)

    def _intact(self, path: Path, sha256: str) -> bool:
        try:
            return sha256_of_chunks(_chunks(path)) == sha256
        except FileNotFoundError:
            return False

    def _temporary_file(self) -> Path:
        objects = self._root / "objects"
        objects.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=_TEMPORARY_PREFIX, dir=objects)
        os.close(handle)
        return Path(name)

    def _move_into_place(self, temporary: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.chmod(0o644)
        temporary.replace(target)  # atomic on one filesystem; the same bytes if it raced


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stored:
        while chunk := stored.read(READ_CHUNK_BYTES):
            yield chunk


def _flush_to_disk(output: BinaryIO) -> None:
    output.flush()
    os.fsync(output.fileno())


__all__ = ["FolderArtifactStore"]
