"""The manifest of a model version: one content-addressed JSON that pins the whole bundle.

A version is more than the model: serving also needs the fitted feature spec, the decision
threshold and the score calibrator, and monitoring needs the reference profile. The
manifest names each artifact by its sha256 and holds the small parts (threshold, calibrator,
feature schema) inline. The registry stores the manifest itself in the artifact store and
records *its* sha256 as the version's artifact, so one verified hash covers everything:
changing a threshold, or swapping a model file, changes a digest and is refused on load.

>>> manifest = VersionManifest(model_format="lightgbm-text", model_sha256="ab" * 32,
...     feature_schema=(("night", "Float64"), ("amount", "Float64")), threshold={"value": 0.8})
>>> VersionManifest.from_bytes(manifest.to_bytes()) == manifest
True
>>> manifest.feature_names, manifest.threshold_value
(('night', 'amount'), 0.8)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from watchkeeper.errors import RegistryError

MANIFEST_FORMAT = 1
MANIFEST_MEDIA_TYPE = "application/vnd.watchkeeper.model-version+json"


@dataclass(frozen=True)
class VersionManifest:
    """What makes up a model version, each artifact named by its sha256.

    ``feature_schema`` lists the model's input columns in training order, each with its
    Polars dtype name (pairs, not a mapping, so the order survives canonical JSON). ``feature_spec_sha256`` is the fitted feature spec (opaque JSON for now);
    ``reference_profile_sha256`` the reference profile, when one was built.
    """

    model_format: str
    model_sha256: str
    feature_schema: tuple[tuple[str, str], ...]
    threshold: dict[str, Any]
    calibrator: dict[str, Any] | None = None
    feature_spec_sha256: str | None = None
    reference_profile_sha256: str | None = None
    format: int = MANIFEST_FORMAT
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        pairs = tuple((str(name), str(dtype)) for name, dtype in self.feature_schema)
        object.__setattr__(self, "feature_schema", pairs)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The model's input columns, in training order."""
        return tuple(name for name, _ in self.feature_schema)

    @property
    def feature_types(self) -> dict[str, str]:
        """Each input column's Polars dtype name."""
        return dict(self.feature_schema)

    @property
    def threshold_value(self) -> float:
        """The decision threshold: a score at or above it is flagged."""
        return float(self.threshold["value"])

    def artifact_digests(self) -> dict[str, str]:
        """Every artifact the manifest names, by role."""
        digests = {"model": self.model_sha256}
        if self.feature_spec_sha256 is not None:
            digests["feature_spec"] = self.feature_spec_sha256
        if self.reference_profile_sha256 is not None:
            digests["reference_profile"] = self.reference_profile_sha256
        estimator = self.extra.get("estimator")
        if isinstance(estimator, dict) and isinstance(estimator.get("artifact_sha256"), str):
            digests["estimator"] = estimator["artifact_sha256"]
        return digests

    def to_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, no spaces): equal manifests have equal digests."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> VersionManifest:
        """Parse a manifest written by :meth:`to_bytes`.

        >>> VersionManifest.from_bytes(b'{"format": 9}')
        Traceback (most recent call last):
        ...
        watchkeeper.errors.RegistryError: model version manifest format 9 is not supported (this watchkeeper reads format 1)
        """
        try:
            values = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RegistryError(f"model version manifest is not JSON: {error}") from None
        if values.get("format") != MANIFEST_FORMAT:
            raise RegistryError(
                f"model version manifest format {values.get('format')} is not supported "
                f"(this watchkeeper reads format {MANIFEST_FORMAT})"
            )
        try:
            return cls(**values)
        except TypeError as error:
            raise RegistryError(f"model version manifest is malformed: {error}") from None


__all__ = ["MANIFEST_FORMAT", "MANIFEST_MEDIA_TYPE", "VersionManifest"]
