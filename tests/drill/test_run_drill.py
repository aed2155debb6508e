"""Drills on a workspace with a champion and 51 days of logged predictions: each scenario fires
the monitors it should, the control fires nothing, and no store is written."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tests.drill.conftest import LOGGED_REJECTIONS, DrillWorkspace, build_workspace

from watchkeeper.drill.run import DrillReport, run_drill
from watchkeeper.errors import DatasetError, RegistryError
from watchkeeper.workspace import Workspace

_REPORTS: dict[str, DrillReport] = {}


def drilled(workspace: DrillWorkspace, scenario: str) -> DrillReport:
    """One drill per scenario for the whole module (a drill is read-only, so it can be shared)."""
    if scenario not in _REPORTS:
        with Workspace.open(workspace.root) as opened:
            _REPORTS[scenario] = run_drill(opened, scenario, seed=5)
    return _REPORTS[scenario]


def fired(report: DrillReport) -> set[str]:
    return {item.name for item in report.monitors if item.state == "fired"}


def state(report: DrillReport, name: str) -> str:
    return next(item.state for item in report.monitors if item.name == name)


def rule(report: DrillReport, name: str) -> Any:
    return next(item for item in report.rules if item.rule == name)


AMOUNT_FEATURES = {"psi:log_amount", "psi:amount_clipped"}


def test_amount_inflation_fires_psi_on_the_amount_features_and_the_score(
    drill_workspace: DrillWorkspace,
) -> None:
    report = drilled(drill_workspace, "amount-inflation")
    assert AMOUNT_FEATURES | {"score_psi"} <= fired(report)
    assert {"psi:mcc", "psi:country_code", "psi:hour"}.isdisjoint(fired(report))
    assert "psi:hour" in report.silent_monitors
    log_amount = next(item for item in report.monitors if item.name == "psi:log_amount")
    assert log_amount.alert_windows == 14 and log_amount.first_alert_window == report.windows[0]
    drift = rule(report, "input drift")
    assert (drift.state, drift.breached_windows) == ("fired", 14)
    assert drift.first_firing_window == report.windows[1]  # persistence: 2 of the last 3
    assert rule(report, "score drift").state == "fired"
    assert rule(report, "recall drop").state == "no_data"
    assert any("recall" in note and "labels" in note for note in report.notes)
    assert report.injected == report.drill.events and report.severity == 3.0


def test_the_control_fires_nothing(drill_workspace: DrillWorkspace) -> None:
    report = drilled(drill_workspace, "amount-inflation")
    assert report.control_fired == ()
    assert all(item.state != "fired" for item in report.control_rules)
    assert report.control.rejected == 0 and report.control.events == report.drill.events
    assert len(report.windows) == 14 and report.source == "predictions"


def test_new_segment_fires_on_the_new_categories_and_countries(
    drill_workspace: DrillWorkspace,
) -> None:
    report = drilled(drill_workspace, "new-segment")
    assert {"psi:mcc", "psi:country_code"} <= fired(report)
    assert state(report, "unseen_category_share:mcc") == "moved"
    assert state(report, "psi:hour") == "silent"
    assert rule(report, "input drift").state == "fired"
    assert 0.25 < report.injected / report.drill.events < 0.35


def test_missing_values_fires_on_the_encoded_field_only(drill_workspace: DrillWorkspace) -> None:
    report = drilled(drill_workspace, "missing-values")
    assert report.field == "merchant_category"
    assert fired(report) == {"psi:mcc"}
    assert rule(report, "score drift").state == "silent"


def test_category_flood_shows_as_unseen_categories(drill_workspace: DrillWorkspace) -> None:
    report = drilled(drill_workspace, "category-flood")
    assert {"psi:mcc", "psi:country_code"} <= fired(report)
    assert state(report, "unseen_category_share:country_code") == "moved"
    found = next(item for item in report.monitors if item.name == "unseen_category_share:mcc")
    assert found.mean_value is not None and 0.25 < found.mean_value < 0.35
    assert found.control_mean_value == 0.0


def test_score_shift_moves_the_score_the_hours_and_the_flag_rate(
    drill_workspace: DrillWorkspace,
) -> None:
    report = drilled(drill_workspace, "score-shift")
    assert {"score_psi", "psi:hour", "flag_rate"} <= fired(report)
    assert rule(report, "score drift").state == "fired"
    assert report.drill.flagged > 3 * report.control.flagged


def test_schema_break_counts_the_rejected_events(drill_workspace: DrillWorkspace) -> None:
    report = drilled(drill_workspace, "schema-break")
    assert report.field == "amount"
    assert report.drill.rejected == report.injected > 0
    assert report.control.rejected == 0
    rejected = next(item for item in report.monitors if item.name == "rejected_events")
    days = len(report.windows)
    assert rejected.state == "moved"
    assert rejected.control_mean_value == pytest.approx(LOGGED_REJECTIONS / days)
    assert rejected.mean_value == pytest.approx((report.injected + LOGGED_REJECTIONS) / days)
    last = [
        row
        for row in report.drill.rows
        if row.window_end == max(r.window_end for r in report.drill.rows)
    ]
    reasons = {row.feature: row.value for row in last if row.metric == "rejected_events"}
    assert reasons["too_large"] == 2 and reasons["missing_field"] > 5


def test_the_services_own_rejections_count_in_the_control_too(
    drill_workspace: DrillWorkspace,
) -> None:
    report = drilled(drill_workspace, "amount-inflation")
    totals = [
        row.value
        for row in report.control.rows
        if row.metric == "rejected_events" and row.feature is None
    ]
    assert totals == [0.0] * (len(report.windows) - 1) + [LOGGED_REJECTIONS]


def test_a_drill_that_rejects_every_event_leaves_the_rules_without_data(
    drill_workspace: DrillWorkspace,
) -> None:
    with Workspace.open(drill_workspace.root) as opened:
        report = run_drill(opened, "schema-break", severity=1.0, days=2)
    assert report.drill.rejected == report.drill.events and report.drill.scored == 0
    assert [item.state for item in report.rules] == ["no_data"] * 3
    assert "rule 'input drift' found no psi value in any drilled window" in report.notes
    assert next(item for item in report.monitors if item.name == "rejected_events").state == "moved"


def snapshot(root: Path) -> dict[str, Any]:
    """Everything the workspace's stores hold: database rows and file contents."""
    store = root / ".watchkeeper"
    state: dict[str, Any] = {}
    for database in ("metadata.db", "events.spool"):
        path = store / database
        if not path.is_file():
            continue
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            tables = [
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
            ]
            for table in tables:
                rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
                state[f"{database}:{table}"] = sorted(map(repr, rows))
    for folder in ("events", "artifacts"):
        for path in sorted((store / folder).rglob("*")):
            if path.is_file() and "_locks" not in str(path):
                state[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    state["files"] = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if not path.name.endswith(("-wal", "-shm", ".lock")) and "_locks" not in str(path)
    )
    return state


def test_a_drill_writes_nothing_to_any_store(drill_workspace: DrillWorkspace) -> None:
    before = snapshot(drill_workspace.root)
    assert any(key.startswith("metadata.db:model_versions") for key in before)
    assert any(key.startswith(".watchkeeper/artifacts/objects") for key in before)
    with Workspace.open(drill_workspace.root) as opened:
        report = run_drill(opened, "score-shift", days=3, seed=9)
    assert fired(report)  # the drill did fire: it only wrote nothing
    assert snapshot(drill_workspace.root) == before


def test_without_predictions_the_transactions_table_is_drilled(tmp_path: Path) -> None:
    workspace = build_workspace(tmp_path / "ws", log_predictions=False)
    with Workspace.open(workspace.root) as opened:
        with pytest.raises(DatasetError, match="has no logged predictions and no transactions"):
            run_drill(opened, "amount-inflation")
        opened.events.write_bulk(
            "transactions", workspace.events.drop("is_fraud"), load_id="transactions"
        )
        report = run_drill(opened, "amount-inflation", days=4)
    assert report.source == "transactions" and len(report.windows) == 4
    assert fired(report) >= AMOUNT_FEATURES
    assert report.control_fired == ()
    assert any("transactions" in note for note in report.notes)


def test_a_workspace_without_a_champion_or_its_feature_spec_is_refused(
    tmp_path: Path, monitored_traffic_type: Any
) -> None:
    without = monitored_traffic_type(tmp_path / "none", champion=False)
    with (
        Workspace.open(without.root) as opened,
        pytest.raises(RegistryError, match="has no champion to drill; promote a version"),
    ):
        run_drill(opened, "new-segment")
    served = monitored_traffic_type(tmp_path / "served")  # features logged, no fitted spec
    with (
        Workspace.open(served.root) as opened,
        pytest.raises(RegistryError, match="without its fitted feature spec"),
    ):
        run_drill(opened, "new-segment")
