"""``monitor`` with window profiles computed by Spark writes the metrics the Polars job writes.

A workspace with logged traffic and its copy, one monitored each way; every metric
row must match (floats within 1e-9 relative). Windows hold fewer predictions than a KLL sketch
keeps, so even the quantile-based figures agree. The ``spark`` fixture's ``local[2]`` session
is joined by ``run_monitor``.
"""

from __future__ import annotations

import math
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from watchkeeper.config import SparkConfig
from watchkeeper.monitoring.job.monitor_job import run_monitor
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

DAY = datetime(2026, 6, 1, tzinfo=UTC)


def metrics(root: Path) -> list[tuple[Any, ...]]:
    with Workspace.open(root) as opened:
        rows = opened.metadata.metrics("card-fraud")
    return sorted(
        (
            (row.metric, row.feature, row.model_version, row.window_start, row.window_end),
            row.value,
            row.status,
        )
        for row in rows
    )


def test_spark_window_profiles_give_the_polars_metrics(
    spark: SparkSession, tmp_path: Path, monitored_traffic_type: Any
) -> None:
    traffic = monitored_traffic_type(tmp_path / "polars")
    for index in range(3):
        traffic.log_day(DAY + timedelta(days=index), rows=300, shift=0.8 * (index == 2))
    # a copy, not a second workspace: the reference's sketch (compacted at random) is the same
    shutil.copytree(traffic.root, tmp_path / "spark")
    runs = {}
    for engine in ("polars", "spark"):
        config = SparkConfig(master="local[2]") if engine == "spark" else None
        with Workspace.open(tmp_path / engine) as opened:
            result = run_monitor(opened, DAY + timedelta(days=3), config)
        assert len(result.windows) == 3
        runs[engine] = metrics(tmp_path / engine)
    expected, actual = runs["polars"], runs["spark"]
    assert [row[0] for row in actual] == [row[0] for row in expected]
    for mine, theirs in zip(actual, expected, strict=True):
        assert mine[2] == theirs[2], mine[0]
        if isinstance(theirs[1], float):
            assert math.isclose(mine[1], theirs[1], rel_tol=1e-9, abs_tol=1e-12), mine[0]
        else:
            assert mine[1] == theirs[1], mine[0]
    psi = [row[1] for row in expected if row[0][:2] == ("psi", "amount")]
    assert len(psi) == 3 and psi[2] > 5 * max(psi[:2])  # the shifted day stands out
