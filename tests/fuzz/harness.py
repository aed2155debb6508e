"""A served workspace under fuzzing: every answer is checked, then the event store.

:class:`Harness` posts raw bodies to the write endpoints of a real app (a TestClient over
:func:`~watchkeeper.serving.app.create_app`, as ``tests/serving/conftest.py`` builds it) and
holds the service to its invariants:

* never a 5xx (nor an exception escaping the app);
* an error answer quotes at most a short prefix of the input (:data:`MAX_ERROR_BYTES`);
* a body declared in a non-JSON content type is refused with 415;
* an accepted event's time lies in a plausible range around the service clock, and none of
  its string fields is huge (:data:`MAX_FIELD_CHARS`);
* ``model_version`` pins every result of an accepted request;
* after ``workspace.events.flush()``: the spool is empty, every acknowledged prediction and
  outcome is in Delta, and every refusal (4xx) is one row of ``rejections``.

A broken invariant raises :class:`InvariantError`, keyed by endpoint, status and kind, so a long
run can count distinct failures. After a violation, the next :meth:`Harness.case` starts on a
fresh workspace: a poisoned spool must not fail the examples behind it.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from tests.fuzz.strategies import JSON_CONTENT_TYPES
from tests.serving.conftest import Service, TrainedModels, open_service

from watchkeeper.errors import InvalidInputError
from watchkeeper.features.schema_validation import parse_timestamp
from watchkeeper.serving.refusals import LOGGED_ENDPOINTS
from watchkeeper.serving.rejection_log import MODEL_ERROR

MAX_ERROR_BYTES = 2_000
"""The longest error answer allowed, whatever the size of the offending value."""
MAX_FIELD_CHARS = 10_000
"""The longest string field an accepted request may carry: past any sensible field limit."""
PLAUSIBLE_PAST = timedelta(days=5 * 365)
PLAUSIBLE_FUTURE = timedelta(days=1)
"""Bounds wider than any sensible configuration of the event-time range the service accepts."""


class InvariantError(AssertionError):
    """A broken invariant: which endpoint, which status, what kind, and the details."""

    def __init__(self, endpoint: str, status: int, kind: str, detail: str) -> None:
        super().__init__(f"{kind} on {endpoint} ({status}): {detail[:600]}")
        self.endpoint = endpoint
        self.status = status
        self.kind = kind

    @property
    def key(self) -> tuple[str, int, str]:
        """What makes two failures the same: endpoint, status and kind."""
        return (self.endpoint, self.status, self.kind)


@dataclass
class _Ledger:
    """What the service acknowledged since the last check, and refused since the workspace
    was opened."""

    predictions: set[str] = field(default_factory=set)
    outcomes: set[str] = field(default_factory=set)
    refusals: int = 0


@dataclass(frozen=True)
class Answer:
    """An answer: its status and its JSON body (None when it is not JSON)."""

    status: int
    body: Any
    text: str


class Harness:
    """See the module. ``folder`` receives one workspace per (re)start."""

    def __init__(self, trained: TrainedModels, folder: Path) -> None:
        self.trained = trained
        self.folder = folder
        self._stack: contextlib.ExitStack | None = None
        self._service: Service | None = None
        self._ledger = _Ledger()
        self._numbers = itertools.count()
        self._starts = itertools.count()
        self._last: tuple[str, int] = ("-", 0)

    @property
    def service(self) -> Service:
        """The service of the current workspace (opened on first use)."""
        if self._service is None:
            self._stack = contextlib.ExitStack()
            where = self.folder / f"run-{next(self._starts)}"
            where.mkdir(parents=True)
            self._service = self._stack.enter_context(open_service(where, self.trained))
            self._ledger = _Ledger()
        return self._service

    def close(self) -> None:
        """Stop the app and close the workspace."""
        if self._stack is not None:
            stack, self._stack, self._service = self._stack, None, None
            with contextlib.suppress(Exception):  # a poisoned store may fail to close
                stack.close()

    @contextlib.contextmanager
    def case(self) -> Iterator[Harness]:
        """One example: on any failure, the next case starts on a fresh workspace."""
        try:
            yield self
        except BaseException:
            self.close()
            raise

    def valid_event(self) -> dict[str, Any]:
        """A valid event with a fresh id, timed a little before the service clock."""
        number = next(self._numbers)
        moment = self.service.clock.now() - timedelta(minutes=30) + timedelta(milliseconds=number)
        return self.service.event(number, event_id=f"fuzz-{number}", ts=moment.isoformat())

    def scored_event(self) -> dict[str, Any]:
        """A valid event, scored (so that an outcome may name it)."""
        event = self.valid_event()
        self.post("/v1/score", orjson.dumps(event), sent=[event])
        return event

    def post(
        self,
        path: str,
        body: bytes,
        *,
        sent: Sequence[Any] = (),
        content_type: str | None = "application/json",
        model_version: str | None = None,
    ) -> Answer:
        """POST ``body``; ``sent`` holds the events (or outcomes) it carries, as far as known."""
        headers = {} if content_type is None else {"content-type": content_type}
        # quoted here, "%" kept: "%ED%A0%80" is sent as it is (not UTF-8 once decoded)
        url = (
            path
            if model_version is None
            else f"{path}?model_version={quote(model_version, safe='%')}"
        )
        self._last = (path, 0)
        try:
            response = self.service.client.post(url, content=body, headers=headers)
        except Exception as error:  # the TestClient re-raises what escaped the app
            raise InvariantError(
                path, 500, "server_error", f"{type(error).__name__}: {error}"
            ) from None
        status = response.status_code
        self._last = (path, status)
        try:
            content = response.json()
        except ValueError:
            content = None
        answer = Answer(status, content, response.text)
        self._check_answer(path, answer, sent, content_type, model_version)
        return answer

    def _check_answer(
        self,
        path: str,
        answer: Answer,
        sent: Sequence[Any],
        content_type: str | None,
        model_version: str | None,
    ) -> None:
        status = answer.status
        if status >= 500:
            raise InvariantError(path, status, "server_error", answer.text)
        if status >= 400:
            if len(answer.text.encode("utf-8", "replace")) > MAX_ERROR_BYTES:
                raise InvariantError(path, status, "long_error", answer.text[:200])
            if path in LOGGED_ENDPOINTS:
                self._ledger.refusals += 1
        if content_type not in JSON_CONTENT_TYPES and status != 415:
            raise InvariantError(path, status, "content_type_not_refused", str(content_type))
        if not 200 <= status < 300:
            return
        self._check_sizes(path, status, sent)
        if path == "/v1/outcomes":
            self._ledger.outcomes.update(
                item["event_id"]
                for item in sent
                if isinstance(item, dict) and isinstance(item.get("event_id"), str)
            )
            self._check_times(path, status, sent, "outcome_ts")
            return
        results = answer.body["results"] if path == "/v1/score/batch" else [answer.body]
        self._ledger.predictions.update(result["event_id"] for result in results)
        if model_version is not None:
            versions = {result["model_version"] for result in results}
            pinned = model_version.strip()
            if not pinned.isdigit() or versions != {int(pinned)}:
                raise InvariantError(path, status, "model_version_ignored", f"{model_version!r}")
        self._check_times(path, status, sent, "ts")

    def _check_times(self, path: str, status: int, items: Sequence[Any], name: str) -> None:
        now = self.service.clock.now()
        for item in items:
            if not isinstance(item, dict):
                continue
            try:
                moment: datetime = parse_timestamp(name, item.get(name))
            except (InvalidInputError, TypeError, ValueError):
                continue
            if not now - PLAUSIBLE_PAST <= moment <= now + PLAUSIBLE_FUTURE:
                raise InvariantError(
                    path, status, "implausible_time_accepted", repr(item[name])[:80]
                )

    def _check_sizes(self, path: str, status: int, items: Sequence[Any]) -> None:
        for item in items:
            if not isinstance(item, dict):
                continue
            for name, value in item.items():
                if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
                    raise InvariantError(path, status, "oversized_field_accepted", f"{name[:40]!r}")

    def settle(self) -> None:
        """Flush, then check the spool drained and the store holds what was answered."""
        path, status = self._last
        events = self.service.workspace.events
        try:
            events.flush()
        except Exception as error:
            raise InvariantError(
                path, status, "flush_failed", f"{type(error).__name__}: {error}"
            ) from None
        backlog = events.backlog()
        if backlog.entries:
            raise InvariantError(path, status, "spool_not_drained", f"{backlog.rows} rows wait")
        for table, acknowledged in (
            ("predictions", self._ledger.predictions),
            ("outcomes", self._ledger.outcomes),
        ):
            if not acknowledged:  # read only when something new must be there
                continue
            stored = set(events.read(table, columns=["event_id"])["event_id"].to_list())
            lost = acknowledged - stored
            if lost:
                raise InvariantError(
                    path, status, "acknowledged_row_lost", f"{table}: {sorted(lost)[:3]!r}"
                )
            acknowledged.clear()  # found once, a row stays: the tables are append-only
        rejections = events.read("rejections", columns=["reason", "source"])
        logged = rejections.filter(
            (rejections["reason"] != MODEL_ERROR)
            & rejections["source"].is_in(list(LOGGED_ENDPOINTS.values()))
        ).height
        if logged != self._ledger.refusals:
            raise InvariantError(
                path,
                status,
                "refusal_not_logged",
                f"{self._ledger.refusals} refusals answered, {logged} rows in rejections",
            )


__all__ = ["MAX_ERROR_BYTES", "Answer", "Harness", "InvariantError"]
