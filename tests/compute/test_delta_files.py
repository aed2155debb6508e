"""Object-storage paths and options for Spark, and the partition folders it may trust: pure
functions, no Spark, no network."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest

from watchkeeper.compute.delta_files import (
    hadoop_options,
    hive_folder_value,
    in_hive_folders,
    spark_path,
)
from watchkeeper.errors import StorageError
from watchkeeper.storage.events.delta_file_list import DataFile, TableFiles, table_files


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "s3://bucket/events/transactions/part-0.parquet",
            "s3a://bucket/events/transactions/part-0.parquet",
        ),
        ("S3://bucket/k", "s3a://bucket/k"),
        ("s3n://bucket/k", "s3a://bucket/k"),
        ("s3a://bucket/k", "s3a://bucket/k"),
        ("gs://bucket/k", "gs://bucket/k"),
        ("abfss://c@account.dfs.core.windows.net/k", "abfss://c@account.dfs.core.windows.net/k"),
        ("/data/events/part-0.parquet", "/data/events/part-0.parquet"),
        ("file:///data/events/part-0.parquet", "file:///data/events/part-0.parquet"),
    ],
)
def test_object_store_paths_map_to_hadoop_schemes(uri: str, expected: str) -> None:
    assert spark_path(uri) == expected


def test_storage_options_become_s3a_settings() -> None:
    options = hadoop_options(
        {
            "AWS_ACCESS_KEY_ID": "key",
            "aws_secret_access_key": "secret",
            "AWS_SESSION_TOKEN": "token",
            "AWS_ENDPOINT_URL": "http://minio:9000",
            "AWS_REGION": "eu-west-3",
            "AWS_ALLOW_HTTP": "true",
            "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
            "fs.s3a.connection.maximum": "64",
            "AWS_S3_LOCKING_PROVIDER": "dynamodb",  # deltalake's alone: dropped
        }
    )
    assert options == {
        "fs.s3a.access.key": "key",
        "fs.s3a.secret.key": "secret",
        "fs.s3a.session.token": "token",
        "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider",
        "fs.s3a.endpoint": "http://minio:9000",
        "fs.s3a.endpoint.region": "eu-west-3",
        "fs.s3a.connection.ssl.enabled": "false",
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.maximum": "64",
    }
    assert hadoop_options(None) == {}
    assert hadoop_options({"AWS_ALLOW_HTTP": "false"}) == {"fs.s3a.connection.ssl.enabled": "true"}


def _files(table: str, *files: tuple[str, object]) -> TableFiles:
    listed = tuple(DataFile(uri, {"event_date": value}) for uri, value in files)
    return TableFiles(table, 4, pa.schema([]), ("event_date",), listed)


def test_partition_values_are_trusted_from_folders_only_where_the_log_agrees() -> None:
    day = date(2026, 1, 5)
    assert in_hive_folders(
        _files(
            "s3://bucket/events/transactions",
            ("s3://bucket/events/transactions/event_date=2026-01-05/part-0.parquet", day),
            (
                "s3://bucket/events/transactions/event_date=__HIVE_DEFAULT_PARTITION__/p.parquet",
                None,
            ),
        )
    )
    assert in_hive_folders(_files("file:///t", ("/t/event_date=2026-01-05/p.parquet", day)))
    # a folder that says another day than the log, a file outside the folder, no folder
    assert not in_hive_folders(_files("/t", ("/t/event_date=2026-01-06/p.parquet", day)))
    assert not in_hive_folders(_files("/t", ("/elsewhere/event_date=2026-01-05/p.parquet", day)))
    assert not in_hive_folders(_files("/t", ("/t/ab12/p.parquet", day)))
    assert hive_folder_value(True) == "true" and hive_folder_value(7) == "7"
    assert hive_folder_value(2.5) is None  # floats are read as literals, never parsed back


class _Table:
    """What ``table_files`` asks of a ``DeltaTable``, for layouts deltalake does not write."""

    def __init__(self, configuration: dict[str, str], features: list[str], vectors: list[str]):
        self.table_uri = "s3://bucket/events/transactions"
        self._configuration, self._features, self._vectors = configuration, features, vectors

    def metadata(self) -> Any:
        return SimpleNamespace(configuration=self._configuration, partition_columns=["event_date"])

    def protocol(self) -> Any:
        return SimpleNamespace(reader_features=self._features)

    def file_uris(self, file_pruning_predicate: Any = None) -> list[str]:
        return [f"{self.table_uri}/event_date=2026-01-05/part-0.parquet"]

    def get_add_actions(self, flatten: bool = False) -> pa.Table:
        return pa.table(
            {
                "path": ["event_date=2026-01-05/part-0.parquet"],
                "partition.event_date": pa.array([date(2026, 1, 5)], pa.date32()),
            }
        )

    def deletion_vectors(self) -> pa.Table:
        return pa.table(
            {"filepath": self._vectors, "selection_vector": [[True]] * len(self._vectors)}
        )

    def schema(self) -> Any:
        return SimpleNamespace(to_arrow=lambda: pa.schema([("event_date", pa.date32())]))

    def version(self) -> int:
        return 9


def test_deletion_vectors_and_column_mapping_are_refused_by_name() -> None:
    uri = "s3://bucket/events/transactions/event_date=2026-01-05/part-0.parquet"
    listed = table_files(_Table({}, ["deletionVectors"], []))  # enabled, none on these files
    assert listed.uris == [uri] and listed.version == 9
    assert listed.files[0].partition_values == {"event_date": date(2026, 1, 5)}
    with pytest.raises(StorageError, match=r"1 data file\(s\) carry deletion vectors"):
        table_files(_Table({}, ["deletionVectors"], [uri]))
    with pytest.raises(StorageError, match=r"column mapping \(delta.columnMapping.mode: name\)"):
        table_files(_Table({"delta.columnMapping.mode": "name"}, [], []))
