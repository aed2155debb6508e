"""Capturing lineage facts: a stable hash of a frame, the workspace's git state, the environment.

>>> frame = pl.DataFrame({"b": [2, 1], "a": ["y", "x"]})
>>> shuffled = pl.concat([frame[1:], frame[:1]], rechunk=False).select("a", "b")
>>> frame_content_hash(frame) == frame_content_hash(shuffled)
True
>>> environment_lineage().packages["numpy"] is not None
True
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import polars as pl

from watchkeeper.registry.lineage import CodeLineage, EnvironmentLineage

KEY_PACKAGES = (
    "watchkeeper",
    "numpy",
    "polars",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "skops",
    "deltalake",
)
"""The packages whose versions are recorded with every model version."""

GIT_TIMEOUT_SECONDS = 10.0


def frame_content_hash(frame: pl.DataFrame, key: Sequence[str] | None = None) -> str:
    """The sha256 of a frame's content, independent of row order, column order and chunking.

    Rows are sorted by ``key`` — columns that identify a row, such as the event id: much
    faster on millions of rows — or, without one, by every column (the digest depends on that
    choice; training lineage sorts by the event id). Then each column, in name order, adds
    its name, its type, its null mask and its values in a fixed binary form (nulls as zero,
    strings as lengths then UTF-8 bytes) to the digest. Arrow buffers are not hashed as they
    are: the bytes under a null slot, the padding bits of a bitmap and the layout of string
    views are not part of the content, and would make equal frames hash differently.

    >>> frame = pl.DataFrame({"event_id": ["b", "a"], "amount": [2.0, None]})
    >>> reordered = frame.reverse().select("amount", "event_id")
    >>> frame_content_hash(frame, ["event_id"]) == frame_content_hash(reordered, ["event_id"])
    True
    """
    columns = sorted(frame.columns)
    order = list(key) if key else columns
    canonical = frame.select(columns)
    if order and canonical.height:
        canonical = canonical.sort(order, nulls_last=True, maintain_order=True)
    digest = hashlib.sha256(f"rows={canonical.height}".encode())
    for name in columns:
        for chunk in _column_bytes(canonical[name]):
            digest.update(len(chunk).to_bytes(8, "little"))
            digest.update(chunk)
    return digest.hexdigest()


def _column_bytes(series: pl.Series) -> Iterator[bytes]:
    yield f"{series.name}:{series.dtype}".encode()
    yield series.is_null().cast(pl.UInt8).to_numpy().tobytes()
    dtype = series.dtype
    if dtype == pl.Boolean:
        yield series.fill_null(False).cast(pl.UInt8).to_numpy().tobytes()
    elif dtype.is_numeric() or dtype.is_temporal():
        physical = series.to_physical().fill_null(0)
        yield np.ascontiguousarray(physical.to_numpy()).tobytes()
    elif dtype in (pl.String, pl.Categorical, pl.Enum):
        text = series.cast(pl.String).fill_null("")
        yield text.str.len_bytes().cast(pl.UInt64).to_numpy().tobytes()
        yield text.str.join("").item().encode("utf-8")
    else:  # lists, structs...: their JSON text, row by row
        yield "\n".join(json.dumps(value, default=str) for value in series.to_list()).encode()


def git_state(folder: Path) -> tuple[str | None, bool | None]:
    """The commit checked out in ``folder`` and whether files under it differ from it.

    ``(None, None)`` when git is not installed or ``folder`` is not in a repository: lineage
    then says "unknown" rather than failing the training.

    >>> import tempfile
    >>> git_state(Path(tempfile.mkdtemp()))
    (None, None)
    """
    commit = _git(folder, ["rev-parse", "HEAD"])
    if commit is None:
        return None, None
    status = _git(folder, ["status", "--porcelain", "--", "."])
    return commit, None if status is None else bool(status)


def code_lineage(folder: Path, feature_spec_sha256: str | None) -> CodeLineage:
    """The code facts of a version trained from the workspace at ``folder``."""
    commit, dirty = git_state(folder)
    return CodeLineage(
        git_commit=commit,
        git_dirty=dirty,
        watchkeeper_version=_version("watchkeeper") or "unknown",
        feature_spec_sha256=feature_spec_sha256,
    )


def environment_lineage(packages: Sequence[str] = KEY_PACKAGES) -> EnvironmentLineage:
    """Python's version, the platform, and the installed version of each package (or None)."""
    return EnvironmentLineage(
        python=platform.python_version(),
        platform=platform.platform(terse=True),
        packages={name: _version(name) for name in packages},
    )


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(folder: Path, arguments: list[str]) -> str | None:
    try:
        finished = subprocess.run(
            ["git", *arguments],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if finished.returncode != 0:
        return None
    return finished.stdout.strip()


__all__ = [
    "GIT_TIMEOUT_SECONDS",
    "KEY_PACKAGES",
    "code_lineage",
    "environment_lineage",
    "frame_content_hash",
    "git_state",
]
