"""A state machine over the rollout actions, taken over HTTP as an operator (or a script) would.

:class:`RolloutMachine` starts, promotes, rolls back and evaluates canaries through the admin
endpoints (with the token, and without it), scores events, moves the clock and restarts the
app, in any order, and after every step holds the service to the rollout's invariants:

* exactly one champion alias, the champion's status is ``champion``, at most one running
  canary (read from the metadata database itself, not through the service);
* an answer says what is true: a 2xx means the action happened (read back from the
  database), a 4xx or 5xx means nothing changed, and ``GET /v1/rollout`` agrees;
* never a 5xx; every scored event is decided by the champion or the running challenger.

:class:`GatedRolloutMachine` adds what goes wrong around the validation gate: a version the
gate refused (status ``rejected``), a tampered artifact, and odd text in a start's reason. A
refused version is started only with an explicit override, and an action on a tampered
version is refused whole.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import orjson
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from tests.conftest import record_gate_pass
from tests.fuzz.harness import InvariantError
from tests.fuzz.strategies import encode, odd_text
from tests.serving.conftest import START, TOKEN, TrainedModels, live_event, register

from watchkeeper.clock import EventTimeClock
from watchkeeper.errors import WatchkeeperError
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.registry.statuses import REJECTED
from watchkeeper.serving.app import create_app
from watchkeeper.storage.artifacts.store import object_key
from watchkeeper.storage.metadata.rollout_store import RUNNING_STATES
from watchkeeper.storage.metadata.tables import model_aliases, model_version_status, rollouts
from watchkeeper.workspace import Workspace

ADMIN = {"Authorization": f"Bearer {TOKEN}"}
ACTIONS = (
    "/v1/rollout/start",
    "/v1/rollout/promote",
    "/v1/rollout/rollback",
    "/v1/rollout/evaluate",
)
VERSIONS = st.sampled_from(
    [
        1,
        2,
        3,
        99,
        0,
        -1,
        "champion",
        "challenger",
        "2",
        " 3",
        True,
        None,
        2.5,
        2**70,
        "\ud800",
        "x" * 300,
        [2],
        {"version": 2},
    ]
)
START_EXTRAS = st.sampled_from(
    [
        {},
        {"reason": "a canary"},
        {"reason": "x" * 5000},
        {"reason": None},
        {"force": True, "reason": "drill"},
        {"override": True},
        {"extra": 1},
    ]
)


@dataclass(frozen=True)
class Snapshot:
    """The rollout's state as the metadata database holds it."""

    aliases: dict[str, int]
    champion_rows: int
    running: tuple[tuple[int, int, str], ...]
    """(rollout id, challenger version, state) of every running rollout."""
    rollouts: int
    statuses: dict[int, str]
    """Each version's latest status."""

    @property
    def challenger(self) -> int | None:
        return self.running[0][1] if self.running else None


class RolloutMachine(RuleBasedStateMachine):
    """See the module. Set :attr:`trained` and :attr:`folder` before running it."""

    trained: ClassVar[TrainedModels]
    folder: ClassVar[Path]

    def __init__(self) -> None:
        super().__init__()
        self.clock = EventTimeClock(START + timedelta(days=8))
        root = Workspace.create(self.folder / f"machine-{uuid.uuid4().hex[:8]}" / "ws")
        self.workspace = Workspace.open(root, clock=self.clock)
        for model, threshold in ((self.trained.good, 0.5),) * 2 + ((self.trained.bad, 0.5),):
            register(self.workspace, self.trained, model, threshold, holdout_flag_rate=0.03)
        self.registry = ModelRegistry.for_workspace(self.workspace)
        self.registry.set_status(1, CHAMPION, reason="first")
        # versions 2 and 3 as a retraining attempt leaves them: accepted by the validation gate
        record_gate_pass(self.workspace.metadata, self.registry.model_name, 2, 3)
        self.engine = sa.create_engine(self.workspace.metadata_url())
        self.client = self._client()
        self.numbers = itertools.count()
        self.tampered: set[int] = set()

    def _client(self) -> TestClient:
        app = create_app(self.workspace, clock=self.clock, admin_token=TOKEN, flush_seconds=None)
        client = TestClient(app)
        client.__enter__()
        return client

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)
        self.engine.dispose()
        self.workspace.close()

    # -- reading the truth ---------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The state read from the database, bypassing the service."""
        with self.engine.connect() as connection:
            aliases = connection.execute(sa.select(model_aliases.c.alias, model_aliases.c.version))
            alias_rows = list(aliases)
            running = connection.execute(
                sa.select(rollouts.c.id, rollouts.c.challenger_version, rollouts.c.state)
                .where(rollouts.c.state.in_(RUNNING_STATES))
                .order_by(rollouts.c.id)
            )
            running_rows = tuple((row.id, row.challenger_version, row.state) for row in running)
            count = connection.execute(sa.select(sa.func.count()).select_from(rollouts)).scalar()
            history = connection.execute(
                sa.select(model_version_status.c.version, model_version_status.c.status).order_by(
                    model_version_status.c.id
                )
            )
            statuses = {row.version: row.status for row in history}
        return Snapshot(
            aliases={row.alias: row.version for row in alias_rows},
            champion_rows=sum(row.alias == CHAMPION for row in alias_rows),
            running=running_rows,
            rollouts=int(count or 0),
            statuses=statuses,
        )

    def post(
        self, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        try:
            return self.client.post(
                path, content=body, headers=ADMIN if headers is None else headers
            )
        except Exception as error:  # the TestClient re-raises what escaped the app
            raise InvariantError(
                path, 500, "server_error", f"{type(error).__name__}: {error}"
            ) from None

    # -- the actions ---------------------------------------------------------------------------

    @rule(version=VERSIONS, extras=START_EXTRAS)
    def start(self, version: Any, extras: dict[str, Any]) -> None:
        before = self.snapshot()
        body = encode({"version": version, **extras})
        answer = self.post("/v1/rollout/start", body, {**ADMIN, "content-type": "application/json"})
        after = self.answered("/v1/rollout/start", answer.status_code, before, repr(version))
        if not 200 <= answer.status_code < 300:
            return
        if before.running:
            raise InvariantError(
                "/v1/rollout/start", answer.status_code, "second_canary_started", ""
            )
        if after.challenger is None or after.aliases.get(CHAMPION) != before.aliases.get(CHAMPION):
            raise InvariantError(
                "/v1/rollout/start", answer.status_code, "answer_lies", repr(after)
            )
        overridden = any(key in extras for key in ("force", "override"))
        if before.statuses.get(after.challenger) == REJECTED and not overridden:
            raise InvariantError(
                "/v1/rollout/start", answer.status_code, "refused_version_started", ""
            )
        if after.challenger in self.tampered:
            raise InvariantError(
                "/v1/rollout/start", answer.status_code, "tampered_version_started", ""
            )

    @rule()
    def promote(self) -> None:
        before = self.snapshot()
        answer = self.post("/v1/rollout/promote")
        after = self.answered("/v1/rollout/promote", answer.status_code, before, "")
        if 200 <= answer.status_code < 300:
            if not before.running:
                raise InvariantError(
                    "/v1/rollout/promote", answer.status_code, "promoted_nothing", ""
                )
            self.expect_ended(answer.status_code, "/v1/rollout/promote", before, after, True)

    @rule()
    def rollback(self) -> None:
        before = self.snapshot()
        answer = self.post("/v1/rollout/rollback")
        after = self.answered("/v1/rollout/rollback", answer.status_code, before, "")
        if 200 <= answer.status_code < 300:
            if not before.running:
                raise InvariantError(
                    "/v1/rollout/rollback", answer.status_code, "rolled_back_nothing", ""
                )
            self.expect_ended(
                answer.status_code, "/v1/rollout/rollback", before, after, promoted=False
            )

    @rule()
    def evaluate(self) -> None:
        before = self.snapshot()
        answer = self.post("/v1/rollout/evaluate")
        status = answer.status_code
        if not 200 <= status < 300:
            self.answered("/v1/rollout/evaluate", status, before, "")
            return
        after = self.snapshot()
        action = answer.json()["action"]
        if action in ("promoted", "rolled_back"):
            self.expect_ended(status, "/v1/rollout/evaluate", before, after, action == "promoted")
        elif action == "idle":
            if before.running or after != before:
                raise InvariantError(
                    "/v1/rollout/evaluate", status, "answer_lies", f"idle: {after}"
                )
        elif [row[:2] for row in after.running] != [row[:2] for row in before.running]:
            raise InvariantError(
                "/v1/rollout/evaluate", status, "answer_lies", f"{action}: {after}"
            )

    @rule(
        token=st.sampled_from([None, "Bearer wrong", "Basic dGVzdA==", "Bearer ", TOKEN]),
        path=st.sampled_from(ACTIONS),
    )
    def without_the_token(self, token: str | None, path: str) -> None:
        before = self.snapshot()
        headers = {} if token is None else {"Authorization": token}
        answer = self.post(path, encode({"version": 2}), headers)
        if answer.status_code not in (401, 403):
            raise InvariantError(
                path, answer.status_code, "unauthenticated_action_answered", repr(token)
            )
        self.answered(path, answer.status_code, before, "no token")

    @rule(count=st.integers(1, 4))
    def score(self, count: int) -> None:
        state = self.snapshot()
        serving = {state.aliases[CHAMPION], *([state.challenger] if state.running else [])}
        for _ in range(count):
            number = next(self.numbers)
            moment = self.clock.now() - timedelta(minutes=30)
            event = live_event(number, event_id=f"machine-{number}", ts=moment.isoformat())
            answer = self.post(
                "/v1/score", orjson.dumps(event), {"content-type": "application/json"}
            )
            if answer.status_code >= 500:
                raise InvariantError(
                    "/v1/score", answer.status_code, "server_error", answer.text[:300]
                )
            if answer.status_code < 300 and answer.json()["model_version"] not in serving:
                raise InvariantError(
                    "/v1/score", answer.status_code, "unknown_model_served", answer.text
                )

    @rule(hours=st.sampled_from([1, 12, 49]))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))

    @rule()
    def restart(self) -> None:
        """A new app over the same workspace: what it serves comes from the database."""
        self.client.__exit__(None, None, None)
        self.client = self._client()

    # -- the checks ----------------------------------------------------------------------------

    def answered(self, path: str, status: int, before: Snapshot, detail: str) -> Snapshot:
        """The state after an answer of ``status``: unchanged unless the answer was a 2xx."""
        after = self.snapshot()
        if status >= 400 and after != before:
            raise InvariantError(
                path, status, "refused_yet_changed", f"{detail}: {before} -> {after}"
            )
        if status >= 500 and not self.tampered:
            raise InvariantError(path, status, "server_error", detail)
        return after

    def expect_ended(
        self, status: int, path: str, before: Snapshot, after: Snapshot, promoted: bool
    ) -> None:
        if not before.running or after.running:
            raise InvariantError(path, status, "answer_lies", f"{before} -> {after}")
        expected = before.challenger if promoted else before.aliases.get(CHAMPION)
        if after.aliases.get(CHAMPION) != expected or "challenger" in after.aliases:
            raise InvariantError(path, status, "answer_lies", f"{before} -> {after}")

    @invariant()
    def one_champion_at_most_one_canary(self) -> None:
        state = self.snapshot()
        if state.champion_rows != 1 or state.statuses.get(state.aliases[CHAMPION]) != CHAMPION:
            raise InvariantError("-", 0, "not_one_champion", repr(state))
        if len(state.running) > 1:
            raise InvariantError("-", 0, "several_canaries", repr(state))
        if state.running and state.aliases.get("challenger") != state.challenger:
            raise InvariantError("-", 0, "challenger_alias_disagrees", repr(state))

    @invariant()
    def the_service_reports_the_truth(self) -> None:
        state = self.snapshot()
        answer = self.client.get("/v1/rollout", headers=ADMIN)
        if answer.status_code != 200:
            raise InvariantError(
                "/v1/rollout", answer.status_code, "rollout_unreadable", answer.text
            )
        shown = answer.json()
        expected = state.running[0][2] if state.running else "idle"
        if shown["state"] != expected or shown["aliases"] != state.aliases:
            raise InvariantError("/v1/rollout", 200, "status_disagrees", f"{shown} vs {state}")


class GatedRolloutMachine(RolloutMachine):
    """:class:`RolloutMachine` plus a validation gate that refuses versions, and tampering."""

    @rule(version=st.sampled_from([2, 3]))
    def gate_refuses(self, version: int) -> None:
        """The validation gate refuses a version that does not serve (as a retrain does)."""
        if version in self.snapshot().aliases.values():
            return
        with contextlib.suppress(WatchkeeperError):  # a transition the registry refuses
            self.registry.set_status(version, REJECTED, reason="the validation gate refused it")
        record_gate_pass(self.workspace.metadata, self.registry.model_name, version, accepted=False)

    @rule(version=st.sampled_from([2, 3]))
    def start_a_doubtful_version(self, version: int) -> None:
        """Start a version that may be refused or tampered, without an override."""
        self.start(version, {})

    @rule(version=st.sampled_from([2, 3]), reason=odd_text)
    def start_with_an_odd_reason(self, version: int, reason: str) -> None:
        """Start with a reason holding lone surrogates, NUL, markup, ..."""
        self.start(version, {"reason": reason})

    @precondition(lambda self: 3 not in self.tampered)
    @rule()
    def tamper(self) -> None:
        """Overwrite version 3's manifest (its only artifact no other version shares)."""
        if 3 in self.snapshot().aliases.values():
            return
        digest = self.registry.record(3).artifact_sha256
        root = Path(self.workspace.resolve(self.workspace.config.storage.artifacts))
        (root / object_key(digest)).write_bytes(b"tampered")
        self.tampered.add(3)


__all__ = ["GatedRolloutMachine", "RolloutMachine", "Snapshot"]
