"""Scoring a multiclass and a regression model: answers, the prediction log, a canary, guards.

Each workspace is written here (its task, classes, a few inputs and features); two versions
are trained on events whose target follows the inputs and registered directly. The answers
are checked against the models themselves, called on the batch engine's features of the same
events (the online and batch engines agree), and against the stored decision rule; the
guards' realized values against scikit-learn on the logged predictions and the outcomes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import accuracy_score, mean_absolute_error
from tests.conftest import record_gate_pass

from watchkeeper.clock import EventTimeClock
from watchkeeper.config import ModelTask, TrainingConfig
from watchkeeper.features.batch_engine import compute_batch
from watchkeeper.features.fit import fit
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.modeling.class_decision import ClassDecision
from watchkeeper.modeling.task_models import ClassProbabilityModel, TaskModel, ValueModel
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.rollout.guards import BINARY_ONLY_GUARDS
from watchkeeper.rollout.router import Router
from watchkeeper.serving.app import create_app
from watchkeeper.training.task_trainers import train_task_model
from watchkeeper.workspace import Workspace

NOW = datetime(2026, 6, 9, 12, tzinfo=UTC)
TOKEN = "admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
CLASSES = ("billing", "technical", "sales")
# actual -> decided -> cost: sending a technical ticket elsewhere is the expensive mistake
COSTS = ((0.0, 1.0, 1.0), (9.0, 0.0, 9.0), (1.0, 1.0, 0.0))
COMMON = """
version: 1
owner: {name: Ana Silva, contact: ana@example.com}
keys: {event_id: event_id, entity: customer, event_time: ts}
features:
  inputs:
    event_id: {type: string, required: true}
    ts: {type: timestamp, required: true}
    customer: {type: string, required: true}
    words: {type: int, min: 0, required: true}
    urgency: {type: float, min: 0, max: 1}
  transforms:
    - {name: log_words, op: log1p, input: words, fill: 0.0}
    - {name: urgency_filled, op: fill_missing, input: urgency, fill: 0.0}
    - {name: customer_tickets_7d, op: count, by: customer, window: 7d}
serving:
  event_time: {max_future: 1h}
rollout:
  canary_share: 0.5
  guards: {min_labelled_events: 40}
"""
WORKSPACES: dict[ModelTask, str] = {
    "multiclass": "model: {name: triage, task: multiclass}\n"
    "label: {classes: [billing, technical, sales], maturity_horizon: 7d}\n" + COMMON,
    "regression": "model: {name: demand, task: regression}\n"
    "label: {maturity_horizon: 1d}\n" + COMMON,
}


def events(rows: int, seed: int, start: datetime) -> pl.DataFrame:
    """Tickets one second apart, 30 customers."""
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "event_id": [f"t{seed}-{index}" for index in range(rows)],
            "ts": [start + timedelta(seconds=index) for index in range(rows)],
            "customer": [f"c{value}" for value in rng.integers(0, 30, size=rows)],
            "words": rng.integers(1, 200, size=rows),
            "urgency": np.round(rng.random(rows), 3),
        }
    )


def targets(frame: pl.DataFrame, task: ModelTask, seed: int) -> np.ndarray[Any, Any]:
    """The class (by urgency and length) or the number the tickets' inputs imply."""
    rng = np.random.default_rng(seed)
    words, urgency = frame["words"].to_numpy(), frame["urgency"].to_numpy()
    if task == "multiclass":
        noisy = urgency + rng.normal(0, 0.1, frame.height)
        codes = np.where(noisy > 0.6, 1, np.where(words > 80, 0, 2))
        classes: np.ndarray[Any, Any] = np.asarray(CLASSES)[codes]
        return classes
    values: np.ndarray[Any, Any] = 2.0 * np.log1p(words) + 5.0 * urgency
    return values + rng.normal(0, 0.3, frame.height)


@dataclass(frozen=True)
class Trained:
    fitted: FittedFeatureSpec
    schema: pl.Schema
    models: tuple[TaskModel, TaskModel]


def train(task: ModelTask, folder: Path) -> Trained:
    root = folder / "spec"
    root.mkdir()
    (root / "watchkeeper.yaml").write_text(WORKSPACES[task])
    spec = FeatureSpec.from_workspace_config(Workspace.open(root).config)
    frame = events(1500, seed=1, start=NOW - timedelta(days=14))
    fitted = fit(spec, frame)
    features = compute_batch(fitted, frame).features.drop("event_id")
    labels = targets(frame, task, seed=2)
    models = tuple(
        train_task_model(
            TrainingConfig(parameters={"n_estimators": size, "num_threads": 1, "verbose": -1}),
            features,
            labels,
            task=task,
            classes=CLASSES if task == "multiclass" else None,
        )
        for size in (20, 5)
    )
    return Trained(fitted, features.schema, (models[0], models[1]))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[ModelTask, Trained]:
    return {
        task: train(task, tmp_path_factory.mktemp(task)) for task in ("multiclass", "regression")
    }


ANSWER = ["probabilities", "decision", "score", "model_version", "route", "latency_ms"]
"""A multiclass answer's fields after the event id, in order."""

DECISIONS = (ClassDecision("argmax", CLASSES), ClassDecision("cost_minimizing", CLASSES, COSTS))
"""Version 1 decides by argmax, version 2 by expected cost."""


@dataclass
class Served:
    task: ModelTask
    workspace: Workspace
    client: TestClient
    trained: Trained

    def score(self, event: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.post("/v1/score", json=event)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def score_batch(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = self.client.post("/v1/score/batch", json={"events": batch})
        assert answer.status_code == 200, answer.text
        results: list[dict[str, Any]] = answer.json()["results"]
        return results

    def logged(self) -> pl.DataFrame:
        self.workspace.events.flush()
        return self.workspace.events.read("predictions")


@contextmanager
def serve(
    task: ModelTask, trained: Trained, tmp_path: Path, *, shadow: bool = False
) -> Iterator[Served]:
    """A workspace of ``task`` with both versions registered, version 1 the champion; a
    canary of it runs in ``shadow`` mode if asked."""
    root = tmp_path / "ws"
    root.mkdir()
    text = WORKSPACES[task]
    if shadow:
        text = text.replace("canary_share: 0.5", "canary_share: 0.5\n  shadow: true")
    (root / "watchkeeper.yaml").write_text(text)
    clock = EventTimeClock(NOW)
    workspace = Workspace.open(root, clock=clock)
    registry = ModelRegistry.for_workspace(workspace)
    for model, decision in zip(trained.models, DECISIONS, strict=True):
        registry.register(
            model,
            feature_schema=trained.schema,
            threshold=0.0,
            feature_spec=trained.fitted.to_json().encode("utf-8"),
            decision=decision if task == "multiclass" else None,
        )
    registry.set_status(1, CHAMPION, reason="first")
    record_gate_pass(workspace.metadata, workspace.config.model.name, 2)
    app = create_app(workspace, clock=clock, admin_token=TOKEN, flush_seconds=None)
    with TestClient(app) as client:
        yield Served(task, workspace, client, trained)
    workspace.close()


def live(rows: int, seed: int = 7) -> list[dict[str, Any]]:
    frame = events(rows, seed, start=NOW)
    return [
        {**row, "ts": row["ts"].isoformat(), "words": int(row["words"])}
        for row in frame.iter_rows(named=True)
    ]


def batch_features(served: Served, batch: list[dict[str, Any]]) -> pl.DataFrame:
    """The batch engine's features of ``batch`` (from an empty state, as the service's)."""
    frame = pl.DataFrame(
        {
            "event_id": [event["event_id"] for event in batch],
            "ts": [datetime.fromisoformat(event["ts"]) for event in batch],
            "customer": [event["customer"] for event in batch],
            "words": [event["words"] for event in batch],
            "urgency": [event["urgency"] for event in batch],
        }
    )
    features = compute_batch(served.trained.fitted, frame).features.drop("event_id")
    return features.select(list(served.trained.schema))


def test_multiclass_answers_probabilities_and_the_rule_s_class(
    trained: dict[ModelTask, Trained], tmp_path: Path
) -> None:
    with serve("multiclass", trained["multiclass"], tmp_path) as served:
        batch = live(60)
        first = served.score(batch[0])
        results = [first, *served.score_batch(batch[1:])]
        model = trained["multiclass"].models[0]
        assert isinstance(model, ClassProbabilityModel)
        expected = model.predict_probabilities(batch_features(served, batch))
        decided = DECISIONS[0].decided_classes(expected)
        for result, row, decision in zip(results, expected, decided, strict=True):
            assert list(result) == ["event_id", *ANSWER]
            assert list(result["probabilities"]) == list(CLASSES)
            probabilities = np.array([result["probabilities"][name] for name in CLASSES])
            assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)
            np.testing.assert_allclose(probabilities, row, rtol=1e-9, atol=1e-12)
            assert result["decision"] == decision
            assert result["score"] == result["probabilities"][decision]
            assert (result["model_version"], result["route"]) == (1, "champion")
        assert len({result["decision"] for result in results}) > 1
        again = served.score(batch[0])  # a retry: the first answer, probabilities included
        assert {**again, "latency_ms": 0} == {**first, "latency_ms": 0}
        metrics = served.client.get("/metrics", headers=ADMIN).text
        series = '{model_version="1",route="champion"}'
        assert f"watchkeeper_scored_events_total{series} 61.0" in metrics  # the retry counts
        assert f"watchkeeper_score_count{series} 61.0" in metrics
        assert f"watchkeeper_flag_rate{series}" not in metrics  # a flag is binary

        logged = served.logged().sort("ts")
        assert logged.height == 60
        assert logged.schema["decision"] == pl.String
        assert logged.schema["score"] == pl.Float64
        assert "prediction" not in logged.columns
        assert [json.loads(text) for text in logged["probabilities"]] == [
            result["probabilities"] for result in results
        ]
        assert logged["decision"].to_list() == [result["decision"] for result in results]
        assert logged["score"].to_list() == [result["score"] for result in results]


def test_regression_answers_the_model_s_prediction(
    trained: dict[ModelTask, Trained], tmp_path: Path
) -> None:
    with serve("regression", trained["regression"], tmp_path) as served:
        batch = live(40)
        results = [served.score(batch[0]), *served.score_batch(batch[1:])]
        model = trained["regression"].models[0]
        assert isinstance(model, ValueModel)
        expected = model.predict_values(batch_features(served, batch))
        for result, value in zip(results, expected, strict=True):
            assert list(result) == [
                "event_id",
                "prediction",
                "model_version",
                "route",
                "latency_ms",
            ]
            assert result["prediction"] == pytest.approx(float(value), rel=1e-12)
        logged = served.logged().sort("ts")
        assert {"score", "decision", "probabilities"}.isdisjoint(logged.columns)
        assert logged["prediction"].to_list() == [result["prediction"] for result in results]
        assert logged["model_version"].to_list() == [1] * 40


def test_the_openapi_answer_follows_the_task(
    trained: dict[ModelTask, Trained], tmp_path: Path
) -> None:
    with serve("multiclass", trained["multiclass"], tmp_path) as served:
        paths = served.client.get("/openapi.json").json()["paths"]
    answer = paths["/v1/score"]["post"]["responses"]["200"]["content"]["application/json"]
    properties = answer["schema"]["properties"]
    assert sorted(properties["probabilities"]["properties"]) == sorted(CLASSES)
    assert properties["decision"]["enum"] == list(CLASSES)
    batch = paths["/v1/score/batch"]["post"]["responses"]["200"]["content"]["application/json"]
    assert batch["schema"]["properties"]["results"]["items"] == answer["schema"]


def test_a_model_of_another_task_is_refused_naming_both(
    trained: dict[ModelTask, Trained], tmp_path: Path
) -> None:
    with serve("regression", trained["multiclass"], tmp_path) as served:
        answer = served.client.post("/v1/score", json=live(1)[0])
    assert answer.status_code == 503
    message = answer.json()["error"]["message"]
    assert "multiclass model" in message and "model.task is regression" in message


def test_a_canary_of_another_task_is_refused_before_anything_changes(
    trained: dict[ModelTask, Trained], tmp_path: Path
) -> None:
    with serve("regression", trained["regression"], tmp_path) as served:
        registry = ModelRegistry.for_workspace(served.workspace)
        other = registry.register(
            trained["multiclass"].models[0],
            feature_schema=trained["multiclass"].schema,
            threshold=0.0,
            feature_spec=trained["multiclass"].fitted.to_json().encode("utf-8"),
        ).version
        record_gate_pass(served.workspace.metadata, "demand", other)
        answer = served.client.post("/v1/rollout/start", json={"version": other}, headers=ADMIN)
        assert answer.status_code == 409, answer.text
        assert "is a multiclass model" in answer.json()["error"]["message"]
        assert served.client.get("/v1/rollout", headers=ADMIN).json()["state"] == "idle"
        assert served.score(live(1)[0])["model_version"] == 1


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_pinned_and_shadow_predictions_follow_the_task(
    task: ModelTask, trained: dict[ModelTask, Trained], tmp_path: Path
) -> None:
    fields = {"multiclass": ["probabilities", "decision", "score"], "regression": ["prediction"]}
    with serve(task, trained[task], tmp_path, shadow=True) as served:
        started = served.client.post("/v1/rollout/start", json={"version": 2}, headers=ADMIN)
        assert started.status_code == 200, started.text
        batch = live(3)
        shadowed = served.score(batch[0])
        pinned = served.client.post("/v1/score?model_version=2", json=batch[1]).json()
        pinned_batch = served.client.post(
            "/v1/score/batch", json={"events": batch[2:], "model_version": 2}
        ).json()["results"]
        logged = served.logged()
    assert (shadowed["route"], shadowed["model_version"]) == ("champion", 1)
    assert list(shadowed["shadow"]) == ["model_version", *fields[task]]
    assert shadowed["shadow"]["model_version"] == 2
    for answer in (pinned, *pinned_batch):
        assert (answer["route"], answer["model_version"]) == ("canary", 2)
        assert [name for name in answer if name in fields[task]] == fields[task]
    row = logged.filter(pl.col("event_id") == batch[0]["event_id"] + ":shadow").row(0, named=True)
    assert (row["route"], row["model_version"]) == ("shadow", 2)
    if task == "multiclass":
        assert json.loads(row["probabilities"]) == shadowed["shadow"]["probabilities"]
        assert row["decision"] == shadowed["shadow"]["decision"]
    else:
        assert row["prediction"] == shadowed["shadow"]["prediction"]


def outcomes_of(task: ModelTask, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    frame = pl.DataFrame(
        {
            "words": [event["words"] for event in batch],
            "urgency": [event["urgency"] for event in batch],
        }
    )
    truth = targets(frame, task, seed=3)
    return [
        {"event_id": event["event_id"], "outcome": value.item(), "outcome_ts": event["ts"]}
        for event, value in zip(batch, truth, strict=True)
    ]


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_a_canary_routes_by_entity_and_its_guards_judge_the_task(
    task: ModelTask, trained: dict[ModelTask, Trained], tmp_path: Path
) -> None:
    with serve(task, trained[task], tmp_path) as served:
        started = served.client.post("/v1/rollout/start", json={"version": 2}, headers=ADMIN)
        assert started.status_code == 200, started.text
        rollout = started.json()["rollout"]
        router = Router(f"{served.workspace.config.model.name}:{rollout['id']}", canary_share=0.5)
        batch = live(300, seed=11)
        results = served.score_batch(batch[:150]) + served.score_batch(batch[150:])
        routes: dict[str, set[str]] = {}
        for event, result in zip(batch, results, strict=True):
            expected = router.route(event["customer"]).decision
            assert result["route"] == expected
            assert result["model_version"] == (2 if expected == "canary" else 1)
            if task == "multiclass":  # each version decides by its own rule
                rule = DECISIONS[result["model_version"] - 1]
                given = [[result["probabilities"][name] for name in CLASSES]]
                assert result["decision"] == rule.decided_classes(given)[0]
            routes.setdefault(event["customer"], set()).add(result["route"])
        assert all(len(seen) == 1 for seen in routes.values())  # sticky per customer
        assert {"champion", "canary"} == set().union(*routes.values())

        sent = served.client.post("/v1/outcomes", json={"outcomes": outcomes_of(task, batch)})
        assert sent.status_code == 200, sent.text
        evaluated = served.client.post("/v1/rollout/evaluate", headers=ADMIN)
        assert evaluated.status_code == 200, evaluated.text
        checks = {check["name"]: check for check in evaluated.json()["checks"]}

    truth = {row["event_id"]: row["outcome"] for row in outcomes_of(task, batch)}
    pairs_of = [
        (truth[event["event_id"]], result) for event, result in zip(batch, results, strict=True)
    ]
    by_route = {
        route: [(actual, result) for actual, result in pairs_of if result["route"] == route]
        for route in ("champion", "canary")
    }
    for name in BINARY_ONLY_GUARDS:
        assert checks[name]["passed"] and checks[name]["not_applicable_to"] == task
    assert {"error_rate", "latency_ratio"} <= set(checks)
    if task == "multiclass":
        accuracy = {
            route: accuracy_score(
                [actual for actual, _ in pairs], [result["decision"] for _, result in pairs]
            )
            for route, pairs in by_route.items()
        }
        check = checks["realized_accuracy_drop"]
        assert check["value"] == pytest.approx(accuracy["champion"] - accuracy["canary"])
        decided = sorted({result["decision"] for result in results})
        counts = {
            route: [sum(result["decision"] == name for _, result in pairs) for name in decided]
            for route, pairs in by_route.items()
        }
        assert checks["decision_psi"]["value"] == pytest.approx(
            psi(counts["champion"], counts["canary"]), rel=1e-9
        )
    else:
        error = {
            route: mean_absolute_error(
                [actual for actual, _ in pairs], [result["prediction"] for _, result in pairs]
            )
            for route, pairs in by_route.items()
        }
        check = checks["realized_mae_increase"]
        assert check["value"] == pytest.approx(error["canary"] / error["champion"] - 1.0)
        assert "prediction_psi" in checks


def psi(reference: list[int], current: list[int]) -> float:
    """PSI by its definition, each count plus half an event (as the guards smooth)."""
    expected = (np.asarray(reference, dtype=float) + 0.5) / (sum(reference) + len(reference) / 2)
    actual = (np.asarray(current, dtype=float) + 0.5) / (sum(current) + len(current) / 2)
    return float(np.sum((actual - expected) * np.log(actual / expected)))
