"""Contract tests of the artifact store, run alike on a local folder and fsspec's memory://."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from watchkeeper.errors import ArtifactIntegrityError, StorageError, StoreUnavailableError
from watchkeeper.storage.artifacts.store import ArtifactRef, ArtifactStore, open_artifact_store

MODEL_BYTES = b"\x00lightgbm model\xff" * 1000


@pytest.fixture(params=["folder", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArtifactStore]:
    if request.param == "folder":
        yield open_artifact_store(tmp_path / "artifacts")
        return
    root = f"/watchkeeper-test-{uuid.uuid4().hex}"
    yield open_artifact_store(f"memory://{root}")
    memory = fsspec.filesystem("memory")
    if memory.exists(root):
        memory.rm(root, recursive=True)


def tamper(ref: ArtifactRef, content: bytes = b"not the model") -> None:
    """Overwrite a stored object behind the store's back."""
    with fsspec.open(ref.uri, "wb") as stored:
        stored.write(content)


def test_stores_implement_the_protocol(store: ArtifactStore) -> None:
    assert isinstance(store, ArtifactStore)


def test_bytes_round_trip_under_their_sha256(store: ArtifactStore) -> None:
    ref = store.put_bytes(MODEL_BYTES, media_type="application/x-lightgbm")
    assert ref.sha256 == hashlib.sha256(MODEL_BYTES).hexdigest()
    assert ref.size == len(MODEL_BYTES)
    assert ref.media_type == "application/x-lightgbm"
    assert f"objects/{ref.sha256[:2]}/{ref.sha256[2:]}" in ref.uri
    assert ref.uri.startswith(store.location)
    assert store.exists(ref.sha256) and store.verify(ref.sha256)
    assert store.get_bytes(ref.sha256) == MODEL_BYTES
    assert store.get_bytes(ref.sha256.upper()) == MODEL_BYTES


def test_putting_the_same_bytes_again_is_idempotent(store: ArtifactStore) -> None:
    first = store.put_bytes(MODEL_BYTES)
    second = store.put_bytes(MODEL_BYTES)
    assert first == second
    with fsspec.open(first.uri, "rb") as stored:
        assert stored.read() == MODEL_BYTES
    assert store.verify_all() == []


def test_files_are_stored_by_content(store: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "model.txt"
    source.write_bytes(MODEL_BYTES)
    from_file = store.put_file(source, media_type="text/plain")
    assert from_file == ArtifactRef(
        hashlib.sha256(MODEL_BYTES).hexdigest(), len(MODEL_BYTES), from_file.uri, "text/plain"
    )
    assert store.put_bytes(MODEL_BYTES).uri == from_file.uri
    assert store.get_bytes(from_file.sha256) == MODEL_BYTES


def test_empty_content_is_a_valid_artifact(store: ArtifactStore) -> None:
    ref = store.put_bytes(b"")
    assert ref.size == 0 and store.get_bytes(ref.sha256) == b""


def test_tampered_object_is_refused_on_read(store: ArtifactStore) -> None:
    ref = store.put_bytes(MODEL_BYTES)
    tamper(ref)
    with pytest.raises(ArtifactIntegrityError) as raised:
        store.get_bytes(ref.sha256)
    message = str(raised.value)
    assert ref.sha256 in message and ref.uri in message
    assert hashlib.sha256(b"not the model").hexdigest() in message
    assert not store.verify(ref.sha256)
    assert store.exists(ref.sha256)


def test_verify_all_reports_only_the_tampered_object(store: ArtifactStore) -> None:
    good = store.put_bytes(b"reference profile")
    bad = store.put_bytes(MODEL_BYTES)
    tamper(bad)
    [failure] = store.verify_all()
    assert failure.sha256 == bad.sha256 and failure.uri == bad.uri
    assert "content hashes to" in failure.reason
    assert store.verify(good.sha256)


def test_putting_good_bytes_again_repairs_a_tampered_object(store: ArtifactStore) -> None:
    ref = store.put_bytes(MODEL_BYTES)
    tamper(ref)
    assert store.put_bytes(MODEL_BYTES) == ref
    assert store.get_bytes(ref.sha256) == MODEL_BYTES


def test_missing_object_raises_storage_error_naming_it(store: ArtifactStore) -> None:
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(absent) and not store.verify(absent)
    with pytest.raises(StorageError) as raised:
        store.get_bytes(absent)
    assert not isinstance(raised.value, ArtifactIntegrityError)
    assert absent in str(raised.value)


def test_a_name_that_is_not_a_sha256_is_refused(store: ArtifactStore) -> None:
    with pytest.raises(StorageError, match="not a sha256 digest"):
        store.get_bytes("../../etc/passwd")


def test_empty_store_verifies_clean(store: ArtifactStore) -> None:
    assert store.verify_all() == []


def test_folder_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = open_artifact_store(f"file://{tmp_path / 'artifacts'}")
    source = tmp_path / "model.bin"
    source.write_bytes(MODEL_BYTES)
    store.put_file(source)
    store.put_file(source)
    store.put_bytes(b"profile")
    stored = sorted(path.name[:5] for path in (tmp_path / "artifacts").rglob("*") if path.is_file())
    assert len(stored) == 2
    assert not any(name.startswith(".tmp") for name in stored)


def test_unknown_protocol_raises_store_unavailable() -> None:
    with pytest.raises(StoreUnavailableError, match="nosuchprotocol://bucket"):
        open_artifact_store("nosuchprotocol://bucket/artifacts")
