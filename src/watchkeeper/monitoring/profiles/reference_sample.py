"""A version's reference sample: a bounded, seeded sample of its holdout feature rows.

Per-feature profiles cannot show drift in feature *combinations*; the domain classifier
(:mod:`watchkeeper.monitoring.statistics.domain_classifier`) can, but it needs rows. So a reference
profile built for a new version keeps a uniform sample of at most 5,000 of its rows (seeded:
the same holdout gives the same sample) as a Parquet artifact named by
:attr:`DatasetProfile.sample_sha256`; the monitor job trains the classifier on it against a
sample of each completed week's served features.

>>> import tempfile, numpy as np
>>> from pathlib import Path
>>> from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
>>> from watchkeeper.storage.artifacts.folder import FolderArtifactStore
>>> artifacts = FolderArtifactStore(Path(tempfile.mkdtemp()))
>>> holdout = pl.DataFrame({"amount": np.arange(8_000.0)})
>>> profile = DatasetProfile({"amount": NumericProfile.from_values(holdout["amount"].to_numpy(), (4000.0,))}, rows=8_000)
>>> sampled = with_reference_sample(profile, artifacts, holdout)
>>> load_reference_sample(artifacts, sampled).num_rows
5000
"""

from __future__ import annotations

import io
from dataclasses import replace

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.statistics.domain_classifier import sample_rows
from watchkeeper.storage.artifacts.store import ArtifactStore

REFERENCE_SAMPLE_ROWS = 5_000
"""The most rows a reference sample keeps."""

SAMPLE_MEDIA_TYPE = "application/vnd.apache.parquet"


def with_reference_sample(
    profile: DatasetProfile,
    artifacts: ArtifactStore,
    features: pl.DataFrame,
    *,
    rows: int = REFERENCE_SAMPLE_ROWS,
    seed: int = 0,
) -> DatasetProfile:
    """``profile`` with a seeded sample of at most ``rows`` of ``features`` stored beside it.

    Only the columns the profile holds are kept.
    """
    columns = [name for name in features.columns if name in profile.features]
    if not columns:
        raise SchemaError("the reference sample shares no column with the reference profile")
    sample = sample_rows(features.select(columns).to_arrow(), rows, seed=seed)
    buffer = io.BytesIO()
    pq.write_table(sample, buffer)
    stored = artifacts.put_bytes(buffer.getvalue(), SAMPLE_MEDIA_TYPE)
    return replace(profile, sample_sha256=stored.sha256)


def load_reference_sample(artifacts: ArtifactStore, profile: DatasetProfile) -> pa.Table | None:
    """The reference sample of ``profile`` (verified by sha256), or None if it has none."""
    if profile.sample_sha256 is None:
        return None
    return pq.read_table(io.BytesIO(artifacts.get_bytes(profile.sample_sha256)))


__all__ = [
    "REFERENCE_SAMPLE_ROWS",
    "SAMPLE_MEDIA_TYPE",
    "load_reference_sample",
    "with_reference_sample",
]
