"""Each simulator writes exactly its example workspace's inputs, and valid outcomes."""

from __future__ import annotations

import polars as pl
import pytest
from tests.simulate.tabular.conftest import DAYS, PER_DAY, SHIFT_DAY, TASKS, Example, simulate_small

from watchkeeper.errors import SimulationError
from watchkeeper.features.batch_engine import compute_batch
from watchkeeper.features.fit import fit
from watchkeeper.features.frame_validation import validate_frame
from watchkeeper.simulate.tabular import SIMULATORS

CANONICAL = {
    "float": pl.Float64,
    "int": pl.Int64,
    "string": pl.String,
    "category": pl.String,
    "bool": pl.Boolean,
    "timestamp": pl.Datetime("us", "UTC"),
}


def test_the_workspace_names_the_task(example: Example) -> None:
    assert example.config.model.task == TASKS[example.name]
    assert example.config.model.serving == "watchkeeper"


def test_events_hold_exactly_the_declared_inputs(example: Example) -> None:
    events = example.simulation.events
    inputs = example.config.features.inputs
    assert events.columns == list(inputs)
    for name, field in inputs.items():
        assert events.schema[name] == CANONICAL[field.type], name
        if field.required:
            assert events[name].null_count() == 0, name
    keys = example.config.keys
    assert {keys.event_id, keys.entity, keys.event_time} <= set(events.columns)
    assert events[keys.event_id].is_unique().all()
    assert events["ts"].is_sorted()
    assert events.height == DAYS * PER_DAY[example.name]


def test_every_row_passes_the_edge_validation(example: Example) -> None:
    checked = validate_frame(example.spec, example.simulation.events, policy="quarantine")
    assert checked.rejected.height == 0, checked.rejected.head(3)
    assert checked.valid.height == example.simulation.events.height


def test_the_feature_spec_fits_and_computes_in_batch(example: Example) -> None:
    events = example.simulation.events
    fitted = fit(example.spec, events.filter(pl.col("ts") < events["ts"][events.height // 2]))
    result = compute_batch(fitted, events)
    assert result.rejected.height == 0
    assert result.features.height == events.height
    names = [feature.name for feature in example.spec.transforms]
    assert set(names) <= set(result.features.columns)
    counts = [feature.name for feature in example.spec.windowed_features if feature.op == "count"]
    assert counts, "each example counts an entity's earlier events"
    # The entity's history is used: some events see earlier events of the same entity.
    assert all(result.features[name].max() > 0 for name in counts)  # type: ignore[operator]


def test_outcomes_are_valid_labels_after_their_events(example: Example) -> None:
    simulation = example.simulation
    label = example.config.label
    outcomes = simulation.outcomes
    assert outcomes.columns == ["event_id", "outcome", "outcome_ts"]
    assert outcomes.schema["outcome_ts"] == pl.Datetime("us", "UTC")
    assert outcomes["event_id"].sort().equals(simulation.events["event_id"].sort())
    task = example.config.model.task
    if task == "regression":
        assert outcomes.schema["outcome"] == pl.Float64
        assert outcomes["outcome"].null_count() == 0
        assert outcomes["outcome"].min() >= 0  # type: ignore[operator]
    else:
        allowed = label.classes if task == "multiclass" else list(label.outcome_values)
        assert allowed is not None
        assert set(outcomes["outcome"].unique()) <= set(allowed)
    joined = simulation.events.select("event_id", "ts").join(outcomes, on="event_id")
    delay = joined.select((pl.col("outcome_ts") - pl.col("ts")).alias("delay"))["delay"]
    assert (joined["outcome_ts"] > joined["ts"]).all()
    horizon = label.maturity_horizon
    late = (delay > horizon).sum()
    assert late == 0, f"{late} outcomes arrive after the maturity horizon {horizon}"
    assert delay.n_unique() > 100, "delays are drawn per event"


def test_churn_labels_follow_the_renewal_date() -> None:
    simulation = simulate_small("churn")
    joined = simulation.events.join(simulation.outcomes, on="event_id").with_columns(
        days=(pl.col("outcome_ts") - pl.col("ts")).dt.total_seconds() / 86_400
    )
    churned = joined.filter(pl.col("outcome") == "churned")["days"]
    renewed = joined.filter(pl.col("outcome") == "renewed")["days"]
    assert churned.max() <= 30 < renewed.min()  # type: ignore[operator]
    stable_rate = (
        joined.filter(pl.col("ts") < pl.lit(simulation.events["ts"][SHIFT_DAY * PER_DAY["churn"]]))[
            "outcome"
        ]
        == "churned"
    ).mean()
    assert 0.05 <= stable_rate <= 0.10  # type: ignore[operator]


@pytest.mark.parametrize("name", sorted(SIMULATORS))
def test_the_same_seed_gives_the_same_simulation(name: str) -> None:
    first, again, other = simulate_small(name, 3), simulate_small(name, 3), simulate_small(name, 4)
    assert first.events.equals(again.events) and first.outcomes.equals(again.outcomes)
    assert not first.outcomes.equals(other.outcomes)
    assert first.shift_day == SHIFT_DAY and first.description


@pytest.mark.parametrize("name", sorted(SIMULATORS))
def test_a_shift_outside_the_simulation_is_refused(name: str) -> None:
    with pytest.raises(SimulationError, match="shift_day 30 is not inside the simulation"):
        SIMULATORS[name](days=30, per_day=10, shift_day=30)
