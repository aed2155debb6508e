"""A service never starts cold without saying so: ``serve`` refuses an unfilled state over a
history, ``backfill-state`` fills it, ``/readyz`` reports its watermark, and the features
served after a backfill are the batch engine's (no skew from the first event on)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from tests.serving.conftest import (
    LIVE_EVENTS_AHEAD,
    START,
    TOKEN,
    TrainedModels,
    live_event,
    register,
    synthetic_events,
)

from watchkeeper.application.online_state import cold_state_problem
from watchkeeper.application.skew_history import skew_report
from watchkeeper.cli import main
from watchkeeper.clock import EventTimeClock
from watchkeeper.features.state.watermark import StateWatermark, write_watermark
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.rollout.controller import STATE_TO_REFILL, RolloutController
from watchkeeper.serving.app import create_app
from watchkeeper.storage.metadata.decision_kinds import ROLLOUT_PROMOTE
from watchkeeper.workspace import Workspace

SERVED_AT = START + timedelta(days=8)


def workspace_with_history(tmp_path: Path, trained: TrainedModels) -> Path:
    """A champion and a week of raw events in the event store (the history it trained on)."""
    root = Workspace.create(tmp_path / "ws")
    config = root / "watchkeeper.yaml"
    config.write_text(config.read_text() + LIVE_EVENTS_AHEAD)
    with Workspace.open(root, clock=EventTimeClock(SERVED_AT)) as workspace:
        version = register(workspace, trained, trained.good, threshold=0.5)
        ModelRegistry.for_workspace(workspace).set_status(version, CHAMPION, reason="first")
        workspace.events.write_bulk("transactions", synthetic_events(3000, seed=1))
    return root


def test_serve_refuses_a_cold_state_until_it_is_filled(
    tmp_path: Path, trained: TrainedModels, capsys: pytest.CaptureFixture[str]
) -> None:
    root = workspace_with_history(tmp_path, trained)
    assert main(["serve", "-w", str(root)]) == 2
    error = capsys.readouterr().err.strip()
    assert "never filled" in error and "backfill-state" in error and "--allow-cold-state" in error
    assert main(["features", "backfill-state", "-w", str(root), "--json"]) == 0
    filled = json.loads(capsys.readouterr().out)
    assert filled["events"] == 3000 and filled["backend"] == "memory"
    with Workspace.open(root) as workspace:
        assert cold_state_problem(workspace) is None
    assert main(["features", "backfill-state", "-w", str(root), "--until", "soon"]) == 2
    assert "--until" in capsys.readouterr().err


def test_readyz_reports_the_watermark_and_refuses_another_spec(
    tmp_path: Path, trained: TrainedModels
) -> None:
    root = workspace_with_history(tmp_path, trained)
    assert main(["features", "backfill-state", "-w", str(root)]) == 0
    with Workspace.open(root, clock=EventTimeClock(SERVED_AT)) as workspace:
        with TestClient(create_app(workspace, admin_token=TOKEN)) as client:
            ready = client.get("/readyz")
        assert ready.status_code == 200
        state = ready.json()["online_state"]
        newest = synthetic_events(3000, seed=1)["ts"].max()
        assert state["watermark"] == newest.isoformat() and state["warm"] is True  # type: ignore[union-attr]
        assert state["spec_hash"] == trained.fitted.content_hash and state["events"] == 3000
        other = StateWatermark(SERVED_AT, "0" * 64)
        store = workspace.open_online_state()
        write_watermark(store, other)
        store.save()  # type: ignore[attr-defined]
        store.close()
        app = create_app(workspace, admin_token=TOKEN, allow_cold_state=False)
        with TestClient(app) as client:
            refused = client.get("/readyz")
        assert refused.status_code == 503
        assert "backfill-state" in refused.json()["problems"][0]
        assert refused.json()["online_state"]["warm"] is False


@pytest.mark.parametrize("filled", [True, False])
def test_after_a_backfill_the_first_served_events_show_no_skew(
    tmp_path: Path, trained: TrainedModels, filled: bool
) -> None:
    root = workspace_with_history(tmp_path, trained)
    if filled:
        assert main(["features", "backfill-state", "-w", str(root)]) == 0
    clock = EventTimeClock(SERVED_AT)
    with Workspace.open(root, clock=clock) as workspace:
        with TestClient(create_app(workspace, admin_token=TOKEN)) as client:
            for index in range(300):  # cards c0..c199, seen in the history's week
                event = live_event(index, after=START + timedelta(days=7))
                assert client.post("/v1/score", json=event).status_code == 200
        workspace.events.flush()
        report, _, _ = skew_report(workspace, trained.fitted, None, None, None, 0.0)
    assert report.compared_rows == 300 and report.history_rows == 3000
    if filled:
        assert report.ok and report.warm_up_rows == 0, [
            item.to_dict() for item in report.features if item.mismatches
        ]
    else:  # served cold: skew, all of it in the warm-up
        assert not report.ok and report.warm_up_rows == 300
        assert pl.Series([item.mismatches for item in report.warm_up_features]).sum() > 0


def test_a_promotion_that_changes_the_fitted_spec_says_the_state_needs_filling(
    tmp_path: Path, trained: TrainedModels, capsys: pytest.CaptureFixture[str]
) -> None:
    root = workspace_with_history(tmp_path, trained)
    assert main(["features", "backfill-state", "-w", str(root)]) == 0
    refitted = replace(trained, fitted=trained.fitted.model_copy(update={"training_rows": 1}))
    with Workspace.open(root, clock=EventTimeClock(SERVED_AT)) as workspace:
        challenger = register(workspace, refitted, trained.good, threshold=0.5)
        RolloutController.for_workspace(workspace).start(
            challenger, actor="test", reason="new features", force=True
        )
    capsys.readouterr()
    assert main(["rollout", "promote", "-w", str(root)]) == 0
    warning = capsys.readouterr().err
    assert "after this promotion" in warning and "another fitted spec" in warning
    with Workspace.open(root, clock=EventTimeClock(SERVED_AT)) as workspace:
        [promotion] = workspace.metadata.decisions(
            workspace.config.model.name, kind=ROLLOUT_PROMOTE
        )
        assert promotion.evidence["online_state"] == STATE_TO_REFILL
        app = create_app(workspace, admin_token=TOKEN, allow_cold_state=False)
        with TestClient(app) as client:
            assert client.get("/readyz").status_code == 503
        assert main(["features", "backfill-state", "-w", str(root)]) == 0
        with TestClient(create_app(workspace, admin_token=TOKEN, allow_cold_state=False)) as client:
            assert client.get("/readyz").json()["online_state"]["warm"] is True
