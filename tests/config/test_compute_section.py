"""The ``compute:`` section and the Spark settings made from it (no Spark started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeeper.compute.spark_session import session_settings
from watchkeeper.config import SparkConfig, load_config
from watchkeeper.errors import ConfigError

MINIMAL = "model: {name: card-fraud}\nowner: {name: Dana Reyes, contact: dana@example.com}\n"


def test_polars_is_the_default_and_spark_is_read_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "watchkeeper.yaml"
    path.write_text(MINIMAL)
    assert load_config(path).compute.engine == "polars"
    path.write_text(
        MINIMAL + "compute:\n  engine: spark\n  spark:\n    master: spark://head:7077\n"
        "    conf: {spark.executor.instances: 40, spark.dynamicAllocation.enabled: true}\n"
    )
    compute = load_config(path).compute
    assert (compute.engine, compute.spark.master) == ("spark", "spark://head:7077")
    settings = session_settings(compute.spark)
    assert settings["spark.executor.instances"] == "40"
    assert settings["spark.dynamicAllocation.enabled"] == "true"
    assert settings["spark.sql.session.timeZone"] == "UTC"


def test_unknown_engine_and_fixed_settings_are_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "watchkeeper.yaml"
    path.write_text(MINIMAL + "compute: {engine: dask}\n")
    with pytest.raises(ConfigError, match=r"compute\.engine"):
        load_config(path)
    config = SparkConfig(conf={"spark.sql.session.timeZone": "Europe/Berlin"})
    with pytest.raises(ConfigError, match="fixed by watchkeeper"):
        session_settings(config)
