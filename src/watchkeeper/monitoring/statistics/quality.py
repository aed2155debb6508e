"""Data quality of a window against the reference: missing values, ranges, new categories,
rejected events.

Per feature: the missing rate in the reference and in the window and its change; for numbers,
the share of values outside the schema's range (``min``/``max`` of the input in the features
config, when declared) and outside the range the reference covered; for categories, the share
of values the reference never saw. Range shares come from the window's KLL sketch: exactly 0
when the window's minimum and maximum lie inside the range (the usual case), otherwise within
the sketch's rank error. Events rejected at the edge never reach a profile, so their counts by
reason are passed in.

>>> import numpy as np
>>> from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
>>> reference = NumericProfile.from_values(np.array([1.0, 2.0, 3.0, 4.0]), edges=(2.5,))
>>> current = NumericProfile.from_values(np.array([-1.0, 2.0, 3.0, np.nan]), edges=(2.5,))
>>> quality = feature_quality("amount", reference, current, schema_range=(0.0, None))
>>> quality.missing_rate_change, quality.out_of_schema_range_share, quality.out_of_reference_range_share
(0.25, 0.3333333333333333, 0.3333333333333333)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile, FeatureProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile

Range = tuple[float | None, float | None]


class RangedInput(Protocol):
    """Anything with optional ``min`` and ``max`` (such as the features config's inputs)."""

    @property
    def min(self) -> float | None: ...

    @property
    def max(self) -> float | None: ...


@dataclass(frozen=True)
class FeatureQuality:
    """Quality measures of one feature in a window (None where a measure does not apply)."""

    feature: str
    type: Literal["numeric", "categorical"]
    missing_rate_reference: float | None
    missing_rate_current: float | None
    missing_rate_change: float | None
    out_of_schema_range_share: float | None = None
    out_of_reference_range_share: float | None = None
    unseen_category_share: float | None = None


@dataclass(frozen=True)
class QualityReport:
    """Per-feature quality, and the events rejected before profiling (by reason)."""

    features: tuple[FeatureQuality, ...]
    rejected: Mapping[str, int] = field(default_factory=dict)
    rows: int = 0

    @property
    def rejected_total(self) -> int:
        """All rejected events."""
        return sum(self.rejected.values())

    @property
    def rejected_share(self) -> float | None:
        """Rejected events as a share of all events received (accepted + rejected)."""
        received = self.rows + self.rejected_total
        return self.rejected_total / received if received else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "features": [asdict(item) for item in self.features],
            "rejected": dict(self.rejected),
            "rejected_total": self.rejected_total,
            "rejected_share": self.rejected_share,
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualityReport:
        """Rebuild a report from :meth:`to_dict`'s output."""
        rejected = {str(key): int(value) for key, value in data["rejected"].items()}
        features = tuple(FeatureQuality(**item) for item in data["features"])
        return cls(features, rejected, int(data.get("rows", 0)))


def schema_ranges(inputs: Mapping[str, RangedInput]) -> dict[str, Range]:
    """``(min, max)`` of every input that declares either (from ``features.inputs``).

    >>> from watchkeeper.config import InputField
    >>> schema_ranges({"amount": InputField(type="float", min=0), "country": InputField(type="string")})
    {'amount': (0.0, None)}
    """
    return {
        name: (spec.min, spec.max)
        for name, spec in inputs.items()
        if spec.min is not None or spec.max is not None
    }


@dataclass(frozen=True)
class RangeShares:
    """Exact shares of a numeric feature's values outside the schema's and the reference's
    range (counted on the values, as ``watchkeeper drift`` does), in place of the sketch's."""

    schema: float | None
    reference: float | None


def feature_quality(
    name: str,
    reference: FeatureProfile,
    current: FeatureProfile,
    schema_range: Range | None = None,
    exact: RangeShares | None = None,
) -> FeatureQuality:
    """Quality of one feature's window profile against its reference profile."""
    change = None
    if reference.missing_rate is not None and current.missing_rate is not None:
        change = current.missing_rate - reference.missing_rate
    if isinstance(reference, NumericProfile) and isinstance(current, NumericProfile):
        if exact is not None:
            return FeatureQuality(
                name, "numeric", reference.missing_rate, current.missing_rate, change,
                out_of_schema_range_share=None if schema_range is None else exact.schema,
                out_of_reference_range_share=exact.reference,
            )  # fmt: skip
        reference_range = (reference.minimum, reference.maximum)
        return FeatureQuality(
            name, "numeric", reference.missing_rate, current.missing_rate, change,
            out_of_schema_range_share=(
                None if schema_range is None else share_outside(current, schema_range)
            ),
            out_of_reference_range_share=(
                None if reference.count == 0 else share_outside(current, reference_range)
            ),
        )  # fmt: skip
    if isinstance(reference, CategoricalProfile) and isinstance(current, CategoricalProfile):
        unseen = None
        if current.unseen is not None and current.count:
            unseen = current.unseen / current.count
        return FeatureQuality(
            name, "categorical", reference.missing_rate, current.missing_rate, change,
            unseen_category_share=unseen,
        )  # fmt: skip
    raise SchemaError(
        f"{name}: a {reference.kind} reference cannot be compared with {current.kind}"
    )


def share_outside(profile: NumericProfile, bounds: Range) -> float | None:
    """Share of a profile's values below ``bounds[0]`` or above ``bounds[1]`` (None bounds are
    open); None without values.

    >>> import numpy as np
    >>> share_outside(NumericProfile.from_values(np.array([1.0, 5.0]), edges=()), (0.0, 4.0))
    0.5
    """
    if profile.count == 0 or profile.minimum is None or profile.maximum is None:
        return None
    low, high = bounds
    below_possible = low is not None and profile.minimum < low
    above_possible = high is not None and profile.maximum > high
    if not (below_possible or above_possible):
        return 0.0
    sketch = profile.quantile_sketch()
    share = 0.0
    if below_possible:
        share += float(sketch.get_rank(low, False))  # strictly below
    if above_possible:
        share += 1.0 - float(sketch.get_rank(high, True))  # strictly above
    return min(max(share, 0.0), 1.0)


def data_quality(
    reference: DatasetProfile,
    current: DatasetProfile,
    ranges: Mapping[str, Range] | None = None,
    rejected: Mapping[str, int] | None = None,
    exact: Mapping[str, RangeShares] | None = None,
) -> QualityReport:
    """Quality of every reference feature in the current window (range shares from
    ``exact`` where given).

    >>> import numpy as np
    >>> profile = DatasetProfile({"x": NumericProfile.from_values(np.ones(4), edges=())}, rows=4)
    >>> report = data_quality(profile, profile, rejected={"schema": 1})
    >>> report.features[0].missing_rate_change, report.rejected_share
    (0.0, 0.2)
    """
    bounds = ranges or {}
    shares = exact or {}
    features = tuple(
        feature_quality(name, profile, current.features[name], bounds.get(name), shares.get(name))
        for name, profile in reference.features.items()
        if name in current.features
    )
    return QualityReport(features, dict(rejected or {}), current.rows)


__all__ = [
    "FeatureQuality",
    "QualityReport",
    "Range",
    "RangeShares",
    "RangedInput",
    "data_quality",
    "feature_quality",
    "schema_ranges",
    "share_outside",
]
