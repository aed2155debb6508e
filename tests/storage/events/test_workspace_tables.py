"""A workspace's event tables follow its inputs and task, and only grow: an optional input
added later is added to the stored table (audited in its history); removing, retyping or
adding a required input is refused, naming the column and the fix."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
import yaml
from deltalake import DeltaTable

from watchkeeper.errors import ConfigError, SchemaError
from watchkeeper.storage.events.tables import OUTCOMES, PREDICTIONS
from watchkeeper.storage.events.workspace_tables import (
    event_tables_for,
    outcomes_table,
    predictions_table,
)
from watchkeeper.workspace import Workspace

BASE = {
    "version": 1,
    "model": {"name": "churn", "task": "binary"},
    "owner": {"name": "Ana Lima", "contact": "ana@example.com"},
    "keys": {"event_id": "event_id", "entity": "account_id", "event_time": "ts"},
    "label": {"positive_outcome": "churned", "negative_outcomes": ["renewed"]},
    "features": {
        "inputs": {
            "account_id": {"type": "string", "required": True},
            "plan": {"type": "category"},
            "monthly_fee": {"type": "float", "required": True},
            "logins_30d": {"type": "int"},
        }
    },
}


def write_workspace(root: Path, config: dict[str, object]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "watchkeeper.yaml").write_text(
        yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
    )
    return root


def events(count: int, start: int = 0, **extra: list[object]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_id": [f"e{index}" for index in range(start, start + count)],
            "ts": [datetime(2026, 3, 1, 9, index % 60, tzinfo=UTC) for index in range(count)],
            "account_id": [f"a{index % 3}" for index in range(count)],
            "plan": ["basic"] * count,
            "monthly_fee": [9.5] * count,
            "logins_30d": list(range(count)),
            **extra,
        }
    )


def with_inputs(**changes: object) -> dict[str, object]:
    config = yaml.safe_load(yaml.safe_dump(BASE, sort_keys=False))
    inputs = config["features"]["inputs"]
    for name, field in changes.items():
        if field is None:
            del inputs[name]
        else:
            inputs[name] = field
    return dict(config)


def test_the_events_table_is_the_keys_then_the_inputs_with_their_types(tmp_path: Path) -> None:
    with Workspace.open(write_workspace(tmp_path, BASE)) as workspace:
        table = workspace.event_tables["transactions"]
    assert [(field.name, field.type, field.nullable) for field in table.schema] == [
        ("event_id", pa.string(), False),
        ("ts", pa.timestamp("us", tz="UTC"), False),
        ("account_id", pa.string(), False),
        ("plan", pa.string(), True),
        ("monthly_fee", pa.float64(), False),
        ("logins_30d", pa.int64(), True),
    ]


def test_a_team_schema_is_stored_and_read_back(tmp_path: Path) -> None:
    with Workspace.open(write_workspace(tmp_path, BASE)) as workspace:
        workspace.events.write_bulk("transactions", events(5), load_id="first")
        read = workspace.events.read("transactions")
    assert read["logins_30d"].to_list() == [0, 1, 2, 3, 4]
    assert read["account_id"].to_list() == ["a0", "a1", "a2", "a0", "a1"]


def test_a_column_outside_the_schema_is_refused_by_name(tmp_path: Path) -> None:
    with (
        Workspace.open(write_workspace(tmp_path, BASE)) as workspace,
        pytest.raises(SchemaError, match=r"unknown column.*'card_id'"),
    ):
        workspace.events.append("transactions", events(1, card_id=["c1"]))


def test_an_optional_input_added_later_extends_the_stored_table(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, BASE)
    with Workspace.open(root) as workspace:
        workspace.events.write_bulk("transactions", events(3), load_id="before")
    write_workspace(root, with_inputs(region={"type": "category"}))
    with Workspace.open(root) as workspace:
        workspace.events.append("transactions", events(2, start=3, region=["north", "south"]))
        workspace.events.flush()
        read = workspace.events.read("transactions").sort("event_id")
        location = workspace.resolve(workspace.config.storage.events)
        audited = workspace.metadata.decisions("churn", kind="schema_change")
    assert read["region"].to_list() == [None, None, None, "north", "south"]
    assert [entry.evidence for entry in audited] == [{"table": "transactions", "added": ["region"]}]
    history = DeltaTable(f"{location}/transactions").history()
    changes = [entry for entry in history if entry.get("operation") == "ADD COLUMN"]
    assert len(changes) == 1
    assert changes[0]["watchkeeper.schema_change"] == "added optional region"


@pytest.mark.parametrize(
    ("change", "rows", "message"),
    [
        (
            {"logins_30d": None},
            events(1, start=9).drop("logins_30d"),
            "'logins_30d' .* no longer declared: put it back",
        ),
        (
            {"logins_30d": {"type": "float"}},
            events(1, start=9),
            "'logins_30d' is stored as int64 but now declared double",
        ),
        (
            {"tenure_days": {"type": "int", "required": True}},
            events(1, start=9, tenure_days=[40]),
            "'tenure_days' are declared required",
        ),
    ],
)
def test_a_change_the_history_cannot_take_is_refused_with_its_fix(
    tmp_path: Path, change: dict[str, object], rows: pl.DataFrame, message: str
) -> None:
    root = write_workspace(tmp_path, BASE)
    with Workspace.open(root) as workspace:
        workspace.events.write_bulk("transactions", events(3), load_id="before")
    write_workspace(root, with_inputs(**change))
    with Workspace.open(root) as workspace:
        with pytest.raises(SchemaError, match=message):
            workspace.events.write_bulk("transactions", rows)
        assert workspace.events.read("transactions").height == 3


def test_a_retired_input_keeps_its_history_and_is_no_longer_accepted(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, BASE)
    with Workspace.open(root) as workspace:
        workspace.events.write_bulk("transactions", events(2), load_id="before")
    config = with_inputs(logins_30d=None)
    config["features"]["retired"] = ["logins_30d"]  # type: ignore[index]
    write_workspace(root, config)
    with Workspace.open(root) as workspace:
        workspace.events.write_bulk(
            "transactions", events(1, start=2).drop("logins_30d"), load_id="after"
        )
        with pytest.raises(SchemaError, match=r"unknown column.*'logins_30d'"):
            workspace.events.append("transactions", events(1, start=3))
        read = workspace.events.read("transactions")
    assert read.height == 3 and "logins_30d" not in read.columns


def test_an_input_both_declared_and_retired_is_a_config_error(tmp_path: Path) -> None:
    config = with_inputs()
    config["features"]["retired"] = ["plan"]  # type: ignore[index]
    with pytest.raises(ConfigError, match="'plan' is both an input and retired"):
        Workspace.open(write_workspace(tmp_path, config))


def test_a_predictions_table_from_before_model_labels_gains_the_column(tmp_path: Path) -> None:
    old_predictions = pa.schema(
        [field for field in PREDICTIONS.stored_schema if field.name != "model_label"]
    )
    root = write_workspace(tmp_path, BASE)
    with Workspace.open(root) as workspace:
        location = workspace.resolve(workspace.config.storage.events)
        DeltaTable.create(f"{location}/predictions", old_predictions, partition_by=["event_date"])
        workspace.events.write_bulk(
            "predictions",
            pl.DataFrame(
                {
                    "event_id": ["e1"],
                    "ts": [datetime(2026, 3, 1, tzinfo=UTC)],
                    "entity": ["a1"],
                    "model_version": [1],
                    "route": ["external"],
                    "score": [0.4],
                    "decision": [False],
                    "raw_input": ["{}"],
                    "features": ["{}"],
                    "model_label": ["team-v1"],
                }
            ),
        )
        assert workspace.events.read("predictions")["model_label"].to_list() == ["team-v1"]


def test_tables_per_task() -> None:
    assert predictions_table("binary") == PREDICTIONS and outcomes_table("binary") == OUTCOMES
    multiclass = predictions_table("multiclass")
    assert multiclass.schema.field("decision").type == pa.string()
    assert multiclass.json_columns == ("probabilities", "raw_input", "features")
    regression = predictions_table("regression")
    assert "score" not in regression.schema.names and "decision" not in regression.schema.names
    assert outcomes_table("regression").schema.field("outcome").type == pa.float64()


def test_the_fraud_example_keeps_its_columns(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "fraud")
    with Workspace.open(str(root)) as workspace:
        tables = event_tables_for(workspace.config)
    assert tables["transactions"].schema.names == [
        "event_id", "ts", "card_id", "merchant_id", "merchant_category",
        "amount", "country", "channel", "device_id",
    ]  # fmt: skip
    assert tables["predictions"] == PREDICTIONS and tables["outcomes"] == OUTCOMES


def test_an_event_time_that_is_not_a_timestamp_is_named(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, with_inputs(ts={"type": "string"}))
    with (
        Workspace.open(root) as workspace,
        pytest.raises(ConfigError, match=r"features.inputs.ts: the event time .* type timestamp"),
    ):
        workspace.event_tables  # noqa: B018


def test_an_append_the_stored_table_cannot_take_is_refused_before_it_is_spooled(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path, BASE)
    with Workspace.open(root) as workspace:
        workspace.events.write_bulk("transactions", events(2), load_id="before")
    write_workspace(root, with_inputs(logins_30d=None))
    with Workspace.open(root) as workspace:
        with pytest.raises(SchemaError, match=r"'logins_30d' .* no longer declared"):
            workspace.events.append("transactions", events(1, start=5).drop("logins_30d"))
        assert workspace.events.backlog().rows == 0


def test_a_fraud_workspace_from_before_says_how_to_keep_its_truth_column(
    tmp_path: Path,
) -> None:
    from watchkeeper.storage.events.tables import TRANSACTIONS

    root = Workspace.create(tmp_path / "fraud")
    with Workspace.open(root) as workspace:  # its transactions table, as earlier versions made it
        location = workspace.resolve(workspace.config.storage.events)
        DeltaTable.create(
            f"{location}/transactions", TRANSACTIONS.stored_schema, partition_by=["event_date"]
        )
    row = {
        "event_id": ["t1"], "ts": [datetime(2026, 3, 1, tzinfo=UTC)], "card_id": ["c1"],
        "merchant_id": ["m1"], "merchant_category": ["grocery"], "amount": [12.5],
        "country": ["FR"], "channel": ["online"], "device_id": ["d1"],
    }  # fmt: skip
    with Workspace.open(root) as workspace, pytest.raises(SchemaError) as refused:
        workspace.events.append("transactions", pl.DataFrame(row))
    assert "'is_fraud'" in str(refused.value) and "features.retired" in str(refused.value)
    config = root / "watchkeeper.yaml"
    config.write_text(
        config.read_text().replace("  timezone: UTC\n", "  timezone: UTC\n  retired: [is_fraud]\n")
    )
    with Workspace.open(root) as workspace:
        workspace.events.append("transactions", pl.DataFrame(row))
        workspace.events.flush()
        assert workspace.events.read("transactions")["event_id"].to_list() == ["t1"]
