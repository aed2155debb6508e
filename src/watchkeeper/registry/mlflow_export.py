"""Export the registry to MLflow, for teams whose registry of record is MLflow.

Each watchkeeper version becomes an MLflow run (its metrics, its hyperparameters as params,
its lineage flattened into ``watchkeeper.lineage.*`` tags, its verified artifacts — model,
manifest, feature spec — under ``model/``) and a version of an MLflow registered model with
the same tags. The aliases ``champion`` and ``challenger`` are set to the matching MLflow
versions, and removed there when they are no longer set here. MLflow numbers its versions
itself; the tag ``watchkeeper.version`` gives the watchkeeper number. Exporting again adds
only the versions not exported yet (found by that tag) and refreshes the aliases.

Needs the ``mlflow`` extra (``pip install 'watchkeeper[mlflow]'``); without it
:func:`export_to_mlflow` raises :class:`~watchkeeper.errors.ConfigError` saying so.
Timestamps come from the registry (when each version was created), not the wall clock.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchkeeper.errors import ConfigError
from watchkeeper.registry.registry import ALIASES, ModelRegistry
from watchkeeper.storage.metadata.records import ModelVersionRecord

TAG_PREFIX = "watchkeeper."
MAX_TAG_VALUE = 5000
"""MLflow's limit on a tag value, in characters; longer values are cut."""


@dataclass(frozen=True)
class MlflowExport:
    """Where one watchkeeper version went in MLflow."""

    version: int
    mlflow_version: str
    run_id: str
    exported_now: bool


def export_to_mlflow(
    registry: ModelRegistry,
    tracking_uri: str,
    *,
    registry_uri: str | None = None,
    experiment: str | None = None,
    artifact_location: str | None = None,
) -> list[MlflowExport]:
    """Log every version of ``registry`` to MLflow and mirror its aliases; oldest first.

    ``tracking_uri`` is an MLflow tracking URI (``sqlite:///mlflow.db``, ``http://...``);
    the registered model and the experiment are named after the watchkeeper model unless
    ``experiment`` says otherwise. ``artifact_location`` is where a new experiment keeps its
    artifacts (MLflow's default with a database store is ``./mlruns`` in the working folder).
    """
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ConfigError(
            "MLflow export needs the mlflow extra: pip install 'watchkeeper[mlflow]'"
        ) from None
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri or tracking_uri)
    name = registry.model_name
    experiment_id = _experiment_id(client, experiment or name, artifact_location)
    _ensure_registered_model(client, name)
    exported = _exported_versions(client, name)
    results = []
    for record in registry.versions():
        if record.version in exported:
            mlflow_version, run_id = exported[record.version]
            results.append(MlflowExport(record.version, mlflow_version, run_id, False))
            continue
        results.append(_export_version(client, registry, record, experiment_id))
    by_version = {result.version: result.mlflow_version for result in results}
    aliases = registry.aliases()
    current = client.get_registered_model(name).aliases or {}
    for alias in ALIASES:
        if alias in aliases and aliases[alias] in by_version:
            client.set_registered_model_alias(name, alias, by_version[aliases[alias]])
        elif alias in current:
            client.delete_registered_model_alias(name, alias)
    return results


def lineage_tags(record: ModelVersionRecord) -> dict[str, str]:
    """The tags of a version: its identity, then its lineage flattened with dotted keys.

    >>> from datetime import UTC, datetime
    >>> record = ModelVersionRecord("fraud", 2, "ab" * 32, "file:///m",
    ...     datetime(2026, 6, 1, tzinfo=UTC), "watchkeeper", "challenger",
    ...     lineage={"trigger": "PSI 0.31", "data": {"rows": 10, "table_versions": {"outcomes": 3}}})
    >>> tags = lineage_tags(record)
    >>> tags["watchkeeper.version"], tags["watchkeeper.lineage.data.table_versions.outcomes"]
    ('2', '3')
    """
    tags = {
        f"{TAG_PREFIX}model": record.model,
        f"{TAG_PREFIX}version": str(record.version),
        f"{TAG_PREFIX}status": record.status,
        f"{TAG_PREFIX}manifest_sha256": record.artifact_sha256,
        f"{TAG_PREFIX}created_by": record.created_by,
    }
    for key, value in _flatten(record.lineage, f"{TAG_PREFIX}lineage").items():
        tags[key] = value[:MAX_TAG_VALUE]
    return tags


def _export_version(
    client: Any, registry: ModelRegistry, record: ModelVersionRecord, experiment_id: str
) -> MlflowExport:
    from mlflow.entities import Metric, Param

    created_ms = int(record.created_at.timestamp() * 1000)
    tags = lineage_tags(record)
    run = client.create_run(
        experiment_id,
        start_time=created_ms,
        tags=tags,
        run_name=f"{record.model} v{record.version}",
    )
    run_id = run.info.run_id
    metrics = [
        Metric(key, float(value), created_ms, 0)
        for key, value in record.metrics.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    hyperparameters = dict(record.lineage.get("hyperparameters", {}))
    params = [Param(str(key), str(value)[:MAX_TAG_VALUE]) for key, value in hyperparameters.items()]
    client.log_batch(run_id, metrics=metrics, params=params)
    with tempfile.TemporaryDirectory(prefix="watchkeeper-mlflow-") as folder:
        _write_artifacts(registry, record, Path(folder))
        client.log_artifacts(run_id, folder, artifact_path="model")
    client.set_terminated(run_id, status="FINISHED", end_time=created_ms)
    version = client.create_model_version(
        record.model, source=f"{run.info.artifact_uri}/model", run_id=run_id, tags=tags
    )
    return MlflowExport(record.version, str(version.version), run_id, True)


def _write_artifacts(registry: ModelRegistry, record: ModelVersionRecord, folder: Path) -> None:
    """Write the version's verified artifacts (manifest, model, feature spec) into ``folder``."""
    manifest = registry.manifest(record.version)
    (folder / "manifest.json").write_bytes(manifest.to_bytes())
    (folder / f"model.{manifest.model_format}").write_bytes(
        registry.artifacts.get_bytes(manifest.model_sha256)
    )
    spec = registry.feature_spec(record.version)
    if spec is not None:
        (folder / "feature_spec.json").write_bytes(spec)


def _experiment_id(client: Any, name: str, artifact_location: str | None) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(client.create_experiment(name, artifact_location=artifact_location))


def _ensure_registered_model(client: Any, name: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, tags={f"{TAG_PREFIX}model": name})


def _exported_versions(client: Any, name: str) -> dict[int, tuple[str, str]]:
    exported = {}
    for version in client.search_model_versions(f"name = '{name}'"):
        number = (version.tags or {}).get(f"{TAG_PREFIX}version")
        if number is not None and number.isdigit():
            exported[int(number)] = (str(version.version), str(version.run_id))
    return exported


def _flatten(values: Mapping[str, Any], prefix: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name))
        else:
            flat[name] = "" if value is None else str(value)
    return flat


__all__ = ["MAX_TAG_VALUE", "TAG_PREFIX", "MlflowExport", "export_to_mlflow", "lineage_tags"]
