"""A team's own model, scoring a simulation the way its service would log it.

The external example needs predictions that watchkeeper did not make: a plain scikit-learn
model on the numeric inputs (booleans as 0/1). :func:`train_team_model` trains one version
on a window of labelled events (what a team's pipeline does when asked to retrain);
:func:`team_predictions` scores a whole simulation with two: ``team-v1``, trained on the
first ``training_days`` days, and from ``switch_day`` on (four weeks after the shift by
default) ``team-v2``, retrained on the days since the shift, so a new external version
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

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from watchkeeper.errors import SimulationError
from watchkeeper.simulate.tabular.common import RAMP_DAYS, START, TabularSimulation, simulated_day

TeamTask = Literal["binary", "multiclass", "regression"]

FIRST_VERSION = "team-v1"
SECOND_VERSION = "team-v2"
_KEYS = frozenset({"event_id", "ts"})
_MAX_TRAINING_ROWS = 50_000


@dataclass(frozen=True)
class TeamModel:
    """One version of the team's model: its label, the inputs it reads and what it learned.

    ``threshold`` (binary) decides ``score >= threshold``; ``classes`` (multiclass) are the
    keys of its ``probabilities``; ``floor`` (regression) is the lowest outcome it trained on,
    below which it never predicts.
    """

    label: str
    task: TeamTask
    inputs: tuple[str, ...]
    pipeline: Pipeline
    threshold: float | None = None
    classes: tuple[str, ...] = ()
    floor: float | None = None

    def predict(self, events: pl.DataFrame) -> pl.DataFrame:
        """``events`` with ``model_label`` and the task's prediction columns, as the team's
        service logs them."""
        features = _matrix(events, list(self.inputs))
        if self.task == "binary":
            assert self.threshold is not None
            columns = _binary_columns(self.pipeline, features, self.threshold)
        elif self.task == "multiclass":
            columns = _multiclass_columns(self.pipeline, features, list(self.classes))
        else:
            assert self.floor is not None
            prediction = np.maximum(self.pipeline.predict(features), self.floor)
            columns = [pl.Series("prediction", prediction, dtype=pl.Float64)]
        return events.with_columns(pl.lit(self.label).alias("model_label"), *columns)


def labelled_events(
    simulation: TabularSimulation,
    task: TeamTask,
    *,
    positive_outcome: str = "churned",
    known_by: datetime | None = None,
) -> pl.DataFrame:
    """The events of ``simulation`` with their ``outcome`` — only the outcomes known by
    ``known_by`` (their ``outcome_ts`` at or before it; the others null) when given.

    >>> from watchkeeper.simulate.tabular.churn import simulate_churn
    >>> simulation = simulate_churn(days=40, per_day=20, shift_day=20, seed=1)
    >>> known = labelled_events(simulation, "binary", known_by=START + timedelta(days=10))
    >>> known.height, int(known["outcome"].null_count()) > 20 * 30
    (800, True)
    """
    if task not in ("binary", "multiclass", "regression"):
        raise SimulationError(f"task {task!r}: choose binary, multiclass or regression")
    outcomes = simulation.outcomes
    _check_outcomes(outcomes["outcome"], task, positive_outcome)
    outcome = pl.col("outcome")
    if known_by is not None:
        outcome = pl.when(pl.col("outcome_ts") <= known_by).then(outcome)
    return simulation.events.join(
        outcomes.select("event_id", outcome.alias("outcome")), on="event_id", how="left"
    )


def team_inputs(events: pl.DataFrame) -> tuple[str, ...]:
    """The inputs a team's model reads: every numeric or boolean column but the keys."""
    inputs = tuple(
        name
        for name, dtype in events.schema.items()
        if name not in _KEYS and name != "outcome" and (dtype.is_numeric() or dtype == pl.Boolean)
    )
    if not inputs:
        raise SimulationError("the events have no numeric or boolean input to train on")
    return inputs


def train_team_model(
    labelled: pl.DataFrame,
    task: TeamTask,
    label: str,
    start: datetime,
    end: datetime,
    *,
    seed: int = 0,
    positive_outcome: str = "churned",
    flag_rate: float = 0.1,
    classes: tuple[str, ...] | None = None,
    rng: np.random.Generator | None = None,
) -> TeamModel:
    """Train version ``label`` on the events of ``[start, end)`` whose outcome is known.

    ``labelled``: events with an ``outcome`` column (:func:`labelled_events`; null when
    unknown). A window of more than 50,000 such events is sampled with ``rng`` (default: one
    seeded with ``seed``). Multiclass ``classes`` default to the window's outcomes.

    >>> from watchkeeper.simulate.tabular.churn import simulate_churn
    >>> simulation = simulate_churn(days=40, per_day=50, shift_day=20, seed=1)
    >>> labelled = labelled_events(simulation, "binary")
    >>> model = train_team_model(labelled, "binary", "team-v1", START, START + timedelta(days=20))
    >>> served = model.predict(simulation.events.head(4))
    >>> served.columns[-3:], served["model_label"].unique().to_list()
    (['model_label', 'score', 'decision'], ['team-v1'])
    """
    if task not in ("binary", "multiclass", "regression"):
        raise SimulationError(f"task {task!r}: choose binary, multiclass or regression")
    if not 0 < flag_rate < 1:
        raise SimulationError(f"flag_rate must lie between 0 and 1 (got {flag_rate})")
    ts = pl.col("ts")
    window = labelled.filter((ts >= start) & (ts < end) & pl.col("outcome").is_not_null())
    training = _sample(window, rng if rng is not None else np.random.default_rng(seed))
    if training.height < 2:
        raise SimulationError(
            f"{label} has no training days ({start.date()} to {end.date()}): "
            "simulate more days or move its window"
        )
    inputs = team_inputs(labelled)
    features = _matrix(training, list(inputs))
    outcome = training["outcome"]
    if task == "binary":
        positive = (outcome == positive_outcome).to_numpy()
        if positive.all() or not positive.any():
            raise SimulationError(
                "a training window holds a single outcome value: simulate more days"
            )
        pipeline = _classifier(seed).fit(features, positive)
        scores = pipeline.predict_proba(features)[:, 1]
        threshold = float(np.quantile(scores, 1.0 - flag_rate))
        return TeamModel(label, task, inputs, pipeline, threshold=threshold)
    if task == "multiclass":
        names = classes if classes is not None else tuple(sorted(outcome.unique().to_list()))
        pipeline = _classifier(seed).fit(features, outcome.to_numpy())
        return TeamModel(label, task, inputs, pipeline, classes=names)
    target = outcome.to_numpy()
    pipeline = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(features, target)
    return TeamModel(label, task, inputs, pipeline, floor=float(target.min()))


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
    joined = labelled_events(simulation, task, positive_outcome=positive_outcome)
    if joined["outcome"].null_count():
        raise SimulationError("every event needs its outcome to train the team's model")
    windows = {
        FIRST_VERSION: (0, min(training_days, shift_day)),
        SECOND_VERSION: (max(shift_day, switch - training_days), switch),
    }
    day = joined.select(simulated_day())["day"]
    served_by = {FIRST_VERSION: day < switch, SECOND_VERSION: day >= switch}
    classes = tuple(sorted(joined["outcome"].unique().to_list())) if task == "multiclass" else None
    parts = []
    rng = np.random.default_rng(seed)
    for version, (first, end) in windows.items():
        served = simulation.events.filter(served_by[version])
        if served.is_empty():
            continue
        model = train_team_model(
            joined, task, version, START + timedelta(days=first), START + timedelta(days=end),
            seed=seed, positive_outcome=positive_outcome, flag_rate=flag_rate, classes=classes,
            rng=rng,
        )  # fmt: skip
        parts.append(model.predict(served))
    return pl.concat(parts).sort("event_id")


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


def _binary_columns(
    pipeline: Pipeline, features: npt.NDArray[np.float64], threshold: float
) -> list[pl.Series]:
    score = pipeline.predict_proba(features)[:, 1]
    return [
        pl.Series("score", score, dtype=pl.Float64),
        pl.Series("decision", score >= threshold, dtype=pl.Boolean),
    ]


def _multiclass_columns(
    pipeline: Pipeline, features: npt.NDArray[np.float64], classes: list[str]
) -> list[pl.Series]:
    learned = pipeline.predict_proba(features)
    # A class the window never saw gets probability 0; the columns follow ``classes``.
    probabilities = np.zeros((features.shape[0], len(classes)))
    for column, name in enumerate(pipeline.classes_):
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


__all__ = [
    "FIRST_VERSION",
    "SECOND_VERSION",
    "TeamModel",
    "TeamTask",
    "labelled_events",
    "team_inputs",
    "team_predictions",
    "train_team_model",
]
