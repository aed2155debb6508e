"""A Spark session made from the workspace's ``compute.spark`` section, quiet and in UTC.

The session time zone is always UTC (event times are instants; time parts convert to the
spec's zone explicitly), Arrow transfers are on, and Spark's console logging is cut to
errors. PySpark is imported here, on first use, never by ``import watchkeeper``.

>>> from watchkeeper.config import SparkConfig
>>> settings = session_settings(SparkConfig(master="local[2]", conf={"spark.ui.enabled": "false"}))
>>> settings["spark.sql.session.timeZone"], settings["spark.ui.enabled"]
('UTC', 'false')
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from watchkeeper.config import SparkConfig

BASE_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}
"""Settings every watchkeeper session needs; the workspace's ``conf`` may add to them."""

PANDAS_NOTICE = "PySpark does not yet fully support pandas"
"""PySpark's notice about recent pandas versions; watchkeeper hands data over as Arrow."""

FIXED_SETTINGS = ("spark.sql.session.timeZone",)
"""Settings the results depend on: a workspace cannot change them."""


def session_settings(config: SparkConfig) -> dict[str, str]:
    """The Spark settings of a session: the base ones, then the workspace's ``conf``."""
    fixed = [name for name in FIXED_SETTINGS if name in config.conf]
    if fixed:
        raise ConfigError(f"compute.spark.conf: {fixed[0]} is fixed by watchkeeper; remove it")
    return {**BASE_SETTINGS, **config.conf}


def spark_session(config: SparkConfig) -> SparkSession:
    """Start (or join) the Spark session ``config`` describes.

    Raises :class:`~watchkeeper.errors.ConfigError` in one line when PySpark is not installed
    or no Java runtime is found.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise ConfigError(
            "compute.engine spark needs PySpark: pip install 'watchkeeper[spark]'"
        ) from error
    if config.master.startswith("local") and not java_available():
        raise ConfigError("compute.engine spark needs a Java runtime (17 or later) on the PATH")
    settings = session_settings(config)
    quiet = f"-Dlog4j.configurationFile={Path(__file__).with_name('log4j2.properties').as_uri()}"
    settings.setdefault("spark.driver.extraJavaOptions", quiet)
    if config.master.startswith("local"):
        # Local workers run this interpreter, which has watchkeeper (and the custom functions).
        # PySpark reads the workers' interpreter from the environment when the JVM starts.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(config.master).appName(config.app_name)
    for name, value in settings.items():
        builder = builder.config(name, value)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", PANDAS_NOTICE, FutureWarning)  # watchkeeper uses Arrow
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def java_available() -> bool:
    """Whether a Java runtime is on the PATH (or named by ``JAVA_HOME``)."""
    home = os.environ.get("JAVA_HOME")
    if home and shutil.which("java", path=str(Path(home) / "bin")):
        return True
    return shutil.which("java") is not None


def collect_arrow(rows: DataFrame) -> pa.Table:
    """Collect a Spark frame as one Arrow table (``toArrow`` on Spark 4, Arrow batches on 3.5)."""
    import pyarrow as pa

    to_arrow: Any = getattr(rows, "toArrow", None)
    if to_arrow is not None:
        table: pa.Table = to_arrow()
        return table
    collect: Any = getattr(rows, "_collect_as_arrow")  # noqa: B009 - Spark 3.5, as toPandas
    batches = collect()
    if batches:
        return pa.Table.from_batches(batches)
    empty: pa.Table = arrow_schema(rows.schema).empty_table()
    return empty


def arrow_schema(schema: Any) -> pa.Schema:
    """The Arrow schema of a Spark ``StructType``, timestamps in UTC (Spark 4 and 3.5)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    try:
        converted: pa.Schema = to_arrow_schema(schema, timezone="UTC")
    except TypeError:  # Spark 3.5: no time zone argument, timestamps are UTC
        converted = to_arrow_schema(schema)
    return converted


__all__ = [
    "BASE_SETTINGS",
    "PANDAS_NOTICE",
    "arrow_schema",
    "collect_arrow",
    "java_available",
    "session_settings",
    "spark_session",
]
