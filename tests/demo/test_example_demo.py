"""``watchkeeper demo --example churn|demand|triage``: the mechanics of each task's replay.

Each example is replayed on a short, thin stream: just enough history before launch for its
training window and maturity horizon, then a few days live with a shift among them. Nothing
is retrained in so short a time; what is checked is that both runs answer every event, the
watched run logs predictions in the workspace's columns for its task, the figures match a
computation by hand, and the command prints each task's own lines. The money of each task
is checked by hand on a few events.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from watchkeeper.cli import main
from watchkeeper.clock import EventTimeClock
from watchkeeper.config import BusinessValueConfig
from watchkeeper.demo.example_replay import ExampleDemoSettings, run_example_demo
from watchkeeper.demo.micro_batch_scorer import MicroBatchScorer
from watchkeeper.demo.runs import MicroBatchScoring, launch_workspace, run_with
from watchkeeper.demo.summary import DemoSummary
from watchkeeper.demo.tabular_stream import TabularStream
from watchkeeper.demo.task_money import TaskFigures, TaskRules, task_figures
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.rollout.controller import RolloutController
from watchkeeper.serving.scorer import served_prediction_schema
from watchkeeper.training.attempt_runner import run_training_attempt
from watchkeeper.workspace import Workspace

SMALL = {
    "churn": ExampleDemoSettings("churn", per_day=50, days=166, history_days=160, shift_day=163),
    "demand": ExampleDemoSettings("demand", per_day=40, days=101, history_days=95, shift_day=98),
    "triage": ExampleDemoSettings("triage", per_day=40, days=106, history_days=100, shift_day=103),
}
"""History: churn's 120-day window and 31-day maturity, demand's 90 and 2, triage's 90 and 7."""
TASKS = {"churn": "binary", "demand": "regression", "triage": "multiclass"}


@pytest.fixture(scope="module", params=sorted(SMALL))
def replayed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ExampleDemoSettings, DemoSummary, Path]:
    settings = SMALL[request.param]
    out = tmp_path_factory.mktemp(settings.example)
    return settings, run_example_demo(settings, out), out


def test_both_runs_answer_every_event_and_the_watched_run_logs_the_task_s_columns(
    replayed: tuple[ExampleDemoSettings, DemoSummary, Path],
) -> None:
    settings, summary, out = replayed
    task = TASKS[settings.example]
    assert summary.task == task and summary.example == settings.example
    live_days = settings.days - settings.history_days
    expected = settings.per_day * live_days
    assert isinstance(summary.without, TaskFigures)
    assert isinstance(summary.with_watchkeeper, TaskFigures)
    assert summary.without.events == summary.with_watchkeeper.events == expected
    assert summary.ticks == -(-live_days // settings.tick_days)
    with Workspace.open(out / "workspace") as workspace:
        logged = workspace.events.read("predictions")
    assert logged.height == expected and logged["event_id"].n_unique() == expected
    assert set(served_prediction_schema(task).names) <= set(logged.columns)
    if task == "multiclass":
        first = json.loads(logged["probabilities"][0])
        assert list(first) == ["billing", "technical", "account", "sales", "legal"]
        assert sum(first.values()) == pytest.approx(1.0)
        assert logged["decision"][0] in first and logged["score"][0] == first[logged["decision"][0]]
    # no new version in so short a stream: the watched run answered like the frozen one
    assert summary.promotions == ()
    assert summary.with_watchkeeper.cost == pytest.approx(summary.without.cost)


def test_the_figures_are_the_logged_answers_judged_by_hand(
    replayed: tuple[ExampleDemoSettings, DemoSummary, Path],
) -> None:
    settings, summary, out = replayed
    stream = TabularStream.simulate(settings.example, seed=settings.seed,
                                    per_day=settings.per_day, days=settings.days,
                                    shift_day=settings.shift_day)  # fmt: skip
    with Workspace.open(out / "workspace") as workspace:
        logged = workspace.events.read("predictions")
        business = workspace.config.monitoring.business
    judged = logged.join(stream.outcomes, on="event_id")
    if settings.example == "demand":
        error = pl.col("prediction") - pl.col("outcome")
        cost = judged.select(
            (pl.when(error > 0).then(error * business.over_cost)
             .otherwise(-error * business.under_cost)).sum()
        ).item()  # fmt: skip
    else:
        matrix = business.cost_matrix or {}
        if settings.example == "churn":
            actual = ["positive" if o == "churned" else "negative" for o in judged["outcome"]]
            decided = ["positive" if d else "negative" for d in judged["decision"]]
        else:
            actual, decided = judged["outcome"].to_list(), judged["decision"].to_list()
        cost = sum(matrix.get(a, {}).get(d, 0.0) for a, d in zip(actual, decided, strict=True))
    assert summary.with_watchkeeper.cost == pytest.approx(cost)  # type: ignore[union-attr]
    document = json.loads((out / "summary.json").read_text("utf-8"))
    assert document["example"] == settings.example and document["with"]["weekly"]
    assert sum(week["events"] for week in document["with"]["weekly"]) == judged.height
    page = (out / "report.html").read_text("utf-8")
    assert f"The {settings.example} example, replayed: without and with watchkeeper" in page


def test_the_command_prints_each_task_s_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--example", "triage", "--scale", str(40 / 150), "--days", "106",
                 "--history-days", "100", "--shift-day", "103", "--out", str(tmp_path)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "triage example (multiclass), seed 1: 40 tickets a day" in printed
    assert "first alert after the shift" in printed or "no alert of any kind" in printed
    lines = [line for line in printed.splitlines() if line.startswith(("without", "with "))]
    assert len(lines) == 2 and all("accuracy" in line and "macro F1" in line for line in lines)
    assert "fraud" not in printed


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--example", "weather"], "--example weather: choose one of fraud, churn, demand, triage, external"),
        (["--example", "external", "--scale", "0"], "--scale must be above 0 (got 0)"),
        (["--example", "external", "--shift-day", "100"], "--shift-day 100 must come after"),
    ],
)  # fmt: skip
def test_an_unknown_example_or_bad_settings_are_one_line_and_exit_2(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", *arguments, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_external_example_replays_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--example", "external", "--scale", "0.5", "--days", "220",
                 "--history-days", "121", "--shift-day", "151", "--tick-days", "5",
                 "--out", str(tmp_path), "--json"])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    summary = json.loads(printed)
    assert summary == json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert (tmp_path / "report.html").is_file()


@pytest.mark.slow
def test_the_demo_approves_a_canary_as_the_owner_through_promote(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "churn", example="churn")
    config = root / "watchkeeper.yaml"
    text = config.read_text("utf-8").replace("duration: 7d ", "duration: 1d ")
    config.write_text(text.replace("min_events: 100", "min_events: 10"), "utf-8")
    stream = TabularStream.simulate("churn", seed=2, per_day=50, days=165, shift_day=164)
    launch = stream.start + timedelta(days=160)
    clock = EventTimeClock(launch)
    with Workspace.open(root, clock=clock) as workspace:
        assert workspace.config.rollout.require_approval
        launch_workspace(workspace, stream, launch)
        second = run_training_attempt(workspace, trigger="manual: a second model",
                                      validate=False, as_of=launch)  # fmt: skip
        version = second.attempt.challenger_version
        assert version == 2
        RolloutController.for_workspace(workspace).start(
            version, actor="test", reason="trained by hand", force=True
        )
        scorer = MicroBatchScorer(stream.events, origin=launch, entity="account_id")
        scoring = MicroBatchScoring(workspace, scorer)
        watched = run_with(workspace, clock, stream, scoring, launch, approver="demo as owner")
        registry = ModelRegistry.for_workspace(workspace)
        assert watched.approvals == 1 and registry.aliases()[CHAMPION] == version
        promoted = workspace.metadata.decisions(registry.model_name, kind="rollout_promote")
        assert [entry.actor for entry in promoted] == ["demo as owner"]
        served = watched.decisions.filter(pl.col("model_version") == version)
        assert served.height > 0  # the canary's share, then every event once promoted


def test_each_task_s_money_by_hand() -> None:
    days = pl.datetime_range(
        datetime(2025, 6, 2), datetime(2025, 6, 11), "1d", eager=True, time_zone="UTC"
    )[:4]
    truth = pl.DataFrame({"event_id": ["a", "b", "c", "d"], "ts": days})
    shift = date(2025, 6, 3)
    matrix = {"positive": {"positive": -30.0, "negative": 60.0}, "negative": {"positive": 10.0}}
    churn = task_figures(
        pl.DataFrame({"event_id": ["a", "b", "c", "d"], "decision": [True, False, True, False]}),
        truth.with_columns(outcome=pl.Series(["churned", "churned", "renewed", "renewed"])),
        TaskRules("binary", BusinessValueConfig(cost_matrix=matrix), positive_outcome="churned"),
        shift=shift,
    )
    # a caught -30, b missed 60, c offered in vain 10, d nothing; from the shift: b, c, d
    assert (churn.cost, churn.post_shift_cost) == (40.0, 70.0)
    assert churn.post_shift_metrics == {"recall": 0.0, "precision": 0.0, "f1": 0.0}
    queues = {"billing": {"legal": 6.0}, "legal": {"billing": 40.0}}
    triage = task_figures(
        pl.DataFrame({"event_id": ["a", "b", "c", "d"],
                      "decision": ["billing", "legal", "billing", "legal"]}),
        truth.with_columns(outcome=pl.Series(["billing", "billing", "legal", "legal"])),
        TaskRules("multiclass", BusinessValueConfig(cost_matrix=queues), ("billing", "legal")),
        shift=shift,
    )  # fmt: skip
    assert (triage.cost, triage.post_shift_cost) == (46.0, 46.0)
    assert triage.post_shift_metrics["accuracy"] == pytest.approx(1 / 3)
    # macro F1 from the shift on: billing precision 0, recall 0; legal precision 1/2, recall 1/2
    assert triage.post_shift_metrics["macro_f1"] == pytest.approx(0.25)
    demand = task_figures(
        pl.DataFrame({"event_id": ["a", "b", "c", "d"], "prediction": [5.0, 8.0, 2.0, 4.0]}),
        truth.with_columns(outcome=pl.Series([5.0, 10.0, 1.0, 4.0])),
        TaskRules("regression", BusinessValueConfig(under_cost=1.2, over_cost=0.4)),
        shift=shift,
    )
    assert demand.cost == pytest.approx(2 * 1.2 + 1 * 0.4)
    assert demand.post_shift_metrics["mae"] == pytest.approx(1.0)
    assert [week.events for week in demand.weekly] == [4]


def test_the_churn_monitor_prices_decisions_with_the_cost_matrix(
    replayed: tuple[ExampleDemoSettings, DemoSummary, Path],
) -> None:
    settings, _, out = replayed
    if settings.example != "churn":
        pytest.skip("the cost matrix of a binary model served by watchkeeper")
    with Workspace.open(out / "workspace") as workspace:
        written = {row.metric for row in workspace.metadata.metrics(workspace.config.model.name)}
    money = {"cost", "cost_per_event", "business_value", "value_against_baseline"}
    assert money | {f"estimated_{name}" for name in money} | {"f1", "estimated_f1"} <= written
    assert "fraud_loss_approved" not in written and "review_cost" not in written
