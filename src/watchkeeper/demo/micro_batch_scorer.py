"""Scoring a replayed stream in micro-batches, as the service scores live events one by one.

For each day of the stream the scorer does what ``POST /v1/score`` does for each event —
features, router, model, the task's answer, the prediction row with its raw input and served
features — but a day at a time, so months replay in seconds:

- **features** come from the batch engine over micro-batches of ``chunk`` days (by default
  the spec's longest window, at least a week: the warm-up then at most doubles the events
  computed), each with a warm-up of the spec's longest window before it (and, for ``time_since_last``, whose
  lookback has no window, each key's last event before that); every event's features use only the events
  before it, and the batch and online engines give identical features (proven by the
  property tests of :mod:`watchkeeper.features.parity`);
- **routing** is the service's :class:`~watchkeeper.rollout.router.Router` (a card always
  meets the same model during a canary);
- **answers** come from the deciding version's predictor, the service's
  (:func:`~watchkeeper.serving.task_predictions.predictor_for`), over the day's rows at once:
  binary a score and its decision at the version's threshold; multiclass the class
  probabilities, the decided class and its probability; regression the predicted number.
  The rows have the columns of the workspace's ``predictions`` table for its task
  (:func:`~watchkeeper.serving.scorer.served_prediction_schema`).

Events whose card goes to the canary get the challenger's own features (its fitted spec) and
score; the others the champion's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from watchkeeper.config import ModelTask
from watchkeeper.features.batch_engine import BatchFeatureEngine
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.registry.registry import LoadedVersion
from watchkeeper.serving.models import ServingModels
from watchkeeper.serving.task_predictions import Predictions, predictor_for
from watchkeeper.storage.events.prediction_routes import CANARY_ROUTE, CHAMPION_ROUTE

RAW_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.6f+00:00"


@dataclass
class _SpecFeatures:
    """One fitted spec's engine and the features of its current micro-batch."""

    engine: BatchFeatureEngine
    chunk_start: datetime | None = None
    features: pl.DataFrame | None = None


SHORTEST_CHUNK = timedelta(days=7)


def chunk_for(spec: FittedFeatureSpec) -> timedelta:
    """The micro-batch length for ``spec``: its longest window, at least a week. Each batch
    recomputes a longest window of warm-up before it, so a batch as long as that window
    computes each event at most twice, where a week's batch under a 30-day window computed
    it five times."""
    return max(SHORTEST_CHUNK, spec.spec.longest_window)


@dataclass
class MicroBatchScorer:
    """Scores the days of ``transactions`` (raw events, sorted by time) for serving models.

    ``origin`` anchors the micro-batches: chunk ``k`` covers ``[origin + k*chunk, ...)``;
    ``chunk`` None sizes them per spec (:func:`chunk_for`).
    ``task`` and ``classes`` are the workspace's ``model.task`` and ``label.classes``.
    """

    transactions: pl.DataFrame
    origin: datetime
    event_time: str = "ts"
    entity: str = "card_id"
    event_id: str = "event_id"
    chunk: timedelta | None = None
    task: ModelTask = "binary"
    classes: tuple[str, ...] = ()
    _specs: dict[str, _SpecFeatures] = field(default_factory=dict)
    _routes: dict[str, dict[str, str]] = field(default_factory=dict)

    def features(self, spec: FittedFeatureSpec, start: datetime, end: datetime) -> pl.DataFrame:
        """``spec``'s features (with the event id) of the events in ``[start, end)``; the day
        must lie inside one micro-batch."""
        state = self._specs.get(spec.content_hash)
        if state is None:
            state = self._specs[spec.content_hash] = _SpecFeatures(BatchFeatureEngine(spec))
        chunk = self.chunk or chunk_for(spec)
        index = (start - self.origin) // chunk
        chunk_start = self.origin + index * chunk
        if state.chunk_start != chunk_start:
            state.features = self._compute(state.engine, spec, chunk_start, chunk)
            state.chunk_start = chunk_start
        assert state.features is not None
        ts = pl.col(self.event_time)
        return state.features.filter((ts >= start) & (ts < end))

    def _compute(
        self,
        engine: BatchFeatureEngine,
        spec: FittedFeatureSpec,
        chunk_start: datetime,
        chunk: timedelta,
    ) -> pl.DataFrame:
        ts = pl.col(self.event_time)
        warm = chunk_start - spec.spec.longest_window
        frame = self.transactions.filter((ts >= warm) & (ts < chunk_start + chunk))
        frame = pl.concat([self._last_before(spec, warm), frame])
        computed = engine.compute(frame).features
        times = frame.select(self.event_id, self.event_time)
        joined = computed.join(times, on=self.event_id, how="left", maintain_order="left")
        return joined.filter(pl.col(self.event_time) >= chunk_start)

    def _last_before(self, spec: FittedFeatureSpec, warm: datetime) -> pl.DataFrame:
        """Each key's last event before ``warm``, for the keys of ``time_since_last``
        features: their lookback has no window, so the warm-up must reach the previous event
        however old (as the online state, which keeps each key's newest time). Older than
        ``warm`` by construction, these events lie outside every window of the chunk's events
        and change no other feature."""
        keys = sorted(
            {
                feature.by
                for feature in spec.spec.windowed_features
                if feature.op == "time_since_last" and feature.by is not None
            }
        )
        before = self.transactions.filter(pl.col(self.event_time) < warm)
        if not keys or before.height == 0:
            return before.clear()
        last = pl.concat(
            [
                before.group_by(key, maintain_order=True).last().select(before.columns)
                for key in keys
            ]
        )
        return last.unique(self.event_id, keep="first", maintain_order=True).sort(
            self.event_time, maintain_order=True
        )

    def routes(self, models: ServingModels, entities: pl.Series) -> pl.Series:
        """The deciding route of each event (``champion`` or ``canary``) by its card."""
        if models.challenger is None or models.rollout is None:
            return pl.Series("route", [CHAMPION_ROUTE] * entities.len(), dtype=pl.String)
        known = self._routes.setdefault(str(models.router.rollout_id), {})
        for key in entities.unique().to_list():
            if key not in known:
                known[key] = models.router.route(key).decision
        return entities.replace_strict(known, return_dtype=pl.String).alias("route")

    def score_day(self, models: ServingModels, start: datetime, end: datetime) -> pl.DataFrame:
        """The prediction rows of the events in ``[start, end)``, in the task's
        ``predictions`` columns (``latency_ms`` left empty: nothing was timed per event)."""
        day = self.transactions.filter(
            (pl.col(self.event_time) >= start) & (pl.col(self.event_time) < end)
        )
        route = self.routes(models, day[self.entity])
        parts = [
            self._scored(day, route == CHAMPION_ROUTE, models.champion, models.champion_spec,
                         CHAMPION_ROUTE, start, end)
        ]  # fmt: skip
        if models.challenger is not None and models.challenger_spec is not None:
            parts.append(
                self._scored(day, route == CANARY_ROUTE, models.challenger,
                             models.challenger_spec, CANARY_ROUTE, start, end)
            )  # fmt: skip
        return pl.concat(parts).sort(self.event_time, maintain_order=True)

    def _scored(
        self,
        day: pl.DataFrame,
        mask: pl.Series,
        version: LoadedVersion,
        spec: FittedFeatureSpec,
        route: str,
        start: datetime,
        end: datetime,
    ) -> pl.DataFrame:
        events = day.filter(mask)
        names = list(version.manifest.feature_names)
        features = events.select(self.event_id).join(
            self.features(spec, start, end), on=self.event_id, how="left", maintain_order="left"
        )
        predictor = predictor_for(version, self.task, self.classes)
        said = (
            predictor.predict_many(features.select(names))
            if events.height
            else Predictions.empty(self.task, self.classes)
        )
        raw_columns = list(events.columns)
        return pl.DataFrame(
            {
                "event_id": events[self.event_id],
                "ts": events[self.event_time],
                "entity": events[self.entity],
                "model_version": pl.Series([version.version] * events.height, dtype=pl.Int64),
                "route": pl.Series([route] * events.height, dtype=pl.String),
                **self._answers(said),
                "latency_ms": pl.Series([None] * events.height, dtype=pl.Float64),
                "raw_input": events.select(
                    pl.struct(
                        [
                            pl.col(self.event_time).dt.to_string(RAW_TIME_FORMAT)
                            if column == self.event_time
                            else pl.col(column)
                            for column in raw_columns
                        ]
                    ).struct.json_encode()
                ).to_series(),
                "features": features.select(pl.struct(names).struct.json_encode()).to_series(),
            }
        )

    def _answers(self, said: Predictions) -> dict[str, pl.Series]:
        """The task's prediction columns, in the ``predictions`` table's order."""
        if self.task == "regression":
            return {"prediction": pl.Series(said.scores, dtype=pl.Float64)}
        if self.task == "binary":
            return {"score": pl.Series(said.scores), "decision": pl.Series(said.decisions)}
        assert said.probabilities is not None and said.decisions is not None
        classes = list(said.classes)
        probabilities = pl.DataFrame(said.probabilities, schema=classes, orient="row")
        return {
            "probabilities": probabilities.select(pl.struct(classes).struct.json_encode())
            .to_series()
            .alias("probabilities"),
            "score": pl.Series(said.scores, dtype=pl.Float64),
            "decision": pl.Series(said.decisions.tolist(), dtype=pl.String),
        }


__all__ = ["MicroBatchScorer"]
