"""Training on Spark from the event store's Delta files equals training on Polars.

The workspace's events live in partitioned Delta tables with many versions: the simulated
history bulk-loaded in three parts, replayed transactions and corrected outcomes appended
through the spool, a compaction (its replaced files left on disk) and a delete. Spark reads
the files of the current versions itself (no frame passes through the driver); the labelled,
featured window — and the champion's holdout features — must equal the Polars pipeline's,
and so must the moment the retrain policy finds post-drift labels ready.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest
from deltalake import DeltaTable
from polars.testing import assert_frame_equal
from tests.conftest import SPARK_TEST_SETTINGS
from tests.training.conftest import assert_same_featured

from watchkeeper.config import SparkConfig
from watchkeeper.features.fit import fit
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.simulate import preset, simulate
from watchkeeper.simulate.to_event_store import TRUTH_COLUMN, chargebacks_as_outcomes
from watchkeeper.training.pipeline import (
    build_attempt_inputs,
    featured_window,
    labels_ready_since,
    latest_event_time,
    provisional_settings,
    read_training_data,
    resolve_as_of,
    warm_up,
)
from watchkeeper.training.spark_training_data import (
    read_spark_training_data,
    spark_latest_event_time,
)
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from watchkeeper.storage.events.delta_events import DeltaEventStore

pytestmark = pytest.mark.spark


def _load_in_versions(store: DeltaEventStore, days: int) -> None:
    """The simulated history in three bulk loads, replays, corrections, a compaction and a
    delete: each leaves the tables at a new Delta version."""
    config = preset(
        "case-study",
        days=days,
        per_day=120,
        base_fraud_rate=0.04,
        segment_shift={"start_day": 80, "ramp_days": 7},
        fraud_adaptation={"start_day": 80, "ramp_days": 7, "mode": "sudden"},
    )
    traffic = simulate(config)
    transactions = traffic.transactions.drop(TRUTH_COLUMN).sort("ts")
    outcomes = chargebacks_as_outcomes(traffic.chargebacks).sort("received_at")
    thirds = [transactions.height // 3, 2 * transactions.height // 3, transactions.height]
    start = 0
    for part, end in enumerate(thirds):
        store.write_bulk("transactions", transactions.slice(start, end - start), f"tx-{part}")
        start = end
        if part == 1:
            store.compact("transactions")
    half = outcomes.height // 2
    store.write_bulk("outcomes", outcomes.head(half), "outcomes-0")
    store.write_bulk("outcomes", outcomes.tail(outcomes.height - half), "outcomes-1")
    # a replay (its first arrival, the bulk load, wins) and corrections (the latest wins)
    store.append("transactions", transactions.gather_every(50).with_columns(amount=pl.lit(1.0)))
    corrected = outcomes.gather_every(9).with_columns(
        outcome=pl.lit("reversal"), received_at=pl.col("received_at") + timedelta(days=2)
    )
    store.append("outcomes", corrected)
    store.flush()
    store.compact("outcomes")
    DeltaTable(f"{store.root}/transactions").delete("merchant_category = 'travel'")


@pytest.mark.slow
def test_training_from_the_delta_files_on_spark_equals_polars(
    spark: SparkSession, tmp_path: Path
) -> None:
    root = Workspace.create(tmp_path / "ws", "fraud")
    with Workspace.open(root) as opened:
        store = opened.events
        _load_in_versions(store, days=110)  # type: ignore[arg-type]
        assert store.table_version("transactions") == 6  # create, 3 loads, compact, append, delete
        on_disk = list(Path(store.root, "transactions").rglob("*.parquet"))  # type: ignore[attr-defined]
        listed = store.data_files("transactions")  # type: ignore[attr-defined]
        assert len(on_disk) > len(listed.files)  # compacted and deleted files stay on disk
        settings = opened.config
        latest = latest_event_time(store, settings.keys.event_time)
        assert spark_latest_event_time(store, settings, spark) == latest
        as_of = resolve_as_of(None, latest_event=latest, now=opened.clock.now())
        data = read_training_data(store, settings, as_of=as_of, warm_up=warm_up(settings, None))
        held = read_spark_training_data(
            store,
            settings,
            spark,
            as_of=as_of,
            warm_up=warm_up(settings, None),
            provisional=provisional_settings(settings) is not None,
        )
        assert held.table_versions == data.table_versions
        champion = fit(FeatureSpec.from_workspace_config(settings), data.events.head(3000))
        expected = featured_window(data, settings, champion_spec=champion, sample=0.5)
        actual = featured_window(held, settings, champion_spec=champion, spark=spark, sample=0.5)

        # the attempt's inputs as train --engine spark builds them (the fixture's session)
        registry = ModelRegistry.for_workspace(opened)
        polars_inputs = build_attempt_inputs(opened, registry, as_of=as_of)
        spark_inputs = build_attempt_inputs(
            opened,
            registry,
            as_of=as_of,
            spark=SparkConfig(master="local[2]", conf=SPARK_TEST_SETTINGS),
        )
        assert spark_inputs.table_versions == polars_inputs.table_versions
        assert spark_inputs.window.describe() == polars_inputs.window.describe()
        assert_frame_equal(
            spark_inputs.window.holdout,
            polars_inputs.window.holdout,
            check_exact=False,
            rel_tol=1e-9,
            abs_tol=1e-12,
        )

        onsets = [as_of - timedelta(days=days) for days in (100, 75, 50, 10)]
        ready = [labels_ready_since(store, settings, since=o, as_of=as_of) for o in onsets]
        on_spark = [
            labels_ready_since(store, settings, since=o, as_of=as_of, spark=spark) for o in onsets
        ]
    assert ready[0] is not None and ready[-1] is None, ready
    assert on_spark == ready
    assert_same_featured(actual, expected)
