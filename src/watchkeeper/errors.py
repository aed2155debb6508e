"""The one exception tree of watchkeeper.

Every error a user can cause derives from :class:`WatchkeeperError`. Its message names the
value and the rule that was broken, so the CLI can print it as one line and exit with code 2.

>>> try:
...     raise ConfigError("watchkeeper.yaml: owner: field required (a name and a contact)")
... except WatchkeeperError as error:
...     print(error)
watchkeeper.yaml: owner: field required (a name and a contact)
"""

from __future__ import annotations


class WatchkeeperError(Exception):
    """Base of every error that a user's input or environment can cause."""


class ConfigError(WatchkeeperError):
    """The workspace file is missing, malformed or breaks the schema."""


class WorkspaceError(WatchkeeperError):
    """The workspace folder is missing, not initialised, or cannot be written."""


class StorageError(WatchkeeperError):
    """A store cannot be opened, read or written (database, event tables, artifacts)."""


class StoreUnavailableError(StorageError):
    """A configured backend (database server, object store) cannot be reached."""


class ArtifactIntegrityError(StorageError):
    """An artifact's content does not match its recorded sha256: it is refused, not loaded."""


class SchemaError(WatchkeeperError):
    """Data does not match the schema it must follow (missing column, wrong type)."""


class SimulationError(WatchkeeperError):
    """A simulation setting is out of range or inconsistent."""


class FeatureError(WatchkeeperError):
    """A feature definition, fitted spec or feature computation cannot be used as given."""


class InvalidInputError(SchemaError):
    """Raw input breaks the feature schema; ``field`` and ``reason`` say where and why.

    >>> error = InvalidInputError("amount", "below the minimum 0 (got -5.0)")
    >>> str(error), error.field
    ('amount: below the minimum 0 (got -5.0)', 'amount')
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ConflictingEventError(InvalidInputError):
    """An event id already scored comes again with different content (HTTP 409): ids are
    the idempotency key of scoring (:mod:`watchkeeper.serving.idempotency`)."""


class LateEventError(FeatureError):
    """An event is older than the newest one already folded into its key's online state."""


class RegistryError(WatchkeeperError):
    """A model version or alias does not exist, or a status change breaks the registry's rules."""


class RolloutError(WatchkeeperError):
    """A rollout cannot start, or has already ended, or a canary action is refused."""


class UnsafeModelError(WatchkeeperError):
    """A model artifact would run code on load (a pickle, an untrusted type) and is not trusted."""


class TrainingError(WatchkeeperError):
    """A trainer cannot be found, or it failed while fitting a model."""


class TrainingDataError(TrainingError):
    """Training or holdout data cannot support a fair attempt (too few positives, no outcomes)."""


class NotEnoughLabelsError(TrainingDataError):
    """The holdout holds ``have`` labels of the kind the gate counts (``unit``: positives, or
    labelled rows), fewer than the ``needed``: not a refusal of the challenger, an attempt
    too early to decide.

    >>> error = NotEnoughLabelsError("3 positives, fewer than 50", have=3, needed=50)
    >>> str(error), error.have, error.needed, error.unit
    ('3 positives, fewer than 50', 3.0, 50.0, 'positives')
    """

    def __init__(self, message: str, *, have: float, needed: float, unit: str = "positives"):
        super().__init__(message)
        self.have = float(have)
        self.needed = float(needed)
        self.unit = unit


class DatasetError(WatchkeeperError):
    """A data file is missing, unreadable or unusable (no columns in common, no rows, a
    feature without values), or how to compare it is (a bad chunk, role or level)."""


__all__ = [
    "ArtifactIntegrityError",
    "ConfigError",
    "ConflictingEventError",
    "DatasetError",
    "FeatureError",
    "InvalidInputError",
    "LateEventError",
    "NotEnoughLabelsError",
    "RegistryError",
    "RolloutError",
    "SchemaError",
    "SimulationError",
    "StorageError",
    "StoreUnavailableError",
    "TrainingDataError",
    "TrainingError",
    "UnsafeModelError",
    "WatchkeeperError",
    "WorkspaceError",
]
