"""One multiclass attempt end to end at the library level: window, train, decide, judge, register."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
from sklearn.metrics import f1_score

from watchkeeper.config import BusinessValueConfig, LabelConfig, RetrainingConfig, TrainingConfig
from watchkeeper.modeling.class_decision import ClassDecision, class_decision
from watchkeeper.modeling.task_models import ClassProbabilityModel
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.training.task_evaluation import ClassHoldout, evaluate_classes
from watchkeeper.training.task_trainers import train_task_model
from watchkeeper.training.task_validation import TaskContender, class_validation_gate
from watchkeeper.training.window import training_window

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
CLASSES = ["billing", "technical", "sales"]
LABEL = LabelConfig(classes=CLASSES, maturity_horizon=timedelta(days=7))
# actual -> decided -> cost: a technical ticket sent elsewhere is the expensive mistake
COSTS = {
    "technical": {"billing": 8.0, "sales": 8.0},
    "billing": {"technical": 2.0, "sales": 1.0},
    "sales": {"technical": 2.0, "billing": 1.0},
}


def tickets() -> tuple[pl.DataFrame, pl.DataFrame]:
    """120 tickets a day for 100 days; the queue follows two features; answered 2 days later."""
    rng = np.random.default_rng(21)
    rows = 120 * 100
    a, b = rng.normal(size=rows), rng.normal(size=rows)
    codes = np.digitize(a + 0.5 * b + rng.normal(0, 0.4, rows), [-0.5, 0.7])
    times = [DAY0 + timedelta(minutes=12 * i) for i in range(rows)]
    events = pl.DataFrame({"event_id": [f"t{i}" for i in range(rows)], "ts": times, "a": a, "b": b})
    answered = rng.random(rows) < 0.9  # a tenth never gets an answer
    outcomes = pl.DataFrame(
        {
            "event_id": events["event_id"].filter(answered),
            "outcome": np.asarray(CLASSES)[codes][answered],
            "received_at": [time + timedelta(days=2) for time in np.asarray(times)[answered]],
        }
    )
    return events, outcomes


def test_a_multiclass_attempt_from_events_to_a_registered_version(registry: ModelRegistry) -> None:
    events, outcomes = tickets()
    window = training_window(
        events,
        outcomes,
        as_of=DAY0 + timedelta(days=100),
        maturity_horizon=LABEL.maturity_horizon,
        window=timedelta(days=60),
        validation=timedelta(days=7),
        holdout=timedelta(days=7),
        task="multiclass",
        label=LABEL,
    )
    assert window.unlabelled > 0
    names = ["a", "b"]
    train = window.train
    model = train_task_model(
        TrainingConfig(parameters={"n_estimators": 40, "num_threads": 1}),
        train.select(names),
        train["label"].to_numpy(),
        task="multiclass",
        classes=CLASSES,
    )
    assert isinstance(model, ClassProbabilityModel)
    business = BusinessValueConfig(cost_matrix=COSTS)
    decision = class_decision(TrainingConfig(decision="cost_minimizing"), business, CLASSES)
    holdout = ClassHoldout.from_frame(window.holdout, names, CLASSES)
    # the champion: a model that only knows the class shares (uniform over what it saw)
    constant = train_task_model(
        TrainingConfig(trainer="sklearn:sklearn.dummy.DummyClassifier"),
        train.select(names),
        train["label"].to_numpy(),
        task="multiclass",
        classes=CLASSES,
    )
    result = class_validation_gate(
        TaskContender(constant, ClassDecision("argmax", tuple(CLASSES)), version=1),
        TaskContender(model, decision),
        holdout,
        retraining=RetrainingConfig(bootstrap_samples=200),
        business=business,
    )
    assert result.primary_metric == "business_value"
    assert result.accepted, result.reason
    probabilities = model.predict_probabilities(holdout.features)
    decided = decision.decide(probabilities)
    assert f1_score(holdout.labels, decided, average="macro") > 0.6
    # the cost-minimizing rule gives up accuracy for money, against argmax on the same model
    argmax = ClassDecision("argmax", tuple(CLASSES)).decide(probabilities)
    by_cost, by_probability = (
        evaluate_classes(chosen, holdout, business) for chosen in (decided, argmax)
    )
    assert by_cost.business_value is not None and by_probability.business_value is not None
    assert by_cost.business_value > by_probability.business_value
    assert by_cost.accuracy < by_probability.accuracy
    registered = registry.register(
        model, feature_schema=train.select(names).schema, threshold=0.0, decision=decision
    )
    loaded = registry.load(registered.version)
    assert loaded.task == "multiclass"
    assert ClassDecision.from_dict(loaded.manifest.extra["decision"]) == decision
