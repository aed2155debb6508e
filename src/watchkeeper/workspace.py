"""A workspace: the folder holding ``watchkeeper.yaml``, and the stores it names, opened lazily.

>>> import tempfile, pathlib
>>> root = Workspace.create(pathlib.Path(tempfile.mkdtemp()) / "fraud", example="fraud")
>>> workspace = Workspace.open(root)
>>> workspace.config.owner.name
'Dana Reyes'
>>> workspace.close()
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.clock import Clock, WallClock
from watchkeeper.config import CONFIG_FILE_NAME, WorkspaceConfig, load_config
from watchkeeper.errors import (
    ConfigError,
    SchemaError,
    StoreUnavailableError,
    WatchkeeperError,
    WorkspaceError,
)
from watchkeeper.locations import is_local, local_path
from watchkeeper.storage.metadata.decision_kinds import SCHEMA_CHANGE

if TYPE_CHECKING:
    from watchkeeper.features.state.store import EntityStateStore
    from watchkeeper.intake.event_log import EventLog, LogSummary
    from watchkeeper.intake.frames import FrameLike
    from watchkeeper.storage.artifacts.store import ArtifactStore
    from watchkeeper.storage.events.store import EventStore
    from watchkeeper.storage.events.tables import EventTableDefinition
    from watchkeeper.storage.metadata.store import MetadataStore

EXAMPLES = ("fraud", "churn", "demand", "triage", "external")


def example_text(name: str) -> str:
    """Return the text of a bundled example workspace file.

    >>> "owner:" in example_text("fraud")
    True
    """
    if name not in EXAMPLES:
        raise WorkspaceError(f"unknown example {name!r}: choose one of {', '.join(EXAMPLES)}")
    return resources.files("watchkeeper.examples").joinpath(f"{name}.yaml").read_text("utf-8")


class Workspace:
    """A loaded workspace: its configuration, and its stores opened on first use.

    ``clock`` is where the stores take "now" from: the wall clock by default, an
    :class:`~watchkeeper.clock.EventTimeClock` in replays.
    """

    def __init__(self, root: Path, config: WorkspaceConfig, clock: Clock | None = None) -> None:
        self.root = root.resolve()
        self.config = config
        self.clock: Clock = clock if clock is not None else WallClock()

    @classmethod
    def open(cls, root: str | os.PathLike[str], clock: Clock | None = None) -> Workspace:
        """Load ``root/watchkeeper.yaml`` (a path or a string); raise ConfigError naming any
        problem in it.

        >>> Workspace.open("/no/such/folder")
        Traceback (most recent call last):
        ...
        watchkeeper.errors.WorkspaceError: /no/such/folder: no such folder; create a workspace with 'watchkeeper init /no/such/folder'
        """
        root = Path(root)
        if not root.exists():
            raise WorkspaceError(
                f"{root}: no such folder; create a workspace with 'watchkeeper init {root}'"
            )
        return cls(root, load_config(root / CONFIG_FILE_NAME), clock)

    @staticmethod
    def create(
        root: str | os.PathLike[str], example: str = "fraud", overwrite: bool = False
    ) -> Path:
        """Write a complete example workspace into ``root`` and return the folder.

        An existing ``watchkeeper.yaml`` is kept unless ``overwrite`` is true.
        """
        root = Path(root)
        target = root / CONFIG_FILE_NAME
        if target.exists() and not overwrite:
            raise WorkspaceError(f"{target} exists already; pass --force to overwrite it")
        text = example_text(example)
        try:
            root.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            (root / ".gitignore").write_text(".watchkeeper/\n", encoding="utf-8")
        except OSError as error:
            raise WorkspaceError(f"{root}: cannot write the workspace: {error}") from None
        return root

    @property
    def config_path(self) -> Path:
        """The workspace file."""
        return self.root / CONFIG_FILE_NAME

    def resolve(self, location: str) -> str:
        """Make a configured local path absolute (relative to the workspace); keep URLs as they are.

        >>> Workspace(Path("/srv/ws"), None).resolve("state/events")  # type: ignore[arg-type]
        '/srv/ws/state/events'
        """
        if not is_local(location):
            return location
        path = Path(local_path(location)).expanduser()
        return str(path if path.is_absolute() else self.root / path)

    def metadata_url(self) -> str:
        """The metadata database URL, with a relative SQLite path made absolute."""
        url = self.config.storage.metadata
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
            database = self.root / url.removeprefix(prefix)
            database.parent.mkdir(parents=True, exist_ok=True)
            return f"{prefix}{database}"
        return url

    @cached_property
    def metadata(self) -> MetadataStore:
        """The metadata store (registry, metric series, audit log), migrated to the newest schema."""
        from watchkeeper.storage.metadata.store import open_metadata_store

        try:
            return open_metadata_store(self.metadata_url(), self.clock)
        except StoreUnavailableError as error:
            raise ConfigError(
                f"{self.config_path}: storage.metadata: {error} "
                "(expected a reachable sqlite:/// or postgresql:// database)"
            ) from None

    @cached_property
    def events(self) -> EventStore:
        """The event store (transactions, predictions, outcomes) with its local spool."""
        from watchkeeper.storage.events.store import open_event_store

        storage = self.config.storage
        return open_event_store(
            self.resolve(storage.events),
            Path(self.resolve(storage.spool)),
            self.clock,
            storage_options=dict(storage.storage_options) or None,
            tables=self.event_tables,
            on_schema_change=self._record_schema_change,
        )

    def _record_schema_change(self, table: str, added: tuple[str, ...]) -> None:
        """Keep a column a stored event table gained in the audit log (``history``)."""
        names = ", ".join(added)
        self.metadata.record_decision(
            model=self.config.model.name,
            kind=SCHEMA_CHANGE,
            summary=f"event table {table}: added optional column(s) {names}",
            evidence={"table": table, "added": list(added)},
        )

    @cached_property
    def event_tables(self) -> Mapping[str, EventTableDefinition]:
        """The event tables of this workspace, derived from its keys, inputs and task."""
        from watchkeeper.storage.events.workspace_tables import event_tables_for

        try:
            return event_tables_for(self.config)
        except SchemaError as error:
            raise ConfigError(f"{self.config_path}: {error}") from None

    @cached_property
    def artifacts(self) -> ArtifactStore:
        """The content-addressed artifact store."""
        from watchkeeper.storage.artifacts.store import open_artifact_store

        storage = self.config.storage
        return open_artifact_store(
            self.resolve(storage.artifacts), dict(storage.storage_options) or None
        )

    @cached_property
    def event_log(self) -> EventLog:
        """Where a team's own predictions and outcomes are checked and logged: the rules from
        ``watchkeeper.yaml``, the event store, version labels numbered in the metadata store."""
        from watchkeeper.intake.event_log import EventLog
        from watchkeeper.intake.outcome_checks import OutcomeRules
        from watchkeeper.intake.prediction_checks import PredictionRules

        model = self.config.model.name

        def number(label: str) -> int:
            return self.metadata.external_versions.number(model, label)

        return EventLog(
            self.events,
            PredictionRules.from_config(self.config),
            OutcomeRules.from_config(self.config),
            number,
        )

    def log_predictions(
        self,
        frame: FrameLike,
        *,
        columns: Mapping[str, str] | None = None,
        model_label: str | None = None,
    ) -> LogSummary:
        """Log predictions a model served elsewhere made (pandas, Polars or Arrow).

        Columns: the event id, event time and entity keys, the inputs, ``model_label`` (the
        team's version label, or ``model_label=`` for all rows) and the task's prediction
        (binary ``score`` and ``decision``; multiclass ``probabilities`` and optionally
        ``decision``; regression ``prediction``). ``columns`` renames theirs to ours. Refused
        rows go to ``rejections`` with their reason; rows logged before count once.

        >>> import tempfile, pathlib
        >>> from datetime import UTC, datetime
        >>> import polars as pl
        >>> root = Workspace.create(pathlib.Path(tempfile.mkdtemp()), example="fraud")
        >>> with Workspace.open(str(root)) as workspace:
        ...     summary = workspace.log_predictions(pl.DataFrame({
        ...         "event_id": ["t1", "t2"], "ts": [datetime(2025, 3, 1, tzinfo=UTC)] * 2,
        ...         "card_id": ["c1", "c2"], "merchant_id": ["m1", "m1"], "amount": [12.0, 9.5],
        ...         "p_fraud": [0.02, 7.5], "flagged": [False, True]}),
        ...         columns={"p_fraud": "score", "flagged": "decision"}, model_label="rules-v3")
        >>> summary.counts(), dict(summary.reasons)
        ((1, 0, 1), {'out_of_range': 1})
        """
        from watchkeeper.intake.workspace_log import log_frame

        return log_frame(self.event_log, "predictions", frame, columns, model_label)

    def log_outcomes(
        self, frame: FrameLike, *, columns: Mapping[str, str] | None = None
    ) -> LogSummary:
        """Log outcomes (``event_id``, ``outcome``, ``outcome_ts``, optionally ``amount`` and
        ``received_at``) from a pandas, Polars or Arrow frame; see :meth:`log_predictions`."""
        from watchkeeper.intake.workspace_log import log_frame

        return log_frame(self.event_log, "outcomes", frame, columns)

    def open_online_state(self) -> EntityStateStore:
        """Open the online feature state the workspace names (the caller closes it).

        A Redis state is contacted (``PING``) on open; any store that cannot be opened is a
        :class:`ConfigError` naming ``storage.online_state``.
        """
        from watchkeeper.features.state.store import open_state_store, state_backend

        online = self.config.storage.online_state
        url = online.url
        default_file = state_backend(online.type).default_file
        if default_file is not None:
            url = self.resolve((url or default_file).removeprefix("sqlite:///"))
        try:
            return open_state_store(online.type, url, namespace=self.config.model.name)
        except WatchkeeperError as error:
            raise ConfigError(f"storage.online_state ({online.type}): {error}") from None

    def close(self) -> None:
        """Close every store that was opened."""
        self.__dict__.pop("event_log", None)
        for name in ("events", "metadata"):
            store = self.__dict__.pop(name, None)
            if store is not None:
                store.close()
        self.__dict__.pop("artifacts", None)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = ["EXAMPLES", "Workspace", "example_text"]
