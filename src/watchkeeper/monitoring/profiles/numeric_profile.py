"""The profile of one numeric feature: bin counts on reference edges, a quantile sketch, moments.

Bins are defined by the *inner* edges ``e_1 < ... < e_m`` taken from the reference's quantiles:
``(-inf, e_1)``, ``[e_1, e_2)``, ..., ``[e_m, +inf)``. The outer bins are open-ended, so a value
far outside the reference still lands in a bin. Missing values (null, NaN, and ±inf, which are
not usable numbers) are counted apart, in a bin of their own.

A profile is **mergeable**: the profile of two windows is the merge of their profiles, never a
rescan. Counts, missing, minimum and maximum merge exactly; the sum and the sum of squared
deviations (the variance's numerator, merged by Chan's formula, which stays accurate where a
raw sum of squares would cancel) merge up to floating-point rounding; the KLL sketch merges
within its rank-error bound.

>>> import numpy as np
>>> profile = NumericProfile.from_values(np.array([1.0, 2.0, 3.0, np.nan]), edges=(2.0,))
>>> profile.counts, profile.missing, profile.count
((1, 2), 1, 3)
>>> merged = profile.merge(NumericProfile.from_values(np.array([5.0]), edges=(2.0,)))
>>> merged.counts, merged.maximum, merged.mean
((1, 3), 5.0, 2.75)
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from datasketches import kll_doubles_sketch
from numpy.typing import NDArray

from watchkeeper.errors import SchemaError

DEFAULT_SKETCH_K = 400
"""KLL accuracy parameter: about 0.7% rank error (99% confidence), about 10 KB serialised."""


@dataclass(frozen=True)
class NumericProfile:
    """Counts on fixed bins, a KLL quantile sketch and moments of one numeric feature.

    >>> NumericProfile.empty(edges=(0.0, 1.0)).counts
    (0, 0, 0)
    """

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    missing: int
    minimum: float | None
    maximum: float | None
    total: float
    sum_of_squared_deviations: float
    sketch: bytes

    kind: ClassVar[str] = "numeric"

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.edges) + 1:
            raise SchemaError(
                f"a numeric profile needs one count per bin: {len(self.edges)} edges make "
                f"{len(self.edges) + 1} bins, got {len(self.counts)} counts"
            )

    @classmethod
    def empty(cls, edges: tuple[float, ...], sketch_k: int = DEFAULT_SKETCH_K) -> NumericProfile:
        """The profile of no rows, on the given inner bin edges."""
        return cls(
            edges=tuple(float(edge) for edge in edges),
            counts=(0,) * (len(edges) + 1),
            missing=0,
            minimum=None,
            maximum=None,
            total=0.0,
            sum_of_squared_deviations=0.0,
            sketch=kll_doubles_sketch(sketch_k).serialize(),
        )

    @classmethod
    def from_values(
        cls, values: NDArray[np.float64], edges: tuple[float, ...], sketch_k: int = DEFAULT_SKETCH_K
    ) -> NumericProfile:
        """Profile an array in one pass (NaN and ±inf count as missing).

        >>> NumericProfile.from_values(np.array([0.5, 1.5, np.inf]), edges=(1.0,)).missing
        1
        """
        ordered = np.sort(np.asarray(values, dtype=np.float64))
        usable = finite_part_of_sorted(ordered)
        return cls.from_sorted(usable, len(ordered) - len(usable), edges, sketch_k)

    @classmethod
    def from_sorted(
        cls,
        usable: NDArray[np.float64],
        missing: int,
        edges: tuple[float, ...],
        sketch_k: int = DEFAULT_SKETCH_K,
        *,
        sketch: bool = True,
    ) -> NumericProfile:
        """Profile values already sorted and free of missing ones (``missing`` counted apart).

        Sorting first makes everything else nearly free: bin counts are a binary search per
        edge, minimum and maximum are the ends, and the KLL sketch ingests sorted input about
        twice as fast. ``sketch=False`` leaves the sketch empty (the sketch is most of the
        cost): for a profile whose quantiles nobody reads, such as a chunk's whose KS and
        Wasserstein are computed exactly.

        >>> NumericProfile.from_sorted(np.array([1.0, 2.0, 3.0]), 2, edges=(2.5,)).counts
        (2, 1)
        >>> NumericProfile.from_sorted(np.array([1.0]), 0, (), sketch=False).quantile_sketch().is_empty()
        True
        """
        if len(usable) == 0:
            return cls.empty(edges, sketch_k)._replace_missing(missing)
        quantiles = kll_doubles_sketch(sketch_k)
        if sketch:  # the sketch wants writable memory
            quantiles.update(usable if usable.flags.writeable else usable.copy())
        below = np.searchsorted(usable, np.asarray(edges, dtype=np.float64), side="left")
        counts = np.diff(np.concatenate(([0], below, [len(usable)])))
        total = float(usable.sum())
        centred = usable - total / len(usable)
        np.square(centred, out=centred)  # not ``centred @ centred``: BLAS threads spin when busy
        return cls(
            edges=tuple(float(edge) for edge in edges),
            counts=tuple(int(count) for count in counts),
            missing=int(missing),
            minimum=float(usable[0]),
            maximum=float(usable[-1]),
            total=total,
            sum_of_squared_deviations=float(centred.sum()),
            sketch=quantiles.serialize(),
        )

    def _replace_missing(self, missing: int) -> NumericProfile:
        return NumericProfile(
            self.edges,
            self.counts,
            int(missing),
            self.minimum,
            self.maximum,
            self.total,
            self.sum_of_squared_deviations,
            self.sketch,
        )

    @property
    def count(self) -> int:
        """Number of usable (non-missing) values."""
        return sum(self.counts)

    @property
    def rows(self) -> int:
        """Number of rows, missing ones included."""
        return self.count + self.missing

    @property
    def missing_rate(self) -> float | None:
        """Share of rows whose value is missing; None without rows."""
        return self.missing / self.rows if self.rows else None

    @property
    def mean(self) -> float | None:
        """Mean of the usable values; None without any."""
        return self.total / self.count if self.count else None

    @property
    def standard_deviation(self) -> float | None:
        """Population standard deviation of the usable values; None without any.

        >>> NumericProfile.from_values(np.array([1.0, 3.0]), edges=()).standard_deviation
        1.0
        """
        if not self.count:
            return None
        return math.sqrt(max(self.sum_of_squared_deviations, 0.0) / self.count)

    def quantile_sketch(self) -> kll_doubles_sketch:
        """The KLL sketch, deserialised (a fresh object: updating it leaves the profile alone)."""
        return kll_doubles_sketch.deserialize(self.sketch)

    def merge(self, other: NumericProfile) -> NumericProfile:
        """The profile of both inputs together; both must use the same bin edges.

        >>> a = NumericProfile.from_values(np.array([1.0]), edges=(0.0,))
        >>> a.merge(NumericProfile.empty(edges=(1.0,)))
        Traceback (most recent call last):
        ...
        watchkeeper.errors.SchemaError: cannot merge numeric profiles with different bin edges: (0.0,) and (1.0,)
        """
        if self.edges != other.edges:
            raise SchemaError(
                "cannot merge numeric profiles with different bin edges: "
                f"{self.edges} and {other.edges}"
            )
        sketch = self.quantile_sketch()
        sketch.merge(other.quantile_sketch())
        count_a, count_b = self.count, other.count
        combined = count_a + count_b
        if count_a and count_b:
            delta = other.total / count_b - self.total / count_a
            deviations = (
                self.sum_of_squared_deviations
                + other.sum_of_squared_deviations
                + delta * delta * count_a * count_b / combined
            )
        else:
            deviations = self.sum_of_squared_deviations + other.sum_of_squared_deviations
        return NumericProfile(
            edges=self.edges,
            counts=tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)),
            missing=self.missing + other.missing,
            minimum=_combine(self.minimum, other.minimum, min),
            maximum=_combine(self.maximum, other.maximum, max),
            total=self.total + other.total,
            sum_of_squared_deviations=deviations,
            sketch=sketch.serialize(),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the sketch as base64).

        >>> sorted(NumericProfile.empty(edges=()).to_dict())[:3]
        ['counts', 'edges', 'kind']
        """
        return {
            "kind": self.kind,
            "edges": list(self.edges),
            "counts": list(self.counts),
            "missing": self.missing,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "total": self.total,
            "sum_of_squared_deviations": self.sum_of_squared_deviations,
            "sketch": base64.b64encode(self.sketch).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NumericProfile:
        """Rebuild a profile from :meth:`to_dict`'s output.

        >>> profile = NumericProfile.from_values(np.array([1.0, 2.0]), edges=(1.5,))
        >>> NumericProfile.from_dict(profile.to_dict()) == profile
        True
        """
        return cls(
            edges=tuple(float(edge) for edge in data["edges"]),
            counts=tuple(int(count) for count in data["counts"]),
            missing=int(data["missing"]),
            minimum=None if data["minimum"] is None else float(data["minimum"]),
            maximum=None if data["maximum"] is None else float(data["maximum"]),
            total=float(data["total"]),
            sum_of_squared_deviations=float(data["sum_of_squared_deviations"]),
            sketch=base64.b64decode(data["sketch"]),
        )


def finite_part_of_sorted(ordered: NDArray[np.float64]) -> NDArray[np.float64]:
    """The finite values of a sorted array (``np.sort`` puts -inf first, +inf and NaN last).

    >>> finite_part_of_sorted(np.array([-np.inf, 1.0, 2.0, np.inf, np.nan]))
    array([1., 2.])
    """
    start = int(np.searchsorted(ordered, -np.inf, side="right"))
    stop = int(np.searchsorted(ordered, np.inf, side="left"))
    return ordered[start:stop]


def _combine(a: float | None, b: float | None, pick: Any) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return float(pick(a, b))


__all__ = ["DEFAULT_SKETCH_K", "NumericProfile", "finite_part_of_sorted"]
