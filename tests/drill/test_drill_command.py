"""``watchkeeper drill``: the JSON document's shape, the tables, one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.drill.conftest import DrillWorkspace, build_workspace

from watchkeeper.cli import main
from watchkeeper.workspace import Workspace

MONITOR_KEYS = {
    "monitor", "metric", "feature", "state", "alert_windows", "warn_windows",
    "first_alert_window", "mean_value", "control_mean_value", "control_state",
}  # fmt: skip
RULE_KEYS = {
    "rule", "metric", "feature", "severity", "threshold", "direction", "state",
    "breached_windows", "first_firing_window", "firing_features", "control",
}  # fmt: skip


def test_the_json_document_has_a_stable_shape(
    drill_workspace: DrillWorkspace, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["drill", "-w", str(drill_workspace.root), "--scenario", "amount-inflation"]
    assert main([*arguments, "--days", "5", "--severity", "4", "--seed", "2", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == [
        "model", "champion", "scenario", "seed", "days", "source", "windows", "events",
        "monitors", "rules", "fired_monitors", "silent_monitors", "control", "notes",
    ]  # fmt: skip
    assert document["scenario"] == {
        "name": "amount-inflation",
        "description": document["scenario"]["description"],
        "severity": 4.0,
        "severity_meaning": "a factor on amounts",
        "field": "amount",
    }
    assert (document["seed"], document["days"], len(document["windows"])) == (2, 5, 5)
    assert set(document["events"]) == {
        "drilled", "injected", "rejected", "flagged", "control_rejected", "control_flagged",
    }  # fmt: skip
    assert all(set(item) == MONITOR_KEYS for item in document["monitors"])
    assert [item["monitor"] for item in document["monitors"]] == sorted(
        (item["monitor"] for item in document["monitors"]),
        key=lambda name: tuple(name.partition(":")[::2]),
    )
    assert all(set(item) == RULE_KEYS for item in document["rules"])
    assert [item["rule"] for item in document["rules"]] == [
        "input drift",
        "score drift",
        "recall drop",
    ]
    assert set(document["rules"][0]["control"]) == {
        "state",
        "breached_windows",
        "first_firing_window",
    }
    assert "psi:log_amount" in document["fired_monitors"]
    assert document["control"] == {"fired_monitors": [], "fired_rules": []}

    assert main([*arguments, "--days", "5", "--severity", "4", "--seed", "2", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    # the same drill again: the same verdicts and rules; only the quality shares read from the
    # quantile sketches (out of reference range) may move within the sketch's rank error
    sketched = {"out_of_reference_range", "out_of_schema_range"}
    for first, second in zip(document["monitors"], again["monitors"], strict=True):
        if first["metric"] not in sketched:
            assert first == second
    assert {key: again[key] for key in again if key != "monitors"} == {
        key: document[key] for key in document if key != "monitors"
    }


def test_the_tables_show_monitors_rules_and_the_control(
    drill_workspace: DrillWorkspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["drill", "-w", str(drill_workspace.root), "--scenario", "missing-values", "--days", "3"]
    )
    captured = capsys.readouterr()
    assert code == 0
    text = " ".join(captured.out.split())
    assert "drill missing-values on merchant_category (severity 0.5" in text
    assert "monitors that fired or moved" in text and "psi:mcc" in text
    assert "alert rules" in text and "input drift" in text and "recall drop" in text
    silent = text.split("stayed silent (", 1)[1]
    assert "missing_rate_change: all" in silent and "hour" in silent.split("psi: ", 1)[1]
    assert "control (no injection): nothing fired" in text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--scenario", "meteor"],
            "--scenario: unknown scenario 'meteor' (known: amount-inflation, category-flood, "
            "missing-values, new-segment, schema-break, score-shift)",
        ),
        (["--scenario", "new-segment", "--days", "0"], "--days 0 must be at least 1"),
        (
            ["--scenario", "new-segment", "--severity", "2"],
            "--severity 2 does not fit scenario new-segment: it is a share of events, in (0, 1]",
        ),
    ],
)
def test_a_user_mistake_is_one_line_and_exit_2(
    drill_workspace: DrillWorkspace,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    assert main(["drill", "-w", str(drill_workspace.root), *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert " ".join(captured.err.split()) == f"error: {message}"


def test_no_champion_or_no_traffic_is_a_one_line_error(
    tmp_path: Path, monitored_traffic_type: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    without = monitored_traffic_type(tmp_path / "none", champion=False)
    assert main(["drill", "-w", str(without.root), "--scenario", "new-segment"]) == 2
    error = capsys.readouterr().err
    assert "has no champion to drill" in error and "Traceback" not in error
    assert len(error.strip().splitlines()) == 1

    empty = Workspace.create(tmp_path / "empty")
    assert main(["drill", "-w", str(empty), "--scenario", "new-segment"]) == 2
    assert "has no champion to drill" in capsys.readouterr().err

    silent = build_workspace(tmp_path / "silent", log_predictions=False)
    assert main(["drill", "-w", str(silent.root), "--scenario", "new-segment"]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "has no logged predictions and no transactions to drill on" in error
    assert "Traceback" not in error
