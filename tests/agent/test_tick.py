"""The agent's tick on a launched workspace: each step, idempotence, and a canary to its end.

The workspace holds 130 days of simulated card traffic; the first model goes live on day 120
and the next days are scored and logged the way the demo's watched run does it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.cli.conftest import configure_workspace

from watchkeeper.agent.loop import AgentLoop
from watchkeeper.agent.tick import run_tick
from watchkeeper.clock import EventTimeClock
from watchkeeper.demo.micro_batch_scorer import MicroBatchScorer
from watchkeeper.demo.runs import days_between, launch_workspace
from watchkeeper.demo.stream import DemoStream
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.rollout.controller import RolloutController
from watchkeeper.serving.models import load_serving_models
from watchkeeper.storage.events.tables import SERVED_PREDICTION_SCHEMA
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.training.attempt_runner import run_training_attempt
from watchkeeper.training.policy_check import consult_workspace_policy
from watchkeeper.workspace import Workspace

LAUNCH_DAY = 120


@pytest.fixture(scope="module")
def stream() -> DemoStream:
    return DemoStream.simulate(seed=5, per_day=2_000, days=130, shift_day=125)


def launched(
    root: Path, stream: DemoStream, rollout: dict[str, Any] | None = None
) -> tuple[Workspace, EventTimeClock]:
    Workspace.create(root)
    # the scenarios' dates are set for slices of at least 14 days, the configuration's
    # default; the fraud example's are 7
    configure_workspace(
        root, training={"holdout": "14d", "validation": "14d"}, rollout=rollout or {}
    )
    launch = stream.start + timedelta(days=LAUNCH_DAY)
    clock = EventTimeClock(launch)
    workspace = Workspace.open(root, clock=clock)
    launch_workspace(workspace, stream, launch)
    return workspace, clock


def serve_day(workspace: Workspace, stream: DemoStream, scorer: MicroBatchScorer,
              start: datetime, stop: datetime) -> int:  # fmt: skip
    models = load_serving_models(ModelRegistry.for_workspace(workspace))
    predictions = scorer.score_day(models, start, stop)
    workspace.events.append("predictions", predictions.to_arrow().cast(SERVED_PREDICTION_SCHEMA))
    workspace.events.append("transactions", stream.transactions_between(start, stop))
    return predictions.height * 2


@pytest.mark.slow  # trains and monitors a replayed month: 38 s on a loaded 2-core machine
def test_a_tick_runs_every_step_and_a_second_tick_changes_nothing(
    tmp_path: Path, stream: DemoStream
) -> None:
    workspace, clock = launched(tmp_path / "ws", stream)
    launch = clock.now()
    scorer = MicroBatchScorer(stream.transactions.drop("is_fraud"), origin=launch)
    with workspace:
        for start, stop in days_between(launch, launch + timedelta(days=3)):
            appended = serve_day(workspace, stream, scorer, start, stop)
            clock.advance_to(stop)
            report = run_tick(workspace)
            assert report.ingested_rows == appended
            assert report.monitor is not None and report.monitor.windows == (
                f"{start.date()}/{stop.date()}",
            )
            assert report.retrain.decision is not None and not report.retrain.decision.retrain
            assert report.rollout is not None and report.rollout.action == "idle"
        again = run_tick(workspace)
        assert again.ingested_rows == 0
        assert (
            again.monitor is not None
            and again.monitor.windows == ()
            and again.monitor.rows_written == 0
        )
        assert again.to_dict()["retrain"]["attempt"] is None
        assert_the_policy_waits_for_post_drift_labels_only_until_provisional_ones_suffice(
            workspace, clock.now()
        )


def assert_the_policy_waits_for_post_drift_labels_only_until_provisional_ones_suffice(
    workspace: Workspace, now: datetime
) -> None:
    """70 days of drifted traffic, hardly any of it matured (60d): its received chargebacks
    make a holdout, a validation slice and a training slice's worth with provisional labels
    before a holdout of it matures (74 days)."""
    onset = now - timedelta(days=70)
    alerting = [
        MetricRow("card-fraud", "psi", onset + timedelta(days=index),
                  onset + timedelta(days=index + 1), value=0.4, status="alert", feature="amount")
        for index in range(70)
    ]  # fmt: skip
    workspace.metadata.upsert_metrics(alerting)
    decision = consult_workspace_policy(workspace, as_of=now)
    evidence = decision.evidence
    assert evidence["drift_onset"] == onset.isoformat()
    assert evidence["labels_ready_by"] == "provisional", decision.reason
    ready = datetime.fromisoformat(evidence["labels_ready_at"])
    assert onset < ready <= now < onset + timedelta(days=60 + 14)
    assert not decision.reason.startswith("waiting for labels"), decision.reason


def test_the_loop_ticks_and_stops(tmp_path: Path) -> None:
    with Workspace.open(Workspace.create(tmp_path / "ws")) as workspace:
        loop = AgentLoop(workspace, interval=timedelta(0))
        seen = []
        reports = loop.run(ticks=5, on_tick=lambda report: (seen.append(report), loop.stop()))
        assert len(reports) == len(seen) == 1  # stopped after the running tick
        assert (
            reports[0].notes[0].startswith("monitoring skipped: model 'card-fraud' has no champion")
        )


@pytest.mark.slow  # ticks through a canary: 123 s on a loaded 2-core machine
def test_a_canary_is_promoted_by_the_ticks_once_its_duration_and_events_are_reached(
    tmp_path: Path, stream: DemoStream
) -> None:
    workspace, clock = launched(
        tmp_path / "ws", stream, rollout={"min_events": 200, "canary_share": 0.3}
    )
    launch = clock.now()
    with workspace:
        second = run_training_attempt(workspace, trigger="manual: a second model", validate=False,
                                      as_of=launch)  # fmt: skip
        version = second.attempt.challenger_version
        assert version == 2 and second.status == "candidate"
        registry = ModelRegistry.for_workspace(workspace)
        RolloutController(registry, workspace.config.rollout, clock).start(
            version, actor="test", reason="trained by hand, judged by its owner", force=True
        )
        scorer = MicroBatchScorer(stream.transactions.drop("is_fraud"), origin=launch)
        actions = []
        for start, stop in days_between(launch, launch + timedelta(days=2)):
            serve_day(workspace, stream, scorer, start, stop)
            clock.advance_to(stop)
            report = run_tick(workspace)
            assert report.rollout is not None
            actions.append(report.rollout.action)
        assert actions == ["waiting", "promoted"], actions
        assert registry.aliases()["champion"] == version
        canary = workspace.events.read("predictions").filter(route="canary")
        assert canary.height >= 200 and set(canary["model_version"].to_list()) == {version}
