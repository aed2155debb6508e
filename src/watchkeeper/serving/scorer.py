"""Scoring events: validate, compute online features, route, predict, log, then fold state.

One event goes features (computed on copies of its keys' states) -> router -> model ->
prediction rows appended to the event store's spool (durable before the caller answers) ->
the folded states stored. Concurrent requests overlap: only the features are computed under
the scorer's lock, the prediction rows of requests in flight are appended together
(:class:`~watchkeeper.serving.grouped_append.GroupedAppender`), and the states they fold wait in :class:`~watchkeeper.serving.pending_states.PendingStates` (visible to the events
after them) until their log is durable. A rejected event raises
:class:`~watchkeeper.errors.InvalidInputError` before anything is written. A micro-batch is validated whole first (one bad event rejects the batch, naming
its position); its events are then computed in order, each seeing the ones before it.

Idempotent by event id (:mod:`~watchkeeper.serving.idempotency`): an id already scored with
the same content gets its first answer again, unlogged and unfolded; with different content it
is refused (:class:`~watchkeeper.errors.ConflictingEventError`). The ids' records are read in
the same state store call as the events' states and held with them until the log is durable.

What a prediction is follows the workspace's ``model.task``
(:mod:`~watchkeeper.serving.task_predictions`): a score and a flag (binary), class
probabilities with the decided class and its probability (multiclass), a predicted value
(regression); the log rows follow the workspace's ``predictions`` table for the task
(:func:`served_prediction_schema`). Every serving version must serve that task.

In shadow mode the challenger's silent score is logged as a second prediction row whose
``event_id`` is the event's with
:data:`~watchkeeper.storage.events.prediction_routes.SHADOW_SUFFIX` appended (the table
keeps one row per event id) and whose ``route`` is ``shadow``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pyarrow as pa

from watchkeeper.clock import Clock
from watchkeeper.config import ModelTask
from watchkeeper.config.features import DEFAULT_MAX_LENGTH
from watchkeeper.config.workspace_file import KeysConfig
from watchkeeper.errors import InvalidInputError
from watchkeeper.features.online_engine import OnlineFeatureEngine
from watchkeeper.features.schema_validation import check_length, parse_timestamp, validate_event
from watchkeeper.features.state.store import EntityStateStore
from watchkeeper.rollout.router import Route
from watchkeeper.serving.event_time_range import TimeRange
from watchkeeper.serving.grouped_append import GroupedAppender
from watchkeeper.serving.idempotency import Check, EventIdLedger, FirstAnswer
from watchkeeper.serving.models import ServingModels
from watchkeeper.serving.pending_states import PendingStates
from watchkeeper.serving.rejection_log import MODEL_ERROR, RejectionLog, model_error_detail
from watchkeeper.serving.task_predictions import (
    Prediction,
    Predictor,
    predict_each,
    predictor_for,
)
from watchkeeper.storage.events.prediction_routes import (
    CANARY_ROUTE,
    CHAMPION_ROUTE,
    SHADOW_ROUTE,
    SHADOW_SUFFIX,
)
from watchkeeper.storage.events.store import EventStore
from watchkeeper.storage.events.tables import SERVED_PREDICTION_SCHEMA
from watchkeeper.storage.events.workspace_tables import predictions_table


@dataclass(frozen=True)
class ScoreResult:
    """One scored event: what decided, its prediction, and the silent shadow prediction.

    Per ``task`` (:mod:`~watchkeeper.serving.task_predictions`): ``score`` is the probability
    of a positive (binary), of the decided class (multiclass), or the predicted value
    (regression, answered as ``prediction``); ``decision`` the flag, the class, or None.
    """

    event_id: str
    score: float
    decision: bool | str | None
    model_version: int
    route: str
    latency_ms: float
    shadow_version: int | None = None
    shadow_score: float | None = None
    shadow_decision: bool | str | None = None
    task: ModelTask = "binary"
    probabilities: dict[str, float] | None = None
    shadow_probabilities: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of a score response.

        >>> ScoreResult("e1", 0.7, "sales", 2, "champion", 1.5, task="multiclass",
        ...             probabilities={"billing": 0.3, "sales": 0.7}).to_dict()
        {'event_id': 'e1', 'probabilities': {'billing': 0.3, 'sales': 0.7}, 'decision': 'sales', 'score': 0.7, 'model_version': 2, 'route': 'champion', 'latency_ms': 1.5}
        >>> ScoreResult("e2", 41.5, None, 1, "canary", 0.9, task="regression").to_dict()
        {'event_id': 'e2', 'prediction': 41.5, 'model_version': 1, 'route': 'canary', 'latency_ms': 0.9}
        """
        body: dict[str, Any] = {"event_id": self.event_id}
        body.update(self._answer(self.score, self.decision, self.probabilities))
        body["model_version"] = self.model_version
        body["route"] = self.route
        body["latency_ms"] = self.latency_ms
        if self.shadow_version is not None:
            body["shadow"] = {
                "model_version": self.shadow_version,
                **self._answer(self.shadow_score, self.shadow_decision, self.shadow_probabilities),
            }
        return body

    def _answer(
        self,
        score: float | None,
        decision: bool | str | None,
        probabilities: dict[str, float] | None,
    ) -> dict[str, Any]:
        """The task's fields of one prediction."""
        if self.task == "regression":
            return {"prediction": score}
        if self.task == "multiclass":
            return {"probabilities": probabilities, "decision": decision, "score": score}
        return {"score": score, "decision": decision}


@dataclass(frozen=True)
class _Prepared:
    event: Mapping[str, Any]
    event_id: str
    entity: str | None
    timestamp: datetime
    route: Route
    features: dict[str, Any]
    challenger_features: dict[str, Any] | None


class Scorer:
    """Scores events for one set of serving models, logging every prediction durably."""

    def __init__(
        self,
        models: ServingModels,
        state: EntityStateStore,
        events: EventStore,
        keys: KeysConfig,
        clock: Clock,
        log_predictions: bool = True,
        rejections: RejectionLog | None = None,
        fsync_predictions: bool = False,
        time_range: TimeRange | None = None,
        idempotency: EventIdLedger | None = None,
        task: ModelTask = "binary",
        classes: Sequence[str] | None = None,
    ) -> None:
        """``task`` and ``classes``: the workspace's ``model.task`` and ``label.classes``;
        every serving version must serve them (:func:`predictor_for` raises otherwise)."""
        self.models = models
        self.task: ModelTask = task
        self._champion = predictor_for(models.champion, task, classes)
        self._challenger: Predictor | None = None
        if models.challenger is not None:
            self._challenger = predictor_for(models.challenger, task, classes)
        self._schema = served_prediction_schema(task)
        self.time_range = time_range
        """Where a live event's time may lie (None: anywhere, as a replay may need)."""
        self.idempotency = (
            idempotency if idempotency is not None else EventIdLedger(id_field=keys.event_id)
        )
        """The event ids scored: shared by the scorers of one service (as the held states)."""
        self.rejections = rejections
        self.log_predictions = log_predictions
        self.events = events
        self.keys = keys
        self.clock = clock
        self._pending = state if isinstance(state, PendingStates) else PendingStates(state)
        self._engine = OnlineFeatureEngine(models.champion_spec, self._pending)
        self._challenger_engine: OnlineFeatureEngine | None = None
        spec = models.challenger_spec
        if spec is not None and spec.content_hash != models.champion_spec.content_hash:
            self._challenger_engine = OnlineFeatureEngine(spec, self._pending)
        self._lock = self._pending.lock
        self.errors: dict[str, int] = {}
        """Model failures by deciding route since this scorer was built (the error-rate guard)."""
        self._log = GroupedAppender(
            events,
            "predictions",
            self._schema,
            on_group_done=self._settle_group,
            fsync=fsync_predictions,
        )
        """The prediction log: durable against any process crash (``kill -9``), and with
        ``fsync_predictions`` against a power cut too, at the cost of waiting for the disk."""

    @property
    def spec_inputs(self) -> tuple[str, ...]:
        """The raw input fields the schema declares."""
        return tuple(self.models.champion_spec.spec.inputs)

    def validate(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Raise :class:`InvalidInputError` if ``event`` breaks the schema; change nothing.

        Returns the declared inputs, normalised (:func:`validate_event`). A key the schema
        does not declare is held to :data:`DEFAULT_MAX_LENGTH` characters, and the event time
        to :attr:`time_range`.
        """
        row = validate_event(self.models.champion_spec.spec, event)
        for name in (self.keys.event_id, self.keys.entity):
            if name not in self.models.champion_spec.spec.inputs:
                value = event.get(name)
                if value is None:
                    raise InvalidInputError(name, "required but missing (it is a key)")
                if isinstance(value, str):
                    check_length(name, value, DEFAULT_MAX_LENGTH)
        moment = row.get(self.keys.event_time)
        if self.time_range is not None and isinstance(moment, datetime):
            self.time_range.check(self.keys.event_time, moment)
        return row

    def pinned_route(self, version: int) -> Route:
        """The route that makes ``version`` decide: the champion's, or the canary's.

        Raises :class:`InvalidInputError` (on ``model_version``) for any other version.
        """
        if version == self.models.champion.version:
            return Route(CHAMPION_ROUTE)
        if self.models.challenger is not None and version == self.models.challenger.version:
            return Route(CANARY_ROUTE)
        serving = [self.models.champion.version]
        if self.models.challenger is not None:
            serving.append(self.models.challenger.version)
        raise InvalidInputError(
            "model_version",
            f"unknown or not serving: {version} (serving: {', '.join(map(str, serving))})",
        )

    def score(self, event: Mapping[str, Any], *, model_version: int | None = None) -> ScoreResult:
        """Score one event: features, route, model, durable log, then the state update.

        ``model_version`` pins the deciding model to the champion or the canary's challenger.
        """
        started = time.perf_counter()
        row, pinned = self._checked(event, model_version)
        return self._score_staged([event], started, "score", pinned, validated=[row])[0]

    def _checked(
        self, event: Mapping[str, Any], model_version: int | None
    ) -> tuple[dict[str, Any], Route | None]:
        """Validate one event: its normalised inputs, and the route its ``model_version``
        pins (None: the router's)."""
        row = self.validate(event)
        return row, None if model_version is None else self.pinned_route(model_version)

    def score_many(
        self,
        events: Sequence[Mapping[str, Any]],
        *,
        model_version: int | None = None,
        validated: Sequence[dict[str, Any]] | None = None,
        source: str | None = "score_batch",
    ) -> list[ScoreResult]:
        """Score a micro-batch; any invalid event rejects it whole (its position is named).

        Each event sees the ones before it; the batch's prediction rows are durable before
        any of its events is folded into the per-key state. ``model_version`` pins the
        deciding model of every event, as for :meth:`score`. ``validated``: the events'
        inputs as :meth:`validate` returned them, when the caller checked them already;
        ``source`` names the caller in the rejections of model errors (None: a model error is
        raised without a row, the caller having logged it already).
        """
        started = time.perf_counter()
        if validated is None:
            validated = []
            for position, event in enumerate(events):
                try:
                    validated.append(self.validate(event))
                except InvalidInputError as error:
                    field = f"events[{position}].{error.field}"
                    raise InvalidInputError(field, error.reason) from None
        if not events:
            return []
        pinned = None if model_version is None else self.pinned_route(model_version)
        return self._score_staged(events, started, source, pinned, validated=validated)

    async def score_async(
        self,
        event: Mapping[str, Any],
        *,
        model_version: int | None = None,
        raw_input: str | None = None,
    ) -> ScoreResult:
        """:meth:`score` for a coroutine on the event loop: features, route, model and the
        log append all run on the loop; the append is shared with the requests of the same
        loop turn, or of the same millisecond under load (:meth:`GroupedAppender.submit`).

        The event's state is folded when its log append ends, even if the awaiting request
        was cancelled meanwhile: a logged prediction is always folded, an unlogged one never.
        ``raw_input``: the event's JSON as received, logged as it is (else the event is
        written out as JSON again).
        """
        started = time.perf_counter()
        row, pinned = self._checked(event, model_version)
        results, ticket, rows = self._stage_and_predict(
            [event],
            started,
            "score",
            pinned,
            validated=[row],
            raw_inputs=None if raw_input is None else [raw_input],
        )
        if rows is None:
            self._settle(ticket, durable=True)
            return results[0]
        # the group's append settles the ticket (_settle_group), whether or not this waits
        await self._log.submit(rows, token=ticket)
        return results[0]

    def _settle_group(self, tickets: list[int], durable: bool) -> None:
        """Settle the held states of a group whose append ended, in one state write.
        Until then they stay visible to the events after them, as if written."""
        with self._lock:
            self._pending.settle_many([(ticket, durable) for ticket in tickets])

    def _score_staged(
        self,
        events: Sequence[Mapping[str, Any]],
        started: float,
        source: str | None,
        pinned: Route | None = None,
        validated: Sequence[dict[str, Any]] | None = None,
    ) -> list[ScoreResult]:
        """Features on staged state, predictions, the durable append, and only then the fold."""
        results, ticket, rows = self._stage_and_predict(
            events, started, source, pinned, validated=validated
        )
        durable = False
        try:
            if rows is not None:
                self._log.append(rows)
            durable = True
        finally:
            self._settle(ticket, durable=durable)
        return results

    def _stage_and_predict(
        self,
        events: Sequence[Mapping[str, Any]],
        started: float,
        source: str | None,
        pinned: Route | None = None,
        *,
        validated: Sequence[dict[str, Any]] | None = None,
        raw_inputs: Sequence[str] | None = None,
    ) -> tuple[list[ScoreResult], int, dict[str, list[Any]] | None]:
        """The results, the ticket of the held states and the prediction rows to log (None
        when logging is off). ``validated``: the events' inputs as :meth:`validate` returned
        them; ``raw_inputs``: the events' JSON as received.

        Under the lock: the features, on copies of the states (held, so the next events see
        them). Outside it: the model, so concurrent requests overlap. The caller appends
        the rows and then settles the ticket: the held states are stored if the log is
        durable, else dropped. An event id already folded (a retry) is scored but not
        folded again. If the model fails, the ticket is settled (dropped) here.
        """
        event_ids = [str(event.get(self.keys.event_id)) for event in events]
        now = self.clock.now()
        check = self.idempotency.check(events, event_ids, now)
        with self._lock:
            self.idempotency.forget_expired(self._pending, now)
            staged = self._engine.stage(
                events, event_ids, validated=validated, also=check.lookups, admit=check.admit
            )
            fresh = [position for position, answer in enumerate(check.answers) if answer is None]
            prepared = [
                self._prepare(
                    events[position], event_ids[position], staged.features[position], pinned
                )
                for position in fresh
            ]
            if self._challenger_engine is not None and any(
                item.route.shadow or item.route.decision == CANARY_ROUTE for item in prepared
            ):
                challenger = self._challenger_engine.stage(
                    [events[position] for position in fresh],
                    [event_ids[position] for position in fresh],
                ).features
                prepared = [
                    replace(item, challenger_features=features)
                    if item.challenger_features is not None
                    else item
                    for item, features in zip(prepared, challenger, strict=True)
                ]
            ticket = self._pending.hold({**staged.states, **check.records})
        try:
            scored = self._predict(prepared, started, source)
            check.remember([_first_answer(result) for result in scored])
            raws = None if raw_inputs is None else [raw_inputs[position] for position in fresh]
            rows = self._rows(prepared, scored, raws) if self.log_predictions and scored else None
        except BaseException:
            self._settle(ticket, durable=False)
            raise
        return _answers(check, scored, started, self.task), ticket, rows

    def _settle(self, ticket: int, *, durable: bool) -> None:
        with self._lock:
            self._pending.settle(ticket, durable=durable)

    def _prepare(
        self,
        event: Mapping[str, Any],
        event_id: str,
        features: dict[str, Any],
        pinned: Route | None = None,
    ) -> _Prepared:
        entity = event.get(self.keys.entity)
        entity_key = None if entity is None else str(entity)
        route = pinned if pinned is not None else self.models.router.route(entity_key)
        challenger_features = None
        if self.models.challenger is not None and (route.shadow or route.decision == CANARY_ROUTE):
            challenger_features = features  # the challenger's own, when its spec differs
        return _Prepared(
            event=event,
            event_id=event_id,
            entity=entity_key,
            timestamp=parse_timestamp(self.keys.event_time, event.get(self.keys.event_time)),
            route=route,
            features=features,
            challenger_features=challenger_features,
        )

    def _predict(
        self, prepared: Sequence[_Prepared], started: float, source: str | None = "score"
    ) -> list[ScoreResult]:
        champion, challenger = self.models.champion, self.models.challenger
        results = []
        batched = self._predict_together(prepared)
        for position, item in enumerate(prepared):
            canary = item.route.decision == CANARY_ROUTE and challenger is not None
            decider = challenger if canary and challenger is not None else champion
            predictor = self._challenger if canary and self._challenger else self._champion
            features = item.challenger_features if canary else item.features
            try:
                said = (
                    batched[position]
                    if batched is not None
                    else predictor.predict(features or item.features)
                )
            except Exception as error:
                self.errors[item.route.decision] = self.errors.get(item.route.decision, 0) + 1
                if self.rejections is not None and source is not None:  # all workers' errors
                    self.rejections.record(
                        source=source,
                        reason=MODEL_ERROR,
                        field="model",
                        detail=model_error_detail(
                            decider.version, item.route.decision, f"{type(error).__name__}: {error}"
                        ),
                        event=item.event,
                    )
                raise
            shadow_version = None
            shadow = Prediction(math.nan, None)
            if item.route.shadow and challenger is not None and self._challenger is not None:
                shadow_version = challenger.version
                shadow = self._challenger.predict(item.challenger_features or item.features)
            results.append(
                ScoreResult(
                    event_id=item.event_id,
                    score=said.score,
                    decision=said.decision,
                    model_version=decider.version,
                    route=item.route.decision,
                    latency_ms=(time.perf_counter() - started) * 1000.0,
                    shadow_version=shadow_version,
                    shadow_score=None if shadow_version is None else shadow.score,
                    shadow_decision=shadow.decision,
                    task=self.task,
                    probabilities=said.probabilities,
                    shadow_probabilities=shadow.probabilities,
                )
            )
        return results

    def _predict_together(self, prepared: Sequence[_Prepared]) -> list[Prediction] | None:
        """The deciding predictions of a batch, one model call per deciding version
        (:func:`predict_each`: the answers :meth:`Predictor.predict` gives one by one); None
        for a single event, or when a model fails: the events are then predicted one by one,
        which finds and logs the failing one."""
        if len(prepared) < 2:
            return None
        challenger = self._challenger
        groups: dict[bool, list[int]] = {}
        for position, item in enumerate(prepared):
            canary = item.route.decision == CANARY_ROUTE and challenger is not None
            groups.setdefault(canary, []).append(position)
        answers: list[Prediction | None] = [None] * len(prepared)
        try:
            for canary, positions in groups.items():
                version = self.models.challenger if canary else self.models.champion
                assert version is not None
                predictor = challenger if canary and challenger is not None else self._champion
                rows = [
                    (prepared[at].challenger_features if canary else prepared[at].features)
                    or prepared[at].features
                    for at in positions
                ]
                names = version.manifest.feature_names
                for at, said in zip(positions, predict_each(predictor, names, rows), strict=True):
                    answers[at] = said
        except Exception:  # the one-by-one path finds the failing event and logs it
            return None
        return [said for said in answers if said is not None]

    def _rows(
        self,
        prepared: Sequence[_Prepared],
        results: Sequence[ScoreResult],
        raw_inputs: Sequence[str] | None = None,
    ) -> dict[str, list[Any]]:
        """The prediction log's columns (the workspace's ``predictions`` table, per task)."""
        columns: dict[str, list[Any]] = {name: [] for name in self._schema.names}
        for position, (item, result) in enumerate(zip(prepared, results, strict=True)):
            raw = (
                raw_inputs[position]
                if raw_inputs is not None
                else json.dumps(item.event, sort_keys=True, default=str)
            )
            served = item.challenger_features if result.route == CANARY_ROUTE else item.features
            rows = [
                (
                    result.event_id,
                    result.route,
                    result.model_version,
                    Prediction(result.score, result.decision, result.probabilities),
                    served,
                )
            ]
            if result.shadow_version is not None and result.shadow_score is not None:
                shadow_decision = result.shadow_decision
                rows.append(
                    (
                        result.event_id + SHADOW_SUFFIX,
                        SHADOW_ROUTE,
                        result.shadow_version,
                        Prediction(
                            result.shadow_score,
                            bool(shadow_decision) if self.task == "binary" else shadow_decision,
                            result.shadow_probabilities,
                        ),
                        item.challenger_features,
                    )
                )
            for event_id, route, version, said, features in rows:
                columns["event_id"].append(event_id)
                columns["ts"].append(item.timestamp)
                columns["entity"].append(item.entity)
                columns["model_version"].append(version)
                columns["route"].append(route)
                if self.task == "regression":
                    columns["prediction"].append(said.score)
                else:
                    columns["score"].append(said.score)
                    columns["decision"].append(said.decision)
                if self.task == "multiclass":
                    columns["probabilities"].append(json.dumps(said.probabilities))
                columns["latency_ms"].append(result.latency_ms)
                columns["raw_input"].append(raw)
                columns["features"].append(json.dumps(features or item.features, default=_plain))
        return columns


def _first_answer(result: ScoreResult) -> FirstAnswer:
    return FirstAnswer(
        result.score,
        result.decision,
        result.model_version,
        result.route,
        result.shadow_version,
        result.shadow_score,
        result.shadow_decision,
        result.probabilities,
        result.shadow_probabilities,
    )


def _answers(
    check: Check, scored: Sequence[ScoreResult], started: float, task: ModelTask = "binary"
) -> list[ScoreResult]:
    """Every event's result in order: scored now, or the first answer of its id again."""
    fresh = iter(scored)
    results: list[ScoreResult] = []
    for event_id, answer in zip(check.event_ids, check.answers, strict=True):
        if answer is None:
            results.append(next(fresh))
        elif isinstance(answer, int):  # the same event earlier in this batch
            results.append(results[answer])
        else:
            results.append(
                ScoreResult(
                    event_id=event_id,
                    latency_ms=(time.perf_counter() - started) * 1000.0,
                    task=task,
                    **{name: getattr(answer, name) for name in FirstAnswer.__dataclass_fields__},
                )
            )
    return results


def served_prediction_schema(task: ModelTask) -> pa.Schema:
    """The prediction log's columns a scorer of ``task`` fills: the workspace's
    ``predictions`` table but the team's version label.

    >>> served_prediction_schema("regression").names
    ['event_id', 'ts', 'entity', 'model_version', 'route', 'prediction', 'latency_ms', 'raw_input', 'features']
    """
    if task == "binary":
        return SERVED_PREDICTION_SCHEMA
    schema = predictions_table(task).schema
    return pa.schema([field for field in schema if field.name != "model_label"])


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


__all__ = [
    "ScoreResult",
    "Scorer",
    "served_prediction_schema",
]
