"""A team's own model, scoring a simulation the way its service would log it.

The external example needs predictions that watchkeeper did not make: a plain scikit-learn
model on the numeric inputs (booleans as 0/1), trained on the first ``training_days`` days
and labelled ``team-v1``; from ``switch_day`` on (four weeks after the shift by default) the
team serves ``team-v2``, retrained on the days since the shift, so a new external version
appears in the log. Per task:

* binary: ``score`` (probability of ``positive_outcome``) and ``decision`` (score at or above
  a threshold that flags ``flag_rate`` of the version's training events);
* multiclass: ``probabilities`` (a JSON object, class -> probability, summing to 1),
  ``decision`` (the most probable class) and ``score`` (its probability);
* regression: ``prediction`` (a Ridge regression, kept within the outcomes' lower bound).

>>> from watchkeeper.simulate.tabular.triage import simulate_triage
>>> simulation = simulate_triage(days=50, per_day=40, shift_day=20, seed=1)
>>> logged = team_predictions(simulation, "multiclass", seed=0, training_days=15)
>>> logged.columns[-4:]
['model_label', 'probabilities', 'decision', 'score']
>>> logged.group_by("model_label").len().sort("model_label").rows()
[('team-v1', 1920), ('team-v2', 80)]
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from watchkeeper.errors import SimulationError
from watchkeeper.simulate.tabular.common import RAMP_DAYS, TabularSimulation, simulated_day

TeamTask = Literal["binary", "multiclass", "regression"]

FIRST_VERSION = "team-v1"
SECOND_VERSION = "team-v2"
_KEYS = frozenset({"event_id", "ts"})
_MAX_TRAINING_ROWS = 50_000


def team_predictions(
    simulation: TabularSimulation,
    task: TeamTask,
    seed: int = 0,
    *,
    positive_outcome: str = "churned",
    flag_rate: float = 0.1,
    training_days: int = 60,
    switch_day: int | None = None,
) -> pl.DataFrame:
    """Score every event of ``simulation`` with the team's model (see the module docs).

    Returns the events' columns, ``model_label`` and the task's prediction columns, in event
    order. ``seed`` draws the training sample when a window holds more than 50,000 events.
    """
    if task not in ("binary", "multiclass", "regression"):
        raise SimulationError(f"task {task!r}: choose binary, multiclass or regression")
    if not 0 < flag_rate < 1:
        raise SimulationError(f"flag_rate must lie between 0 and 1 (got {flag_rate})")
    shift_day = simulation.shift_day
    switch = shift_day + RAMP_DAYS + 7 if switch_day is None else switch_day
    if not shift_day < switch:
        raise SimulationError(f"switch_day {switch} must come after the shift (day {shift_day})")
    joined = simulation.events.join(
        simulation.outcomes.select("event_id", "outcome"), on="event_id", how="left"
    ).with_columns(simulated_day())
    if joined["outcome"].null_count():
        raise SimulationError("every event needs its outcome to train the team's model")
    _check_outcomes(joined["outcome"], task, positive_outcome)
    inputs = [
        name
        for name, dtype in simulation.events.schema.items()
        if name not in _KEYS and (dtype.is_numeric() or dtype == pl.Boolean)
    ]
    if not inputs:
        raise SimulationError("the events have no numeric or boolean input to train on")
    windows = {
        FIRST_VERSION: (0, min(training_days, shift_day)),
        SECOND_VERSION: (max(shift_day, switch - training_days), switch),
    }
    label = (
        pl.when(pl.col("day") < switch)
        .then(pl.lit(FIRST_VERSION))
        .otherwise(pl.lit(SECOND_VERSION))
    )
    logged = joined.with_columns(model_label=label)
    classes = sorted(joined["outcome"].unique().to_list()) if task == "multiclass" else []
    parts = []
    rng = np.random.default_rng(seed)
    for version, (first, end) in windows.items():
        served = logged.filter(pl.col("model_label") == version)
        if served.is_empty():
            continue
        training = _sample(joined.filter(pl.col("day").is_between(first, end - 1)), rng)
        if training.height < 2:
            raise SimulationError(
                f"{version} has no training days (days {first} to {end - 1}): "
                "simulate more days or move switch_day"
            )
        x_train = _matrix(training, inputs)
        x_served = _matrix(served, inputs)
        if task == "binary":
            columns = _binary(training, x_train, x_served, positive_outcome, flag_rate, seed)
        elif task == "multiclass":
            columns = _multiclass(training, x_train, x_served, classes, seed)
        else:
            columns = _regression(training, x_train, x_served)
        parts.append(served.with_columns(columns))
    return pl.concat(parts).sort("event_id").drop("outcome", "day")


def _check_outcomes(outcome: pl.Series, task: TeamTask, positive_outcome: str) -> None:
    if task == "regression":
        if not outcome.dtype.is_float():
            raise SimulationError(
                f"a regression model needs numeric outcomes; these are {outcome.dtype}"
            )
        return
    if outcome.dtype != pl.String:
        raise SimulationError(f"a {task} model needs class outcomes; these are {outcome.dtype}")
    values = set(outcome.unique().to_list())
    if task == "binary" and (len(values) != 2 or positive_outcome not in values):
        raise SimulationError(
            f"a binary model needs two outcome values with {positive_outcome!r} among them "
            f"(got {sorted(values)})"
        )


def _sample(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    if frame.height <= _MAX_TRAINING_ROWS:
        return frame
    chosen = np.sort(rng.choice(frame.height, _MAX_TRAINING_ROWS, replace=False))
    return frame[chosen]


def _matrix(frame: pl.DataFrame, inputs: list[str]) -> npt.NDArray[np.float64]:
    return frame.select(pl.col(inputs).cast(pl.Float64)).to_numpy()


def _classifier(seed: int) -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1_000, random_state=seed))


def _binary(
    training: pl.DataFrame,
    x_train: npt.NDArray[np.float64],
    x_served: npt.NDArray[np.float64],
    positive_outcome: str,
    flag_rate: float,
    seed: int,
) -> list[pl.Series]:
    positive = (training["outcome"] == positive_outcome).to_numpy()
    if positive.all() or not positive.any():
        raise SimulationError("a training window holds a single outcome value: simulate more days")
    model = _classifier(seed).fit(x_train, positive)
    threshold = float(np.quantile(model.predict_proba(x_train)[:, 1], 1.0 - flag_rate))
    score = model.predict_proba(x_served)[:, 1]
    return [
        pl.Series("score", score, dtype=pl.Float64),
        pl.Series("decision", score >= threshold, dtype=pl.Boolean),
    ]


def _multiclass(
    training: pl.DataFrame,
    x_train: npt.NDArray[np.float64],
    x_served: npt.NDArray[np.float64],
    classes: list[str],
    seed: int,
) -> list[pl.Series]:
    model = _classifier(seed).fit(x_train, training["outcome"].to_numpy())
    learned = model.predict_proba(x_served)
    # A class the window never saw gets probability 0; the columns follow ``classes``.
    probabilities = np.zeros((x_served.shape[0], len(classes)))
    for column, name in enumerate(model.classes_):
        probabilities[:, classes.index(str(name))] = learned[:, column]
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    best = probabilities.argmax(axis=1)
    frame = pl.DataFrame(
        {name: probabilities[:, i] for i, name in enumerate(classes)},
        schema=dict.fromkeys(classes, pl.Float64),
    )
    return [
        frame.select(pl.struct(classes).struct.json_encode().alias("probabilities")).to_series(),
        pl.Series("decision", np.asarray(classes, dtype=object)[best], dtype=pl.String),
        pl.Series("score", probabilities[np.arange(best.size), best], dtype=pl.Float64),
    ]


def _regression(
    training: pl.DataFrame,
    x_train: npt.NDArray[np.float64],
    x_served: npt.NDArray[np.float64],
) -> list[pl.Series]:
    target = training["outcome"].to_numpy()
    model = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(x_train, target)
    prediction = np.maximum(model.predict(x_served), float(target.min()))
    return [pl.Series("prediction", prediction, dtype=pl.Float64)]


__all__ = ["FIRST_VERSION", "SECOND_VERSION", "TeamTask", "team_predictions"]
