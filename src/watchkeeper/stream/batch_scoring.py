"""A batch of stream entries scored as ``POST /v1/score/batch`` scores its events.

The same service (:class:`~watchkeeper.serving.service.ScoringService`: models, router with
its sticky canary split, idempotency ledger, held states, rejection log) and the same checks
(:class:`~watchkeeper.serving.event_check.UndeclaredFieldCheck`, then
:meth:`Scorer.validate <watchkeeper.serving.scorer.Scorer.validate>`), then one
:meth:`Scorer.score_many <watchkeeper.serving.scorer.Scorer.score_many>` over the events that
passed. Unlike the endpoint, one bad entry does not refuse its batch: it is refused alone,
with the reason code the endpoint would log (:func:`refusal_for`, :func:`rejection_reason`).
An event refused only when scored (a known id with other content, a model error) makes the
batch be scored again one event at a time, so the others still are. A storage error is
raised: nothing is acknowledged, and the batch comes back.

>>> refused = refusal_of(3, InvalidInputError("amount", "below the minimum 0 (got -5.0)"))
>>> refused.code, refused.field
('out_of_range', 'amount')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from watchkeeper.errors import InvalidInputError, StorageError, WatchkeeperError
from watchkeeper.intake.reason_codes import rejection_reason
from watchkeeper.rollout.model_errors import MODEL_ERROR
from watchkeeper.serving.event_check import UndeclaredFieldCheck
from watchkeeper.serving.refusals import refusal_for
from watchkeeper.serving.scorer import Scorer, ScoreResult
from watchkeeper.serving.service import ScoringService

SOURCE = "stream"
"""The ``source`` of the stream's rows in the ``rejections`` table."""


@dataclass(frozen=True)
class Refused:
    """An entry not scored: its position in the batch, the field at fault, the message, the
    reason code, and whether the ``rejections`` row was written already (a model error)."""

    position: int
    field: str
    message: str
    code: str
    logged: bool = False


@dataclass
class ScoredBatch:
    """What became of a batch: results and refusals by position."""

    results: list[tuple[int, ScoreResult]] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def refusal_of(position: int, error: WatchkeeperError) -> Refused:
    """The refusal of the entry at ``position`` for ``error``, as the HTTP path words it."""
    refusal = refusal_for(error, "/v1/score")
    code = rejection_reason(refusal.field, refusal.reason, refusal.status)
    return Refused(position, refusal.field, refusal.reason, code)


def decode_event(payload: bytes | None) -> dict[str, Any]:
    """The event of an entry's payload; :class:`InvalidInputError` if it holds none.

    >>> decode_event(b'{"amount": 3}')
    {'amount': 3}
    >>> decode_event(b'[1]')
    Traceback (most recent call last):
    ...
    watchkeeper.errors.InvalidInputError: event: expected a JSON object (got list)
    """
    if payload is None:
        raise InvalidInputError("event", "required: the entry has no 'event' field")
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvalidInputError("event", f"malformed JSON ({error})") from None
    if not isinstance(event, dict):
        raise InvalidInputError("event", f"expected a JSON object (got {type(event).__name__})")
    return event


class BatchScoring:
    """Scores batches of entry payloads with ``service``'s current scorer."""

    def __init__(self, service: ScoringService) -> None:
        self.service = service
        self.check = UndeclaredFieldCheck(
            lambda: service.scorer().spec_inputs,
            service.config.serving.unknown_fields,
            service.metrics.unknown_fields,
        )

    def score(self, payloads: Sequence[bytes | None]) -> ScoredBatch:
        """Check every payload, score the good ones in order, refuse the others."""
        scorer = self.service.scorer()
        batch = ScoredBatch()
        events: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        positions: list[int] = []
        for position, payload in enumerate(payloads):
            try:
                event = decode_event(payload)
                self.check(event)
                rows.append(scorer.validate(event))
            except StorageError:
                raise
            except WatchkeeperError as error:
                batch.refused.append(refusal_of(position, error))
                continue
            events.append(event)
            positions.append(position)
        errors = dict(scorer.errors)
        try:
            results = scorer.score_many(events, validated=rows, source=SOURCE)
            batch.results.extend(zip(positions, results, strict=True))
        except StorageError:
            raise
        except WatchkeeperError:
            self._one_by_one(scorer, events, rows, positions, batch, logged=False)
        except Exception:  # a model error, logged for the first event that failed
            scorer.errors.clear()
            scorer.errors.update(errors)  # counted again below, once
            self._one_by_one(scorer, events, rows, positions, batch, logged=True)
        for _, result in batch.results:
            self.service.metrics.observe(result)
        batch.results.sort(key=lambda item: item[0])
        return batch

    def _one_by_one(
        self,
        scorer: Scorer,
        events: list[dict[str, Any]],
        rows: list[dict[str, Any]],
        positions: list[int],
        batch: ScoredBatch,
        *,
        logged: bool,
    ) -> None:
        """Score each event alone. ``logged``: the batch failed on a model error, which the
        scorer logged for its first failing event: that event (the first to fail here too,
        as nothing was folded) is not logged again."""
        for event, row, position in zip(events, rows, positions, strict=True):
            try:
                source = None if logged else SOURCE
                result = scorer.score_many([event], validated=[row], source=source)[0]
            except StorageError:
                raise
            except WatchkeeperError as error:
                batch.refused.append(refusal_of(position, error))
            except Exception as error:  # the scorer logged the model error in `rejections`
                logged = False
                message = f"{type(error).__name__}: {error}"
                batch.refused.append(Refused(position, "model", message, MODEL_ERROR, True))
            else:
                batch.results.append((position, result))


__all__ = ["SOURCE", "BatchScoring", "Refused", "ScoredBatch", "decode_event", "refusal_of"]
