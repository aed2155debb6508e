"""The model registry: numbered versions, verified artifacts, aliases and status history.

A version is registered with its model, fitted feature spec, decision threshold, score
calibrator, reference profile, metrics and lineage. The model and the feature spec go to the
content-addressed artifact store, together with a manifest
(:class:`~watchkeeper.registry.manifest.VersionManifest`) naming them by sha256; the
metadata store records the manifest's sha256, the metrics and the lineage under the next
version number (1, 2, 3... per model). Every load re-verifies each hash, and a mismatch
raises :class:`~watchkeeper.errors.ArtifactIntegrityError`: nothing tampered is ever used.

Statuses and their rules live in :mod:`watchkeeper.registry.statuses`;
:meth:`ModelRegistry.set_status` changes a status, moves the alias, demotes the version that
held it and records the history, all in one transaction.

>>> import tempfile
>>> from datetime import UTC, datetime
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.storage.artifacts.store import open_artifact_store
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> from watchkeeper.modeling.model import SklearnModel
>>> metadata = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC)))
>>> registry = ModelRegistry(metadata, open_artifact_store(tempfile.mkdtemp()), "fraud")
>>> features = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> model = SklearnModel(LogisticRegression().fit(features, [0, 0, 1, 1]), ["amount"])
>>> first = registry.register(model, feature_schema={"amount": "Float64"}, threshold=0.5)
>>> _ = registry.set_status(first.version, CHAMPION, reason="first version")
>>> second = registry.register(model, feature_schema={"amount": "Float64"}, threshold=0.6)
>>> _ = registry.set_status(second.version, CHAMPION, reason="promoted after canary")
>>> registry.aliases(), [record.status for record in registry.versions()]
({'champion': 2}, ['retired', 'champion'])
>>> registry.load("champion").threshold
0.6
>>> metadata.close()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.config import ModelTask
from watchkeeper.errors import RegistryError, StorageError
from watchkeeper.modeling.class_decision import ClassDecision
from watchkeeper.modeling.model import Model
from watchkeeper.modeling.task_models import TaskModel
from watchkeeper.modeling.threshold import DecisionThreshold
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.registry.lineage import Lineage
from watchkeeper.registry.manifest import MANIFEST_MEDIA_TYPE, VersionManifest
from watchkeeper.registry.model_codec import decode_model, encode_model, task_record
from watchkeeper.registry.statuses import (
    ALIASES,
    CANDIDATE,
    CHALLENGER,
    CHAMPION,
    REGISTERED,
    REJECTED,
    RETIRED,
    ROLLED_BACK,
    STATUSES,
    status_plan,
)
from watchkeeper.storage.artifacts.store import ArtifactStore
from watchkeeper.storage.metadata.records import ModelVersionRecord
from watchkeeper.storage.metadata.store import MetadataStore
from watchkeeper.storage.metadata.version_status import StatusEntry, Transition

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

FEATURE_SPEC_MEDIA_TYPE = "application/vnd.watchkeeper.feature-spec+json"


@dataclass(frozen=True)
class LoadedVersion:
    """A version ready to score: its record, manifest, model and calibrator (all verified)."""

    record: ModelVersionRecord
    manifest: VersionManifest
    model: Model
    """The model; for a ``multiclass`` or ``regression`` version (see :attr:`task`) it has
    ``predict_probabilities`` or ``predict_values`` instead: read it as :attr:`task_model`."""
    calibrator: ScoreCalibrator | None

    @property
    def version(self) -> int:
        """The version number."""
        return self.record.version

    @property
    def threshold(self) -> float:
        """The decision threshold."""
        return self.manifest.threshold_value

    @property
    def task(self) -> ModelTask:
        """The model's task: ``binary`` unless its manifest says otherwise."""
        task: ModelTask = self.manifest.extra.get("task", "binary")
        return task

    @property
    def task_model(self) -> TaskModel:
        """The model, typed for any task (``model`` is typed for the binary one)."""
        return self.model


@dataclass(frozen=True)
class VersionIntegrity:
    """The result of re-checking one version's artifacts; ``failures`` is empty when sound."""

    version: int
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether every artifact of the version is present and matches its sha256."""
        return not self.failures


class ModelRegistry:
    """The versions of one model, over a metadata store and an artifact store.

    ``trust_pickle`` and ``trusted_types`` are the workspace's ``training`` settings; they
    decide which model artifacts may be saved and loaded (see
    :mod:`watchkeeper.registry.model_codec`).
    """

    def __init__(
        self,
        metadata: MetadataStore,
        artifacts: ArtifactStore,
        model_name: str,
        *,
        trust_pickle: bool = False,
        trusted_types: Sequence[str] = (),
    ) -> None:
        self.metadata = metadata
        self.artifacts = artifacts
        self.model_name = model_name
        self.trust_pickle = trust_pickle
        self.trusted_types = tuple(trusted_types)

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> ModelRegistry:
        """The registry of the workspace's model, with its stores and trust settings."""
        training = workspace.config.training
        return cls(
            workspace.metadata,
            workspace.artifacts,
            workspace.config.model.name,
            trust_pickle=training.trust_pickle,
            trusted_types=training.trusted_types,
        )

    # -- registering -------------------------------------------------------------------------

    def register(
        self,
        model: TaskModel,
        *,
        feature_schema: Mapping[str, str] | pl.Schema,
        threshold: DecisionThreshold | float,
        calibrator: ScoreCalibrator | None = None,
        feature_spec: bytes | None = None,
        reference_profile_sha256: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        lineage: Lineage | None = None,
        status: str = REGISTERED,
        created_by: str = "watchkeeper",
        decision: ClassDecision | None = None,
        estimator: Mapping[str, Any] | None = None,
    ) -> LoadedVersion:
        """Store the bundle's artifacts and register it as the next version of the model.

        ``feature_schema`` lists the model's input columns in training order (a frame's
        ``schema`` will do). ``status`` is ``registered`` or ``candidate``; aliases are set
        afterwards with :meth:`set_status`. A multiclass or regression model's task and
        classes (and a multiclass ``decision`` rule) go to the manifest's ``extra``, with the
        ``estimator`` of its performance before labels when given (an artifact it names must
        already be in the artifact store).
        """
        if status not in (REGISTERED, CANDIDATE):
            raise RegistryError(
                f"a new version starts as {REGISTERED!r} or {CANDIDATE!r}, not {status!r}; "
                "change its status once registered"
            )
        encoded = encode_model(
            model, trust_pickle=self.trust_pickle, trusted_types=self.trusted_types
        )
        model_ref = self.artifacts.put_bytes(encoded.data, media_type=encoded.media_type)
        spec_sha256 = None
        if feature_spec is not None:
            spec_sha256 = self.artifacts.put_bytes(feature_spec, FEATURE_SPEC_MEDIA_TYPE).sha256
        chosen = (
            threshold.to_dict()
            if isinstance(threshold, DecisionThreshold)
            else {"value": float(threshold), "policy": "fixed"}
        )
        manifest = VersionManifest(
            model_format=encoded.format,
            model_sha256=model_ref.sha256,
            feature_schema=tuple((name, str(dtype)) for name, dtype in feature_schema.items()),
            threshold=chosen,
            calibrator=calibrator.to_dict() if calibrator is not None else None,
            feature_spec_sha256=spec_sha256,
            reference_profile_sha256=reference_profile_sha256,
            extra=task_record(model)
            | ({"decision": decision.to_dict()} if decision is not None else {})
            | ({"estimator": dict(estimator)} if estimator is not None else {}),
        )
        manifest_ref = self.artifacts.put_bytes(manifest.to_bytes(), MANIFEST_MEDIA_TYPE)
        record = self.metadata.register_version(
            self.model_name,
            artifact_sha256=manifest_ref.sha256,
            artifact_uri=manifest_ref.uri,
            created_by=created_by,
            metrics=dict(metrics or {}),
            lineage=lineage.to_dict() if lineage is not None else {},
            status=status,
        )
        return LoadedVersion(record, manifest, model, calibrator)  # type: ignore[arg-type]

    # -- reading -----------------------------------------------------------------------------

    def versions(self) -> list[ModelVersionRecord]:
        """Every version, oldest first."""
        return self.metadata.versions(self.model_name)

    def aliases(self) -> dict[str, int]:
        """Each alias and the version it names."""
        return self.metadata.version_status.aliases(self.model_name)

    def history(self, version: int | None = None) -> list[StatusEntry]:
        """The status history of one version, or of all, oldest first."""
        return self.metadata.version_status.history(self.model_name, version)

    def resolve(self, version_or_alias: int | str) -> int:
        """The version number meant by ``3``, ``"3"``, ``"v3"`` or an alias like ``"champion"``.

        Raises :class:`RegistryError` for an unknown version or an unset alias.
        """
        text = str(version_or_alias).strip()
        digits = text.removeprefix("v")
        if digits.isdigit():
            version = int(digits)
            if not any(record.version == version for record in self.versions()):
                raise RegistryError(
                    f"model {self.model_name!r} has no version {version} "
                    f"(registered: {self._registered_text()})"
                )
            return version
        found = self.aliases().get(text)
        if found is None:
            raise RegistryError(
                f"alias {text!r} of model {self.model_name!r} is not set "
                f"(set: {', '.join(sorted(self.aliases())) or 'none'})"
            )
        return found

    def record(self, version_or_alias: int | str) -> ModelVersionRecord:
        """The registry record of a version."""
        version = self.resolve(version_or_alias)
        return next(record for record in self.versions() if record.version == version)

    def manifest(self, version_or_alias: int | str) -> VersionManifest:
        """The verified manifest of a version."""
        return self._manifest(self.record(version_or_alias))

    def load(self, version_or_alias: int | str) -> LoadedVersion:
        """Load a version for scoring, verifying every artifact's sha256 on the way."""
        record = self.record(version_or_alias)
        manifest = self._manifest(record)
        model = decode_model(
            manifest.model_format,
            self._verified(record, "model", manifest.model_sha256),
            manifest.feature_names,
            task=manifest.extra.get("task", "binary"),
            classes=manifest.extra.get("classes"),
            trust_pickle=self.trust_pickle,
            trusted_types=self.trusted_types,
        )
        calibrator = ScoreCalibrator.from_dict(manifest.calibrator) if manifest.calibrator else None
        return LoadedVersion(record, manifest, model, calibrator)  # type: ignore[arg-type]

    def feature_spec(self, version_or_alias: int | str) -> bytes | None:
        """The verified fitted feature spec of a version (None if it was registered without)."""
        record = self.record(version_or_alias)
        digest = self._manifest(record).feature_spec_sha256
        return None if digest is None else self._verified(record, "feature spec", digest)

    def lineage(self, version_or_alias: int | str) -> Lineage | None:
        """The lineage recorded with a version (None if it was registered without)."""
        stored = dict(self.record(version_or_alias).lineage)
        return Lineage.from_dict(stored) if stored else None

    # -- status and aliases ------------------------------------------------------------------

    def set_status(
        self,
        version_or_alias: int | str,
        status: str,
        *,
        reason: str,
        actor: str = "watchkeeper",
        demote_previous_to: str = RETIRED,
    ) -> Transition:
        """Change a version's status, with its alias and history, in one transaction.

        The rules are :func:`~watchkeeper.registry.statuses.status_plan`'s: a new champion or
        challenger takes the alias and demotes the version that held it to
        ``demote_previous_to``; the champion is never demoted except by promoting another.
        """
        version = self.resolve(version_or_alias)
        plan = status_plan(
            self.model_name,
            version,
            status,
            reason=reason,
            demote_previous_to=demote_previous_to,
        )
        return self.metadata.version_status.transition(self.model_name, plan, actor=actor)

    # -- integrity ---------------------------------------------------------------------------

    def verify(self) -> list[VersionIntegrity]:
        """Re-check every artifact of every version against its sha256, oldest version first."""
        results = []
        for record in self.versions():
            failures: list[str] = []
            try:
                manifest = self._manifest(record)
            except (StorageError, RegistryError) as error:
                results.append(VersionIntegrity(record.version, (f"manifest: {error}",)))
                continue
            for role, digest in manifest.artifact_digests().items():
                if not self.artifacts.exists(digest):
                    failures.append(f"{role} artifact {digest} is missing")
                elif not self.artifacts.verify(digest):
                    failures.append(f"{role} artifact {digest} does not match its sha256")
            results.append(VersionIntegrity(record.version, tuple(failures)))
        return results

    def _manifest(self, record: ModelVersionRecord) -> VersionManifest:
        data = self._verified(record, "manifest", record.artifact_sha256)
        return VersionManifest.from_bytes(data)

    def _verified(self, record: ModelVersionRecord, role: str, digest: str) -> bytes:
        try:
            return self.artifacts.get_bytes(digest)
        except StorageError as error:  # corrupt (ArtifactIntegrityError) or missing
            raise type(error)(
                f"version {record.version} of model {record.model!r}: {role}: {error}"
            ) from None

    def _registered_text(self) -> str:
        numbers = [str(record.version) for record in self.versions()]
        return ", ".join(numbers) or "none"


__all__ = [
    "ALIASES",
    "CANDIDATE",
    "CHALLENGER",
    "CHAMPION",
    "FEATURE_SPEC_MEDIA_TYPE",
    "REGISTERED",
    "REJECTED",
    "RETIRED",
    "ROLLED_BACK",
    "STATUSES",
    "LoadedVersion",
    "ModelRegistry",
    "VersionIntegrity",
]
