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


__all__ = [
    "ArtifactIntegrityError",
    "ConfigError",
    "SchemaError",
    "SimulationError",
    "StorageError",
    "StoreUnavailableError",
    "WatchkeeperError",
    "WorkspaceError",
]
