"""What the fuzzers send: one :class:`Target` per endpoint and kind of hostile input.

Each target pairs a strategy with a run that posts what it drew through a
:class:`~tests.fuzz.harness.Harness` and settles the store, so the pytest suite
(``tests/fuzz/test_write_endpoints.py``) and the long run (``benchmarks/fuzz_long.py``) fuzz
exactly the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from hypothesis import strategies as st
from tests.fuzz.harness import Harness, InvariantError
from tests.fuzz.strategies import (
    EVENT_FIELDS,
    OUTCOME_FIELDS,
    Change,
    Raw,
    changes,
    content_types,
    deep_nesting,
    encode,
    hostile_values,
    json_values,
    long_text,
    odd_numbers,
    odd_text,
    odd_timestamps,
)

FAMILIES: dict[str, st.SearchStrategy[Any]] = {
    "numbers": odd_numbers,
    "structures": json_values.filter(lambda value: isinstance(value, list | dict)) | deep_nesting,
    "text": odd_text | long_text,
    "timestamps": odd_timestamps,
    "anything": hostile_values,
}
"""Families of hostile values, so a failing family points at one class of bug."""


@dataclass(frozen=True)
class Target:
    """A named fuzz target: what to draw and how to send it."""

    name: str
    strategy: st.SearchStrategy[Any]
    run: Callable[[Harness, Any], None]

    @property
    def found(self) -> tuple[Any, ...]:
        """Inputs of this target that once broke an invariant (or guard a class that holds),
        replayed as explicit examples by the test suite."""
        return tuple(drawn for name, drawn in FOUND if name == self.name)


def _field_changes(fields: tuple[str, ...], family: str) -> st.SearchStrategy[Change]:
    name = st.sampled_from(fields)
    return st.builds(Change, name, FAMILIES[family])


def _score(harness: Harness, change: Change) -> None:
    with harness.case():
        event = change.apply(harness.valid_event())
        harness.post("/v1/score", encode(event), sent=[event])
        harness.settle()


def _batch(harness: Harness, drawn: tuple[Change, int, int]) -> None:
    change, size, position = drawn
    with harness.case():
        events = [harness.valid_event() for _ in range(size)]
        events[position % size] = change.apply(events[position % size])
        harness.post("/v1/score/batch", encode({"events": events}), sent=events)
        harness.settle()


def _outcome(harness: Harness, drawn: tuple[Change, bool]) -> None:
    change, listed = drawn
    with harness.case():
        event = harness.scored_event()
        outcome = change.apply(
            {"event_id": event["event_id"], "outcome": "chargeback", "outcome_ts": event["ts"]}
        )
        body = {"outcomes": [outcome]} if listed else outcome
        harness.post("/v1/outcomes", encode(body), sent=[outcome])
        harness.settle()


def _whole_body(harness: Harness, drawn: tuple[str, Any]) -> None:
    path, body = drawn
    with harness.case():
        content = body if isinstance(body, bytes) else encode(body)
        harness.post(path, content)
        harness.settle()


def _batch_wrapper(harness: Harness, change: Change) -> None:
    with harness.case():
        body = change.apply({"events": [harness.valid_event()]})
        events = body.get("events")
        harness.post(
            "/v1/score/batch", encode(body), sent=events if isinstance(events, list) else ()
        )
        harness.settle()


def _valid_body(harness: Harness, path: str) -> tuple[Any, list[Any]]:
    """A valid body for ``path``, and the events (or outcomes) it carries."""
    if path == "/v1/outcomes":
        event = harness.scored_event()
        outcome = {
            "event_id": event["event_id"],
            "outcome": "chargeback",
            "outcome_ts": event["ts"],
        }
        return {"outcomes": [outcome]}, [outcome]
    event = harness.valid_event()
    return ({"events": [event]} if path == "/v1/score/batch" else event), [event]


def _content_type(harness: Harness, drawn: tuple[str, str | None]) -> None:
    path, content_type = drawn
    with harness.case():
        body, sent = _valid_body(harness, path)
        harness.post(path, orjson.dumps(body), sent=sent, content_type=content_type)
        harness.settle()


def _model_version(harness: Harness, drawn: tuple[str, str]) -> None:
    path, version = drawn
    with harness.case():
        body, sent = _valid_body(harness, path)
        harness.post(path, orjson.dumps(body), sent=sent, model_version=version)
        harness.settle()


def _duplicate_id(harness: Harness, change: Change) -> None:
    """Same id twice: the same content gets the first answer again; other content, 409."""
    with harness.case():
        first = harness.valid_event()
        again = change.apply(first)
        again["event_id"] = first["event_id"]
        answer = harness.post("/v1/score", orjson.dumps(first), sent=[first])
        repeated = harness.post("/v1/score", encode(again), sent=[again])
        if repeated.status < 400:
            if encode(again) != encode(first):
                raise InvariantError(
                    "/v1/score", repeated.status, "duplicate_id_rescored", repr(change)
                )
            if _without_latency(repeated.body) != _without_latency(answer.body):
                raise InvariantError(
                    "/v1/score", repeated.status, "duplicate_id_new_answer", repr(change)
                )
        harness.settle()


def _without_latency(body: object) -> object:
    """An answer without its ``latency_ms``: a repeated request takes its own time."""
    if isinstance(body, dict):
        return {key: value for key, value in body.items() if key != "latency_ms"}
    return body


WRITE_PATHS = st.sampled_from(["/v1/score", "/v1/score/batch", "/v1/outcomes"])
MODEL_VERSIONS = st.sampled_from(
    [
        "1",
        "2",
        "3",
        "99",
        " 1",
        "01",
        "latest",
        "-1",
        "1e3",
        "",
        "99999999999999999999",
        "%ED%A0%80",
    ]
)

TARGETS: dict[str, Target] = {
    **{
        f"score.{family}": Target(f"score.{family}", _field_changes(EVENT_FIELDS, family), _score)
        for family in FAMILIES
    },
    "score.unknown_field": Target("score.unknown_field", changes(("extra",)), _score),
    **{
        f"batch.{family}": Target(
            f"batch.{family}",
            st.tuples(_field_changes(EVENT_FIELDS, family), st.integers(1, 3), st.integers(0, 2)),
            _batch,
        )
        for family in FAMILIES
    },
    "batch.wrapper": Target(
        "batch.wrapper", changes(("events", "model_version", "extra")), _batch_wrapper
    ),
    **{
        f"outcomes.{family}": Target(
            f"outcomes.{family}",
            st.tuples(_field_changes(OUTCOME_FIELDS, family), st.booleans()),
            _outcome,
        )
        for family in FAMILIES
    },
    "body": Target(
        "body", st.tuples(WRITE_PATHS, hostile_values | st.binary(max_size=200)), _whole_body
    ),
    "content_type": Target("content_type", st.tuples(WRITE_PATHS, content_types), _content_type),
    "model_version": Target(
        "model_version",
        st.tuples(st.sampled_from(["/v1/score", "/v1/score/batch"]), MODEL_VERSIONS),
        _model_version,
    ),
    "duplicate_id": Target("duplicate_id", _field_changes(EVENT_FIELDS, "anything"), _duplicate_id),
}
"""Every fuzz target, by name."""

SURROGATE = "\ud800"
FOUND: tuple[tuple[str, Any], ...] = (
    # lone surrogates: acknowledged, then the flush fails (or the answer is a 5xx)
    ("score.text", Change("card_id", SURROGATE)),
    ("score.text", Change("event_id", SURROGATE)),
    ("body", ("/v1/score", {"event_id": SURROGATE})),  # refused: its rejection row poisons
    ("batch.text", (Change("card_id", SURROGATE), 1, 0)),
    ("outcomes.text", (Change("outcome", SURROGATE), True)),
    # times centuries away
    ("score.timestamps", Change("ts", "0001-01-01T00:00:00Z")),
    ("score.timestamps", Change("ts", "1900-01-01T00:00:00+00:00")),
    ("score.timestamps", Change("ts", "2999-12-31T23:59:59Z")),
    ("score.timestamps", Change("ts", "9999-12-31T23:59:59.999999+00:00")),
    ("batch.timestamps", (Change("ts", "0001-01-01T00:00:00Z"), 1, 0)),
    ("outcomes.timestamps", (Change("outcome_ts", "0001-01-01T00:00:00Z"), True)),
    # a huge field kept, a huge value echoed
    ("score.text", Change("event_id", "x" * 100_000)),
    ("score.text", Change("ts", "x" * 100_000)),
    ("score.unknown_field", Change("extra", "é" * 20_000)),  # kept in the raw input
    # content types, the batch's model_version, duplicate ids
    ("content_type", ("/v1/score", "text/plain")),
    ("content_type", ("/v1/score/batch", "application/x-www-form-urlencoded")),
    ("content_type", ("/v1/outcomes", "text/plain")),
    ("model_version", ("/v1/score/batch", "2")),
    ("duplicate_id", Change("amount", 99.0)),
    # an integer past a float's range, as an amount: a 5xx
    ("score.numbers", Change("amount", Raw("1" * 400))),
    ("batch.numbers", (Change("amount", Raw("1" * 400)), 1, 0)),
    ("outcomes.numbers", (Change("amount", Raw("1" * 400)), True)),
    # classes that hold: kept so that they keep holding
    ("score.numbers", Change("amount", 2**70)),
    ("score.numbers", Change("amount", 5e-324)),
    ("score.numbers", Change("amount", -0.0)),
    ("score.numbers", Change("amount", Raw("NaN"))),
    ("score.numbers", Change("amount", Raw("1e999"))),
    ("score.structures", Change("amount", Raw("[" * 50_000 + "]" * 50_000))),
    ("score.text", Change("card_id", "\x00")),
    ("score.timestamps", Change("ts", "2026-06-09T00:00:00")),
    ("model_version", ("/v1/score", "2")),
    ("body", ("/v1/score", b"\xff\xfe{")),
    ("body", ("/v1/outcomes", Raw('{"outcomes":' * 5_000))),
)
"""Inputs found by fuzzing (target, drawn value), and guards of the classes that hold."""


__all__ = ["FAMILIES", "FOUND", "TARGETS", "Target"]
