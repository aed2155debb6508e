"""The profile of a dataset or a window: one mergeable profile per feature.

A week is the merge of seven daily profiles; a cluster merges its partitions' profiles. A
profile serialises to JSON (for SQL or reading) and to bytes (for the artifact store).

>>> import numpy as np
>>> day = DatasetProfile({"amount": NumericProfile.from_values(np.array([1.0, 2.0]), (1.5,))}, rows=2)
>>> week = DatasetProfile.merge_all([day] * 7)
>>> week.rows, week.features["amount"].counts
(14, (7, 7))
>>> DatasetProfile.from_bytes(week.to_bytes()) == week
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchkeeper.clock import utc_from_iso
from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.profile_plan import (
    CategoricalBinning,
    FeatureBinning,
    NumericBinning,
    ProfilePlan,
)

FeatureProfile = NumericProfile | CategoricalProfile
PROFILE_FORMAT = 1
REFERENCE_PROFILE_MEDIA_TYPE = "application/vnd.watchkeeper.dataset-profile+json"
"""The media type of a stored profile in the artifact store."""


@dataclass(frozen=True)
class DatasetProfile:
    """Per-feature profiles of the same rows, their number, and the window they cover."""

    features: Mapping[str, FeatureProfile] = field(hash=False)
    rows: int
    window_start: datetime | None = None
    window_end: datetime | None = None
    sample_sha256: str | None = None
    """A reference profile's bounded, seeded sample of its rows (a Parquet artifact), for the
    multivariate check; None elsewhere (a merge keeps none)."""

    def plan(self) -> ProfilePlan:
        """The binning these profiles were built with: use a reference's plan for its windows.

        >>> import numpy as np
        >>> profile = DatasetProfile({"x": NumericProfile.from_values(np.ones(3), (0.5,))}, rows=3)
        >>> profile.plan().features["x"]
        NumericBinning(edges=(0.5,), kind='numeric')
        """
        features: dict[str, FeatureBinning] = {}
        for name, profile in self.features.items():
            if isinstance(profile, NumericProfile):
                features[name] = NumericBinning(profile.edges)
            else:
                features[name] = CategoricalBinning(profile.categories, profile.vocabulary)
        return ProfilePlan(features)

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        """The profile of both inputs together; both must profile the same features alike."""
        if list(self.features) != list(other.features):
            raise SchemaError(
                "cannot merge profiles of different features: "
                f"{sorted(self.features)} and {sorted(other.features)}"
            )
        merged: dict[str, FeatureProfile] = {}
        for name, mine in self.features.items():
            merged[name] = merge_feature_profiles(name, mine, other.features[name])
        return DatasetProfile(
            merged,
            rows=self.rows + other.rows,
            window_start=_earliest(self.window_start, other.window_start),
            window_end=_latest(self.window_end, other.window_end),
        )

    @staticmethod
    def merge_all(profiles: Iterable[DatasetProfile]) -> DatasetProfile:
        """Merge a non-empty sequence of profiles (days into a week, partitions into a whole)."""
        merged: DatasetProfile | None = None
        for profile in profiles:
            merged = profile if merged is None else merged.merge(profile)
        if merged is None:
            raise SchemaError("merge_all needs at least one profile")
        return merged

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "format": PROFILE_FORMAT,
            "rows": self.rows,
            "window_start": None if self.window_start is None else self.window_start.isoformat(),
            "window_end": None if self.window_end is None else self.window_end.isoformat(),
            "features": {name: profile.to_dict() for name, profile in self.features.items()},
            **({} if self.sample_sha256 is None else {"sample_sha256": self.sample_sha256}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetProfile:
        """Rebuild a profile from :meth:`to_dict`'s output."""
        if data.get("format") != PROFILE_FORMAT:
            raise SchemaError(
                f"profile format {data.get('format')!r} is not supported (expected {PROFILE_FORMAT})"
            )
        features: dict[str, FeatureProfile] = {}
        for name, feature in data["features"].items():
            if feature["kind"] == NumericProfile.kind:
                features[name] = NumericProfile.from_dict(feature)
            elif feature["kind"] == CategoricalProfile.kind:
                features[name] = CategoricalProfile.from_dict(feature)
            else:
                raise SchemaError(f"profile of {name!r} has an unknown kind {feature['kind']!r}")
        return cls(
            features,
            rows=int(data["rows"]),
            window_start=_parse_time(data.get("window_start")),
            window_end=_parse_time(data.get("window_end")),
            sample_sha256=data.get("sample_sha256"),
        )

    def to_json(self) -> str:
        """Compact JSON text."""
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> DatasetProfile:
        """Rebuild a profile from :meth:`to_json`'s output."""
        return cls.from_dict(json.loads(text))

    def to_bytes(self) -> bytes:
        """UTF-8 JSON bytes, for the artifact store or a SQL blob."""
        return self.to_json().encode("utf-8")

    @classmethod
    def from_bytes(cls, payload: bytes) -> DatasetProfile:
        """Rebuild a profile from :meth:`to_bytes`'s output."""
        return cls.from_json(payload)


def merge_feature_profiles(name: str, a: FeatureProfile, b: FeatureProfile) -> FeatureProfile:
    """Merge two profiles of feature ``name``; they must be of the same kind."""
    if isinstance(a, NumericProfile) and isinstance(b, NumericProfile):
        return a.merge(b)
    if isinstance(a, CategoricalProfile) and isinstance(b, CategoricalProfile):
        return a.merge(b)
    raise SchemaError(f"cannot merge profiles of {name!r}: {a.kind} and {b.kind}")


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else utc_from_iso(text)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


__all__ = ["PROFILE_FORMAT", "DatasetProfile", "FeatureProfile", "merge_feature_profiles"]
