"""Reading a Delta table in Spark from the Parquet files of its current version.

The Delta-Spark connector's jars are not on the package registries watchkeeper installs
from, so the table's log is read by the ``deltalake`` library, which lists the data files of
the current version (removed and compacted-away files excluded); Spark then reads exactly
those Parquet files. Object-storage paths pass through: ``s3://`` becomes Hadoop's ``s3a://``
and the workspace's ``storage.storage_options`` (the names ``deltalake`` takes) become the
matching ``fs.s3a.*`` read options; options already named ``fs.*`` pass as they are.

>>> spark_path("s3://bucket/events/part-0.parquet")
's3a://bucket/events/part-0.parquet'
>>> hadoop_options({"AWS_ACCESS_KEY_ID": "key", "AWS_ENDPOINT_URL": "http://minio:9000"})
{'fs.s3a.access.key': 'key', 'fs.s3a.endpoint': 'http://minio:9000'}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from watchkeeper.errors import StorageError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_S3A_OPTIONS = {
    "aws_access_key_id": "fs.s3a.access.key",
    "aws_secret_access_key": "fs.s3a.secret.key",
    "aws_session_token": "fs.s3a.session.token",
    "aws_endpoint_url": "fs.s3a.endpoint",
    "aws_endpoint": "fs.s3a.endpoint",
    "aws_region": "fs.s3a.endpoint.region",
}
"""deltalake's storage option names (any case) and the Hadoop S3A settings they become."""


def spark_path(uri: str) -> str:
    """The URI Spark's Hadoop file systems read: ``s3://`` is read through ``s3a://``."""
    return "s3a://" + uri.removeprefix("s3://") if uri.startswith("s3://") else uri


def hadoop_options(storage_options: Mapping[str, str] | None) -> dict[str, str]:
    """Spark read options from the workspace's storage options (unknown names are dropped)."""
    options: dict[str, str] = {}
    for name, value in (storage_options or {}).items():
        if name.startswith("fs."):
            options[name] = value
        elif name.lower() in _S3A_OPTIONS:
            options[_S3A_OPTIONS[name.lower()]] = value
    return options


def delta_file_uris(table_uri: str, storage_options: Mapping[str, str] | None = None) -> list[str]:
    """The Parquet files of the table's current version, as ``deltalake`` lists them."""
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    try:
        table = DeltaTable(table_uri, storage_options=dict(storage_options or {}) or None)
    except (DeltaError, OSError) as error:
        raise StorageError(f"{table_uri}: not a readable Delta table ({error})") from None
    return [str(uri) for uri in table.file_uris()]


def read_delta_table(
    session: SparkSession,
    table_uri: str,
    storage_options: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
) -> DataFrame:
    """A Spark frame of the rows of the table's current version (``columns``, or all).

    Raises :class:`~watchkeeper.errors.StorageError` when the table cannot be read or has no
    data files yet.
    """
    uris = delta_file_uris(table_uri, storage_options)
    if not uris:
        raise StorageError(f"{table_uri}: the Delta table has no data files yet")
    reader = session.read.options(mergeSchema="true", **hadoop_options(storage_options))
    frame = reader.parquet(*[spark_path(uri) for uri in uris])
    return frame.select(*columns) if columns is not None else frame


__all__ = ["delta_file_uris", "hadoop_options", "read_delta_table", "spark_path"]
