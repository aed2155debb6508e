"""The artifact store: content-addressed files (models, fitted feature specs, reference profiles).

An artifact is named by the sha256 of its bytes and stored at ``objects/ab/cdef...`` (the first
two hex digits are a folder) under the store's root. Reading verifies the content against that
name every time: a file changed on disk is refused with
:class:`watchkeeper.errors.ArtifactIntegrityError`, never returned. Writing is idempotent: the
same bytes always land at the same place, and storing them again changes nothing.

Two backends share one contract (:class:`ArtifactStore`): a local folder (the default, in the
workspace; atomic writes by temporary file and rename) and any fsspec filesystem for production
(``s3://``, ``gs://``, ``memory://``...). :func:`open_artifact_store` picks one from the URL.

>>> import tempfile
>>> folder = tempfile.TemporaryDirectory()
>>> store = open_artifact_store(folder.name)
>>> ref = store.put_bytes(b"model weights", media_type="application/octet-stream")
>>> ref.sha256[:12], ref.size
('a2d42c4aa884', 13)
>>> store.get_bytes(ref.sha256)
b'model weights'
>>> folder.cleanup()
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from watchkeeper.errors import ArtifactIntegrityError, StorageError
from watchkeeper.locations import is_local, local_path

READ_CHUNK_BYTES = 1 << 20
"""Files are hashed and copied in pieces of this size, so large models need little memory."""

_SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ArtifactRef:
    """Where an artifact was stored: its sha256 (its name), its size in bytes, and its URI.

    ``media_type`` is echoed from the caller for recording next to the reference (in the
    registry, say); the store itself keeps only bytes.
    """

    sha256: str
    size: int
    uri: str
    media_type: str | None = None


@dataclass(frozen=True)
class IntegrityFailure:
    """An object that failed verification: what it claims to be, where it is, what is wrong."""

    sha256: str
    uri: str
    reason: str


@runtime_checkable
class ArtifactStore(Protocol):
    """A content-addressed store of bytes that verifies everything it returns."""

    @property
    def location(self) -> str:
        """The root of the store, as a URI."""
        ...

    def put_bytes(self, data: bytes, media_type: str | None = None) -> ArtifactRef:
        """Store ``data`` under its sha256 (idempotent) and return where it is."""
        ...

    def put_file(self, path: str | PathLike[str], media_type: str | None = None) -> ArtifactRef:
        """Store the content of a local file under its sha256 (idempotent)."""
        ...

    def get_bytes(self, sha256: str) -> bytes:
        """Return the verified content; raise if it is missing or does not match its sha256."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether an object is stored under ``sha256`` (without checking its content)."""
        ...

    def verify(self, sha256: str) -> bool:
        """Whether the object is stored and its content still hashes to ``sha256``."""
        ...

    def verify_all(self) -> list[IntegrityFailure]:
        """Check every stored object; return the ones that fail (empty when all is well)."""
        ...


def open_artifact_store(
    url_or_path: str | PathLike[str], storage_options: Mapping[str, Any] | None = None
) -> ArtifactStore:
    """Open the artifact store at a local folder or an fsspec URL.

    A plain path or a ``file://`` URL gives a local folder (created on the first write); any
    other URL goes through the fsspec filesystem of its protocol, with ``storage_options``
    (credentials, endpoint...) passed to it. A local folder needs no options and ignores
    them, so one workspace-wide set of options can serve every store.

    >>> open_artifact_store("memory://watchkeeper-doctest").location
    'memory:///watchkeeper-doctest'
    """
    location = str(url_or_path)
    if is_local(location):
        from watchkeeper.storage.artifacts.folder import FolderArtifactStore

        return FolderArtifactStore(local_path(location))
    from watchkeeper.storage.artifacts.fsspec_store import FsspecArtifactStore

    return FsspecArtifactStore(location, storage_options)


def checked_sha256(sha256: str) -> str:
    """Return ``sha256`` in lower case if it is a sha256 hex digest; raise StorageError if not.

    >>> checked_sha256("AB" * 32) == "ab" * 32
    True
    >>> checked_sha256("model.pkl")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.StorageError: 'model.pkl' is not a sha256 digest (64 hexadecimal characters)
    """
    digest = sha256.lower()
    if not _SHA256_PATTERN.fullmatch(digest):
        raise StorageError(f"{sha256!r} is not a sha256 digest (64 hexadecimal characters)")
    return digest


def object_key(sha256: str) -> str:
    """The path of an object relative to the store's root.

    >>> object_key("ab" + "0" * 62)
    'objects/ab/00000000000000000000000000000000000000000000000000000000000000'
    """
    digest = checked_sha256(sha256)
    return f"objects/{digest[:2]}/{digest[2:]}"


def sha256_of_chunks(chunks: Iterable[bytes]) -> str:
    """The sha256 hex digest of a stream of bytes.

    >>> sha256_of_chunks([b"a", b"bc"]) == hashlib.sha256(b"abc").hexdigest()
    True
    """
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def verified(sha256: str, data: bytes, uri: str) -> bytes:
    """Return ``data`` if it hashes to ``sha256``; otherwise raise ArtifactIntegrityError.

    >>> verified("0" * 64, b"tampered", "file:///ws/objects/00/000")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ArtifactIntegrityError: artifact 0000000000000000000000000000000000000000000000000000000000000000 at file:///ws/objects/00/000 is corrupt: its content hashes to ...; refusing to load it
    """
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ArtifactIntegrityError(
            f"artifact {sha256} at {uri} is corrupt: its content hashes to {actual}; "
            "refusing to load it"
        )
    return data


def missing(sha256: str, uri: str) -> StorageError:
    """The error for an artifact that is not in the store."""
    return StorageError(f"artifact {sha256} is not in the artifact store (looked at {uri})")


def masked_location(url: str) -> str:
    """A URL with any password replaced by ``***``, safe for error messages.

    >>> masked_location("s3://key:secret@bucket/models")
    's3://key:***@bucket/models'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


__all__ = [
    "READ_CHUNK_BYTES",
    "ArtifactRef",
    "ArtifactStore",
    "IntegrityFailure",
    "checked_sha256",
    "masked_location",
    "missing",
    "object_key",
    "open_artifact_store",
    "sha256_of_chunks",
    "verified",
]
