"""The simulated team of the external replay: its service, its model versions, its inbox.

The team serves its own churn model outside watchkeeper. Its service scores each day's
account snapshots with the version live and logs them, with the outcomes it received that
day; its retraining pipeline reads an *inbox* of watchkeeper's retraining requests and, for
each one, trains a new version on the window the request names — only on the outcomes known
when the request came — and puts it live from then on, under the next label (``team-v2``,
``team-v3``...).

The inbox is reached the way a real team would be: the workspace's
``retraining.request.command`` runs :data:`RECEIVER` (a few lines of Python, no watchkeeper
import), which appends each request's JSON, one line each, to the inbox file.

>>> import tempfile
>>> from pathlib import Path
>>> inbox = RequestInbox(Path(tempfile.mkdtemp()) / "team")
>>> inbox.install()[-1].endswith("requests.jsonl")
True
>>> inbox.new_requests()
[]
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from watchkeeper.clock import utc_from_iso
from watchkeeper.errors import SimulationError
from watchkeeper.simulate.tabular.common import TabularSimulation
from watchkeeper.simulate.tabular.team_model import (
    TeamModel,
    TeamTask,
    labelled_events,
    train_team_model,
)

RECEIVER = '''"""A team's end of watchkeeper's retraining requests.

watchkeeper runs this (retraining.request.command) with a request as JSON on standard input;
it is queued, one line each, in the inbox file named by the first argument, where the team's
retraining pipeline picks it up.
"""
import json
import sys

request = json.load(sys.stdin)
with open(sys.argv[1], "a", encoding="utf-8") as inbox:
    inbox.write(json.dumps(request) + "\\n")
window = request["training_window"]
print(f"queued for the team's pipeline: retrain on {window['start']} to {window['end']}")
'''
"""The receiver script the request command runs."""

LABEL_PREFIX = "team-v"


@dataclass
class RequestInbox:
    """Where the team's receiver queues requests (``requests.jsonl`` in ``folder``) and how
    many of them the pipeline has read."""

    folder: Path
    read: int = 0

    @property
    def path(self) -> Path:
        """The inbox file."""
        return self.folder / "requests.jsonl"

    def install(self) -> list[str]:
        """Write the receiver script into the folder; the command that runs it (this
        Python, isolated from the environment) for ``retraining.request.command``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        script = self.folder / "receive_request.py"
        script.write_text(RECEIVER, encoding="utf-8")
        return [sys.executable, "-I", str(script.resolve()), str(self.path.resolve())]

    def new_requests(self) -> list[dict[str, Any]]:
        """The requests queued since the last call, oldest first."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        fresh = [json.loads(line) for line in lines[self.read :] if line.strip()]
        self.read = len(lines)
        return fresh


@dataclass(frozen=True)
class TeamVersion:
    """A version the team put live: its label, the window it trained on, and from when it
    served."""

    label: str
    trained_from: datetime
    trained_to: datetime
    live_from: datetime
    requested_at: datetime | None = None
    """The request it answers (None: the first version, trained at launch)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "label": self.label,
            "trained_on": {
                "start": self.trained_from.isoformat(),
                "end": self.trained_to.isoformat(),
            },
            "live_from": self.live_from.isoformat(),
            "requested_at": None if self.requested_at is None else self.requested_at.isoformat(),
        }


@dataclass
class TeamService:
    """The team's service and pipeline over ``simulation``: the version live, the history of
    versions, and the money settings of its threshold (``flag_rate`` of the training
    window flagged, binary)."""

    simulation: TabularSimulation
    task: TeamTask
    positive_outcome: str
    flag_rate: float = 0.1
    seed: int = 0
    versions: list[TeamVersion] = field(default_factory=list)
    _model: TeamModel | None = None

    def launch(self, start: datetime, end: datetime, live_from: datetime) -> TeamVersion:
        """Train the first version on ``[start, end)`` with the outcomes known at
        ``live_from``, and put it live."""
        return self._train(start, end, live_from, None)

    def answer(self, request: dict[str, Any], live_from: datetime) -> TeamVersion:
        """Retrain on the window ``request`` names, with the outcomes known when it was sent;
        the new version serves from ``live_from``."""
        try:
            window = request["training_window"]
            start = utc_from_iso(window["start"])
            end = utc_from_iso(window["end"])
            sent = utc_from_iso(request["as_of"])
        except (KeyError, TypeError, ValueError) as error:
            raise SimulationError(f"a retraining request the team cannot read: {error}") from None
        return self._train(start, end, max(live_from, sent), sent)

    def _train(
        self, start: datetime, end: datetime, live_from: datetime, requested: datetime | None
    ) -> TeamVersion:
        label = f"{LABEL_PREFIX}{len(self.versions) + 1}"
        known = labelled_events(
            self.simulation, self.task, positive_outcome=self.positive_outcome, known_by=live_from
        )
        self._model = train_team_model(
            known, self.task, label, start, end, seed=self.seed,
            positive_outcome=self.positive_outcome, flag_rate=self.flag_rate,
        )  # fmt: skip
        version = TeamVersion(label, start, end, live_from, requested)
        self.versions.append(version)
        return version

    @property
    def model(self) -> TeamModel:
        """The version live."""
        if self._model is None:
            raise SimulationError("the team has no model live yet: launch it first")
        return self._model

    def predictions(self, start: datetime, end: datetime) -> pl.DataFrame:
        """What the service logs for the events of ``[start, end)``: inputs, its version
        label, score and decision (or the task's columns)."""
        return self.model.predict(_between(self.simulation.events, "ts", start, end))

    def outcomes(self, start: datetime, end: datetime) -> pl.DataFrame:
        """The outcomes that became known in ``[start, end)``."""
        return _between(self.simulation.outcomes, "outcome_ts", start, end)


def _between(frame: pl.DataFrame, column: str, start: datetime, end: datetime) -> pl.DataFrame:
    return frame.filter((pl.col(column) >= start) & (pl.col(column) < end))


__all__ = ["LABEL_PREFIX", "RECEIVER", "RequestInbox", "TeamService", "TeamVersion"]
