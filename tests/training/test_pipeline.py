"""The training pipeline on a small simulated workspace: as-of, point-in-time reads, features.

The workspace holds 200 days of the case-study preset (1,000 transactions a day, fraud rate
0.8% so the 14-day holdout has enough positives) with both shifts moved to day 100.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from watchkeeper.config import ProvisionalLabelsConfig, WorkspaceConfig
from watchkeeper.errors import SchemaError
from watchkeeper.features.batch_engine import BatchFeatureEngine
from watchkeeper.features.fit import fit
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.simulate import preset, simulate
from watchkeeper.simulate.to_event_store import load_into_event_store, simulation_key
from watchkeeper.training.pipeline import (
    TrainingData,
    build_attempt_inputs,
    featured_window,
    labels_ready_since,
    latest_event_time,
    read_training_data,
    resolve_as_of,
    warm_up,
)
from watchkeeper.training.window import RECEIVED_SHARE
from watchkeeper.workspace import Workspace

SHIFT_DAY = 100


@pytest.fixture(scope="module")
def simulated_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Workspace.create(tmp_path_factory.mktemp("pipeline") / "ws", "fraud")
    config_path = root / "watchkeeper.yaml"
    settings = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    settings["training"]["parameters"] = {"n_estimators": 40, "num_threads": 2}
    config_path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    config = preset(
        "case-study",
        days=200,
        per_day=1_000,
        base_fraud_rate=0.008,
        segment_shift={"start_day": SHIFT_DAY, "ramp_days": 7},
        fraud_adaptation={"start_day": SHIFT_DAY, "ramp_days": 7, "mode": "sudden"},
    )
    with Workspace.open(root) as opened:
        load_into_event_store(simulate(config), opened.events, simulation_key(config))
    return root


@pytest.fixture
def workspace(simulated_root: Path, tmp_path: Path) -> Iterator[Workspace]:
    root = tmp_path / "ws"
    # the spool remembers which event store it feeds: the copy starts a spool of its own
    shutil.copytree(simulated_root, root, ignore=shutil.ignore_patterns("events.spool*"))
    with Workspace.open(root) as opened:
        yield opened


def test_as_of_is_the_request_else_the_newest_event_never_after_now() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    asked = datetime(2025, 5, 1, 12, tzinfo=UTC)
    assert resolve_as_of(asked, latest_event=None, now=now) == asked
    assert resolve_as_of(None, latest_event=asked, now=now) == asked
    assert resolve_as_of(None, latest_event=now + timedelta(days=1), now=now) == now
    assert resolve_as_of(None, latest_event=None, now=now) == now


def test_default_as_of_of_a_simulated_workspace_is_its_last_transaction(
    workspace: Workspace,
) -> None:
    newest = workspace.events.read("transactions", columns=["ts"])["ts"].max()
    assert latest_event_time(workspace.events) == newest
    inputs = build_attempt_inputs(workspace, ModelRegistry.for_workspace(workspace))
    assert inputs.window.as_of == newest  # not the wall clock, a year after the history


def matured_only(config: WorkspaceConfig) -> WorkspaceConfig:
    """The workspace's settings with provisional labels off."""
    label = config.label.model_copy(update={"provisional": ProvisionalLabelsConfig(enabled=False)})
    return config.model_copy(update={"label": label})


def test_reads_only_what_was_known_as_of(workspace: Workspace) -> None:
    config = workspace.config
    as_of = datetime(2025, 6, 1, tzinfo=UTC)
    cutoff = as_of - config.label.maturity_horizon
    for settings, newest in ((config, as_of), (matured_only(config), cutoff)):
        data = read_training_data(
            workspace.events, settings, as_of=as_of, warm_up=timedelta(days=30)
        )
        # provisional labels need the events younger than the cut-off too
        assert newest - timedelta(days=1) < data.events["ts"].max() <= newest
        assert data.events["ts"].min() >= cutoff - config.training.window - timedelta(days=30)
        assert data.outcomes["received_at"].max() <= as_of
        assert set(data.table_versions) == {"transactions", "outcomes"}


def test_young_events_join_with_provisional_weighted_labels(workspace: Workspace) -> None:
    config = workspace.config
    as_of = datetime(2025, 6, 1, tzinfo=UTC)
    data = read_training_data(workspace.events, config, as_of=as_of, warm_up=timedelta(days=30))
    window = featured_window(data, config).window
    plan = window.provisional
    assert plan is not None and plan.youngest_age is not None, plan
    cutoff = as_of - config.label.maturity_horizon
    assert window.window_end == as_of - plan.youngest_age
    assert window.start == window.window_end - config.training.window
    rows = pl.concat([window.train, window.validation, window.holdout])
    young = rows.filter(pl.col("ts") > cutoff)
    assert young.height > 0 and rows["ts"].max() <= window.window_end
    assert set(young["label_status"].unique()) == {"provisional"}
    assert (rows.filter(pl.col("ts") <= cutoff)["weight"] == 1.0).all()
    positives = young.filter(pl.col("label") == 1)
    assert positives.height > 0 and (positives["weight"] >= 1.0).all()
    assert positives["weight"].max() > 2.0  # the youngest positives stand for the unreceived
    assert (positives["weight"] <= 1 / config.label.provisional.min_delay_share + 1e-9).all()
    assert (young.filter(pl.col("label") == 0)["weight"] == 1.0).all()
    # the score calibrator's received shares F(age) reach the featured slices: 1 once
    # matured, the inverse of a young positive's weight, in [min_delay_share, 1] when young
    assert (rows.filter(pl.col("ts") <= cutoff)[RECEIVED_SHARE] == 1.0).all()
    assert np.allclose(positives[RECEIVED_SHARE], 1.0 / positives["weight"])
    shares = young[RECEIVED_SHARE]
    assert shares.min() >= config.label.provisional.min_delay_share - 1e-9  # type: ignore[operator]
    assert shares.max() <= 1.0 and (shares < 1.0).any()  # type: ignore[operator]
    counts = window.counts()
    assert sum(part["provisional_rows"] for part in counts.values()) == young.height
    assert counts["holdout"]["positives"] >= config.retraining.min_positives


def test_post_drift_labels_are_ready_weeks_before_the_horizon(workspace: Workspace) -> None:
    config = workspace.config
    shift = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=SHIFT_DAY)
    as_of = datetime(2025, 7, 19, tzinfo=UTC)
    ready = labels_ready_since(workspace.events, config, since=shift, as_of=as_of)
    horizon = config.label.maturity_horizon
    spans = config.training.holdout + config.training.validation
    assert ready is not None and shift + spans < ready < shift + horizon + spans
    # the post-drift positives a window as of then holds: enough for the holdout, and as many
    # before its validation slice to train on (just after `ready`: at it, the last one needed
    # sits on the validation slice's first instant)
    later = ready + timedelta(hours=1)
    data = read_training_data(workspace.events, config, as_of=later, warm_up=timedelta(0))
    window = featured_window(data, config).window
    holdout = window.holdout.filter(pl.col("ts") >= shift)
    trained = window.train.filter(pl.col("ts") >= shift)
    assert holdout["label"].sum() >= config.retraining.min_positives
    assert trained["label"].sum() >= config.retraining.min_positives
    early = datetime(2025, 6, 1, tzinfo=UTC)
    matured = labels_ready_since(workspace.events, matured_only(config), since=shift, as_of=early)
    assert matured is None  # matured labels only: not before 60 days after the drift
    assert (
        labels_ready_since(workspace.events, config, since=shift, as_of=ready - timedelta(days=7))
        is None  # a week earlier (the delay estimate moves with as-of: not to the second)
    )


def test_traffic_found_ready_stays_ready_as_time_passes(workspace: Workspace) -> None:
    """What :class:`LabelReadiness` relies on to remember an answer instead of reading the
    event store again at each tick."""
    config = workspace.config
    shift = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=SHIFT_DAY)
    ready = labels_ready_since(
        workspace.events, config, since=shift, as_of=datetime(2025, 7, 19, tzinfo=UTC)
    )
    assert ready is not None
    for days in (1, 10, 30):
        later = ready + timedelta(days=days)
        again = labels_ready_since(workspace.events, config, since=shift, as_of=later)
        assert again is not None and again <= later


def test_pending_labels_never_enter_a_matured_only_window(workspace: Workspace) -> None:
    config = matured_only(workspace.config)
    as_of = datetime(2025, 6, 1, tzinfo=UTC)
    data = read_training_data(workspace.events, config, as_of=as_of, warm_up=timedelta(days=30))
    cutoff = as_of - config.label.maturity_horizon
    pending = workspace.events.read("transactions", start=cutoff, end=as_of).row(0, named=True)
    old = data.events.filter(pl.col("ts") > cutoff - timedelta(days=20)).row(0, named=True)
    late_outcomes = pl.DataFrame(
        {
            # a chargeback known by as-of for an event still maturing: the event stays out
            "event_id": [pending["event_id"], old["event_id"]],
            "outcome": ["chargeback", "chargeback"],
            # a chargeback received after as-of: unknown then, so the event is negative
            "received_at": [as_of - timedelta(days=1), as_of + timedelta(days=1)],
        },
        schema_overrides={"received_at": pl.Datetime("us", "UTC")},
    )
    tampered = TrainingData(
        as_of,
        pl.concat([data.events, pl.DataFrame([pending], schema=data.events.schema)]),
        pl.concat([data.outcomes, late_outcomes.select(data.outcomes.columns)]),
        data.table_versions,
    )
    built = featured_window(tampered, config)
    window = built.window
    rows = pl.concat([window.train, window.validation, window.holdout])
    assert rows["ts"].max() <= cutoff
    assert pending["event_id"] not in rows["event_id"].to_list()
    assert rows.filter(pl.col("event_id") == old["event_id"])["label"].to_list() == [0]
    assert set(rows["label_status"].unique().to_list()) <= {"positive", "negative"}


def test_features_are_fitted_on_the_training_slice_and_windows_see_the_warm_up(
    workspace: Workspace,
) -> None:
    config = workspace.config
    as_of = datetime(2025, 6, 1, tzinfo=UTC)
    longest = warm_up(config, None)
    assert longest == timedelta(days=30)
    data = read_training_data(workspace.events, config, as_of=as_of, warm_up=longest)
    built = featured_window(data, config)
    assert built.fitted.training_rows == built.window.train.height
    window = built.window
    train_rows = data.events.filter(
        pl.col("ts").is_between(window.start, window.validation_start, closed="left")
    )
    direct = fit(FeatureSpec.from_workspace_config(config), train_rows)
    assert direct.content_hash == built.fitted.content_hash
    # the whole history up to the cut-off, through the batch engine: the reference
    history = workspace.events.read("transactions", end=built.window.cutoff)
    everything = BatchFeatureEngine(built.fitted).compute(history).features
    first_day = built.window.train.filter(
        pl.col("ts") < built.window.start + timedelta(days=1)
    ).select("event_id", "card_txn_count_24h", "card_amount_mean_30d", "card_devices_30d")
    expected = everything.join(first_day.select("event_id"), on="event_id", how="semi")
    assert first_day.height > 100
    assert first_day.sort("event_id").equals(expected.select(first_day.columns).sort("event_id"))
    assert first_day["card_txn_count_24h"].sum() > 0  # history before the window was used


def test_the_champion_is_scored_with_its_own_fitted_spec(workspace: Workspace) -> None:
    config = workspace.config
    data = read_training_data(
        workspace.events, config, as_of=datetime(2025, 6, 1, tzinfo=UTC), warm_up=timedelta(0)
    )
    own = FeatureSpec(
        inputs={"ts": {"type": "timestamp"}, "amount": {"type": "float"}},
        transforms=[{"name": "amount_z", "op": "standardize", "input": "amount"}],
    )
    champion_spec = fit(own, data.events.head(1000))
    built = featured_window(data, config, champion_spec=champion_spec)
    assert built.champion_holdout is not None
    assert built.champion_holdout.columns == ["amount_z"]
    assert built.champion_holdout.height == built.window.holdout.height
    stats = champion_spec.standardization("amount_z")
    expected = (built.window.holdout["amount"] - stats.mean) / stats.std
    assert (built.champion_holdout["amount_z"] - expected).abs().max() < 1e-9


def test_a_champion_needing_a_column_the_data_lacks_is_a_schema_change(
    workspace: Workspace,
) -> None:
    config = workspace.config
    data = read_training_data(
        workspace.events, config, as_of=datetime(2025, 6, 1, tzinfo=UTC), warm_up=timedelta(0)
    )
    old = FeatureSpec(
        inputs={"ts": {"type": "timestamp"}, "merchant_risk": {"type": "float", "required": True}},
        transforms=[{"name": "risk", "op": "log1p", "input": "merchant_risk", "fill": 0.0}],
    )
    frame = pl.DataFrame(
        {"ts": [datetime(2025, 1, 1, tzinfo=UTC)], "merchant_risk": [0.5]},
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    )
    with pytest.raises(SchemaError, match="merchant_risk"):
        featured_window(data, config, champion_spec=fit(old, frame))
