"""Reading a Delta table in Spark from the Parquet files of its current version.

The Delta-Spark connector's jars are not on the package registries watchkeeper installs
from, so the table's log is read by the ``deltalake`` library
(:func:`~watchkeeper.storage.events.delta_file_list.table_files`): the data files of the
current version (compacted-away and deleted files excluded) with their partition values.
Spark then reads exactly those Parquet files, with the table's schema (a column a file does
not hold yet reads as null, as in the Polars path).

**Partition columns.** Delta keeps them in the log, not in the files, and Spark reading a
list of files infers no partition from their paths: the column would be missing. When every
file lies in the Hive-style folder of its values (``event_date=2026-01-05/``, as ``deltalake``
writes them; checked against the log, file by file) Spark reads them all in one scan with
``basePath`` at the table's folder and the table's types. Otherwise (another writer's layout)
each group of files with the same values is read with those values as literals, and the
groups are unioned.

**Object storage.** ``s3://`` (and ``s3n://``) become Hadoop's ``s3a://``; the workspace's
``storage.storage_options`` (the names ``deltalake`` takes, any case) become the matching
``fs.s3a.*`` settings, and options already named ``fs.*`` pass as they are. They go to the
reader as options, which Spark copies into the Hadoop configuration of that read (listing
and reading). The cluster needs the ``hadoop-aws`` jars of its Hadoop version for ``s3a://``.

>>> spark_path("s3://bucket/events/part-0.parquet")
's3a://bucket/events/part-0.parquet'
>>> hadoop_options({"AWS_ACCESS_KEY_ID": "key", "AWS_ENDPOINT_URL": "http://minio:9000"})
{'fs.s3a.access.key': 'key', 'fs.s3a.endpoint': 'http://minio:9000'}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from watchkeeper.errors import StorageError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from watchkeeper.storage.events.delta_file_list import TableFiles

_S3A_OPTIONS = {
    "aws_access_key_id": "fs.s3a.access.key",
    "aws_secret_access_key": "fs.s3a.secret.key",
    "aws_session_token": "fs.s3a.session.token",
    "aws_endpoint_url": "fs.s3a.endpoint",
    "aws_endpoint": "fs.s3a.endpoint",
    "aws_region": "fs.s3a.endpoint.region",
    "aws_default_region": "fs.s3a.endpoint.region",
}
"""deltalake's storage option names (any case) and the Hadoop S3A settings they become."""

_S3A_SWITCHES = {
    "aws_allow_http": ("fs.s3a.connection.ssl.enabled", True),
    "aws_virtual_hosted_style_request": ("fs.s3a.path.style.access", True),
}
"""deltalake's true/false storage options and the S3A settings they set to the opposite."""

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
"""The folder name of a null partition value."""

_SCHEMES = {"s3": "s3a", "s3n": "s3a"}


def spark_path(uri: str) -> str:
    """The URI Spark's Hadoop file systems read: ``s3://`` is read through ``s3a://``.

    >>> spark_path("s3n://b/k"), spark_path("/data/events/x.parquet"), spark_path("gs://b/k")
    ('s3a://b/k', '/data/events/x.parquet', 'gs://b/k')
    """
    scheme, separator, rest = uri.partition("://")
    if separator and scheme.lower() in _SCHEMES:
        return f"{_SCHEMES[scheme.lower()]}://{rest}"
    return uri


def hadoop_options(storage_options: Mapping[str, str] | None) -> dict[str, str]:
    """Hadoop settings from the workspace's storage options (unknown names are dropped).

    >>> hadoop_options({"aws_allow_http": "true", "AWS_REGION": "eu-west-1", "x": "y"})
    {'fs.s3a.connection.ssl.enabled': 'false', 'fs.s3a.endpoint.region': 'eu-west-1'}
    >>> hadoop_options({"AWS_SESSION_TOKEN": "t"})["fs.s3a.aws.credentials.provider"]
    'org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider'
    """
    options: dict[str, str] = {}
    for name, value in (storage_options or {}).items():
        lowered = name.lower()
        if name.startswith("fs."):
            options[name] = value
        elif lowered in _S3A_OPTIONS:
            options[_S3A_OPTIONS[lowered]] = value
        elif lowered in _S3A_SWITCHES:
            setting, opposite = _S3A_SWITCHES[lowered]
            on = value.strip().lower() in ("1", "true", "yes")
            options[setting] = str(on != opposite).lower()
    if "fs.s3a.session.token" in options:
        options.setdefault(
            "fs.s3a.aws.credentials.provider",
            "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider",
        )
    return options


def hive_folder_value(value: Any) -> str | None:
    """How a partition value reads in a Hive-style folder name, or None when the fast path
    does not take values of its type (they are read as literals instead).

    >>> hive_folder_value(dt.date(2026, 1, 5)), hive_folder_value(None), hive_folder_value(1.5)
    ('2026-01-05', '__HIVE_DEFAULT_PARTITION__', None)
    """
    if value is None:
        return HIVE_NULL
    if isinstance(value, dt.datetime | float | bytes):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date | int | str):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return None


def in_hive_folders(files: TableFiles) -> bool:
    """Whether every file lies under the table's folder, in the Hive-style folders of the
    partition values the log gives it (so Spark's ``basePath`` restores them exactly).

    >>> from watchkeeper.storage.events.delta_file_list import DataFile, TableFiles
    >>> import pyarrow as pa
    >>> def files(*uris: str) -> TableFiles:
    ...     day = {"day": dt.date(2026, 1, 5)}
    ...     return TableFiles("s3://b/t", 3, pa.schema([]), ("day",),
    ...                       tuple(DataFile(uri, day) for uri in uris))
    >>> in_hive_folders(files("s3://b/t/day=2026-01-05/part-0.parquet"))
    True
    >>> in_hive_folders(files("s3://b/t/a1/part-0.parquet"))  # random prefixes
    False
    """
    folder = files.table_uri.removeprefix("file://") + "/"
    for file in files.files:
        path = file.uri.removeprefix("file://")
        if not path.startswith(folder):
            return False
        segments = dict(
            segment.split("=", 1)
            for segment in path[len(folder) :].split("/")[:-1]
            if "=" in segment
        )
        for name, value in file.partition_values.items():
            expected = hive_folder_value(value)
            found = segments.get(name)
            if expected is None or found is None or unquote(found) != expected:
                return False
    return True


def read_table_files(
    session: SparkSession,
    files: TableFiles,
    storage_options: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
) -> DataFrame:
    """A Spark frame of the rows of ``files`` (``columns``, or all), partition columns
    restored from the log (see the module's notes); an empty frame when there is no file."""
    from pyspark.sql import functions as sf

    schema = spark_schema(files.schema)
    wanted = list(columns) if columns is not None else list(schema.fieldNames())
    unknown = [name for name in wanted if name not in schema.fieldNames()]
    if unknown:
        raise StorageError(f"{files.table_uri}: the table has no column {unknown[0]!r}")
    if not files.files:
        return session.createDataFrame([], schema).select(*wanted)
    reader = session.read.options(**hadoop_options(storage_options))
    if not files.partition_columns or in_hive_folders(files):
        if files.partition_columns:
            reader = reader.option("basePath", spark_path(files.table_uri))
        frame = reader.schema(schema).parquet(*[spark_path(uri) for uri in files.uris])
        return frame.select(*wanted)
    data_schema = spark_schema(files.schema, without=files.partition_columns)
    groups: dict[tuple[Any, ...], list[str]] = {}
    for file in files.files:
        key = tuple(file.partition_values.get(name) for name in files.partition_columns)
        groups.setdefault(key, []).append(spark_path(file.uri))
    frames = []
    for key, uris in groups.items():
        values = {
            name: sf.lit(value).cast(schema[name].dataType)
            for name, value in zip(files.partition_columns, key, strict=True)
        }
        frames.append(reader.schema(data_schema).parquet(*uris).withColumns(values))
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union.select(*wanted)


def spark_schema(schema: pa.Schema, without: Sequence[str] = ()) -> Any:
    """The Spark ``StructType`` of a Delta table's Arrow schema (minus ``without``)."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    fields = [
        field.with_type(_plain(field.type, pa)) for field in schema if field.name not in without
    ]
    return from_arrow_schema(pa.schema(fields))


def _plain(kind: pa.DataType, pa: Any) -> pa.DataType:
    """Large and view string types as plain strings (Spark's Arrow conversion takes these)."""
    if kind in (pa.large_string(), pa.string_view()):
        return pa.string()
    if kind in (pa.large_binary(), pa.binary_view()):
        return pa.binary()
    return kind


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
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    from watchkeeper.storage.events.delta_file_list import table_files

    try:
        table = DeltaTable(table_uri, storage_options=dict(storage_options or {}) or None)
    except (DeltaError, OSError) as error:
        raise StorageError(f"{table_uri}: not a readable Delta table ({error})") from None
    files = table_files(table)
    if not files.files:
        raise StorageError(f"{table_uri}: the Delta table has no data files yet")
    return read_table_files(session, files, storage_options, columns)


__all__ = [
    "HIVE_NULL",
    "hadoop_options",
    "hive_folder_value",
    "in_hive_folders",
    "read_delta_table",
    "read_table_files",
    "spark_path",
    "spark_schema",
]
