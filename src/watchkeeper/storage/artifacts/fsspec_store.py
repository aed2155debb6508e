"""The production artifact store: any fsspec filesystem (``s3://``, ``gs://``, ``memory://``...).

Objects live at ``<root>/objects/ab/cdef...`` exactly as in the local folder store. Each object
is written with one ``pipe_file`` call, which object stores apply atomically (a reader sees the
whole object or none), and is skipped when the store already holds it intact. Filesystem errors
other than "not found" are reported as :class:`watchkeeper.errors.StoreUnavailableError`.

>>> store = FsspecArtifactStore("memory://watchkeeper-doctest-fsspec")
>>> ref = store.put_bytes(b"reference profile")
>>> ref.uri.startswith("memory:///watchkeeper-doctest-fsspec/objects/")
True
>>> store.get_bytes(ref.sha256)
b'reference profile'
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any

import fsspec

from watchkeeper.errors import StoreUnavailableError
from watchkeeper.storage.artifacts.store import (
    READ_CHUNK_BYTES,
    ArtifactRef,
    IntegrityFailure,
    checked_sha256,
    masked_location,
    missing,
    object_key,
    sha256_of_chunks,
    verified,
)


class FsspecArtifactStore:
    """Content-addressed artifacts on an fsspec filesystem, chosen by the URL's protocol."""

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None = None) -> None:
        try:
            filesystem, root = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        except (ImportError, ValueError) as error:
            raise StoreUnavailableError(
                f"cannot open the artifact store at {masked_location(url)}: {error}"
            ) from error
        self._filesystem: Any = filesystem
        self._root = str(root).rstrip("/")

    @property
    def location(self) -> str:
        """The root of the store, as a URI of its filesystem."""
        return str(self._filesystem.unstrip_protocol(self._root))

    def put_bytes(self, data: bytes, media_type: str | None = None) -> ArtifactRef:
        """Store ``data`` under its sha256 in one write; storing it again changes nothing."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        with self._reporting_failures("write", path):
            if not self._intact(path, sha256):
                self._filesystem.pipe_file(path, data)
        return ArtifactRef(sha256, len(data), self._uri(path), media_type)

    def put_file(self, path: str | PathLike[str], media_type: str | None = None) -> ArtifactRef:
        """Store a local file's content (read whole, then written as one object)."""
        return self.put_bytes(Path(path).read_bytes(), media_type)

    def get_bytes(self, sha256: str) -> bytes:
        """The content stored under ``sha256``, verified; raises if missing or corrupt."""
        digest = checked_sha256(sha256)
        path = self._path(digest)
        with self._reporting_failures("read", path):
            try:
                data = bytes(self._filesystem.cat_file(path))
            except FileNotFoundError:
                raise missing(digest, self._uri(path)) from None
        return verified(digest, data, self._uri(path))

    def exists(self, sha256: str) -> bool:
        """Whether an object is stored under ``sha256`` (its content is not checked)."""
        path = self._path(sha256)
        with self._reporting_failures("check", path):
            return bool(self._filesystem.isfile(path))

    def verify(self, sha256: str) -> bool:
        """Whether the object is stored and still hashes to ``sha256``."""
        digest = checked_sha256(sha256)
        path = self._path(digest)
        with self._reporting_failures("verify", path):
            return self._intact(path, digest)

    def verify_all(self) -> list[IntegrityFailure]:
        """Check every stored object; return those whose content does not match their name."""
        objects = f"{self._root}/objects"
        failures = []
        with self._reporting_failures("list", objects):
            for path in sorted(self._filesystem.find(objects)):
                claimed = posixpath.basename(posixpath.dirname(path)) + posixpath.basename(path)
                actual = sha256_of_chunks(self._chunks(path))
                if actual != claimed:
                    reason = f"content hashes to {actual}"
                    failures.append(IntegrityFailure(claimed, self._uri(path), reason))
        return failures

    def _path(self, sha256: str) -> str:
        return f"{self._root}/{object_key(sha256)}"

    def _uri(self, path: str) -> str:
        return str(self._filesystem.unstrip_protocol(path))

    def _intact(self, path: str, sha256: str) -> bool:
        try:
            return sha256_of_chunks(self._chunks(path)) == sha256
        except FileNotFoundError:
            return False

    def _chunks(self, path: str) -> Iterator[bytes]:
        with self._filesystem.open(path, "rb") as stored:
            while chunk := stored.read(READ_CHUNK_BYTES):
                yield chunk

    @contextmanager
    def _reporting_failures(self, action: str, path: str) -> Iterator[None]:
        """Report filesystem failures (network, permissions) as an unavailable store."""
        try:
            yield
        except FileNotFoundError:
            raise
        except OSError as error:
            raise StoreUnavailableError(
                f"cannot {action} {masked_location(self._uri(path))} in the artifact store: {error}"
            ) from error


__all__ = ["FsspecArtifactStore"]
