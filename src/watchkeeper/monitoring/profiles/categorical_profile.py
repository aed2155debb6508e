"""The profile of one categorical feature: counts of the reference's top categories.

The tracked ``categories`` are the reference's most frequent values (top k). Every other value
is counted in ``other``; of those, the ones the reference never saw at all are also counted in
``unseen`` (known only when the reference's full ``vocabulary`` is at hand). Missing values
(null) have a count of their own. Values are labels (strings): ``true``, ``3``, ``DE``.

A reference profile keeps its vocabulary, so the plan of later windows can be derived from it;
window profiles leave it out. Profiles built with the same categories merge exactly.

>>> profile = CategoricalProfile(("DE", "FR"), (5, 3), other=2, unseen=1, missing=1)
>>> profile.count, profile.rows
(10, 11)
>>> profile.merge(profile).counts
(10, 6)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from watchkeeper.errors import SchemaError


@dataclass(frozen=True)
class CategoricalProfile:
    """Counts per tracked category, plus ``other``, ``unseen`` (within other) and ``missing``."""

    categories: tuple[str, ...]
    counts: tuple[int, ...]
    other: int
    unseen: int | None
    missing: int
    vocabulary: tuple[str, ...] | None = None

    kind: ClassVar[str] = "categorical"

    def __post_init__(self) -> None:
        if len(self.categories) != len(self.counts):
            raise SchemaError(
                f"a categorical profile needs one count per category: {len(self.categories)} "
                f"categories, {len(self.counts)} counts"
            )

    @classmethod
    def empty(
        cls,
        categories: tuple[str, ...],
        vocabulary: tuple[str, ...] | None = None,
        track_unseen: bool | None = None,
    ) -> CategoricalProfile:
        """The profile of no rows; ``unseen`` is counted (0, not None) when ``track_unseen``,
        by default when a vocabulary is given.

        >>> CategoricalProfile.empty(("a",)).unseen, CategoricalProfile.empty(("a",), track_unseen=True).unseen
        (None, 0)
        """
        counted = vocabulary is not None if track_unseen is None else track_unseen
        return cls(
            categories=categories,
            counts=(0,) * len(categories),
            other=0,
            unseen=0 if counted else None,
            missing=0,
            vocabulary=vocabulary,
        )

    @property
    def count(self) -> int:
        """Number of non-missing values."""
        return sum(self.counts) + self.other

    @property
    def rows(self) -> int:
        """Number of rows, missing ones included."""
        return self.count + self.missing

    @property
    def missing_rate(self) -> float | None:
        """Share of rows whose value is missing; None without rows."""
        return self.missing / self.rows if self.rows else None

    @property
    def cells(self) -> tuple[int, ...]:
        """Counts of every cell compared by the drift statistics: categories, other, missing.

        >>> CategoricalProfile(("a",), (4,), other=1, unseen=0, missing=2).cells
        (4, 1, 2)
        """
        return (*self.counts, self.other, self.missing)

    @property
    def cell_labels(self) -> tuple[str, ...]:
        """Labels of :attr:`cells`."""
        return (*self.categories, "(other)", "(missing)")

    def merge(self, other: CategoricalProfile) -> CategoricalProfile:
        """The profile of both inputs together; both must track the same categories.

        >>> CategoricalProfile.empty(("a",)).merge(CategoricalProfile.empty(("b",)))
        Traceback (most recent call last):
        ...
        watchkeeper.errors.SchemaError: cannot merge categorical profiles tracking different categories: ('a',) and ('b',)
        """
        if self.categories != other.categories:
            raise SchemaError(
                "cannot merge categorical profiles tracking different categories: "
                f"{self.categories} and {other.categories}"
            )
        if self.vocabulary != other.vocabulary:
            raise SchemaError("cannot merge categorical profiles built with different vocabularies")
        unseen = None if self.unseen is None or other.unseen is None else self.unseen + other.unseen
        return CategoricalProfile(
            categories=self.categories,
            counts=tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)),
            other=self.other + other.other,
            unseen=unseen,
            missing=self.missing + other.missing,
            vocabulary=self.vocabulary,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary.

        >>> CategoricalProfile.empty(("a",)).to_dict()["counts"]
        [0]
        """
        data: dict[str, Any] = {
            "kind": self.kind,
            "categories": list(self.categories),
            "counts": list(self.counts),
            "other": self.other,
            "unseen": self.unseen,
            "missing": self.missing,
        }
        if self.vocabulary is not None:
            data["vocabulary"] = list(self.vocabulary)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoricalProfile:
        """Rebuild a profile from :meth:`to_dict`'s output.

        >>> profile = CategoricalProfile(("a",), (2,), 1, 0, 0, vocabulary=("a", "b"))
        >>> CategoricalProfile.from_dict(profile.to_dict()) == profile
        True
        """
        vocabulary = data.get("vocabulary")
        return cls(
            categories=tuple(str(value) for value in data["categories"]),
            counts=tuple(int(count) for count in data["counts"]),
            other=int(data["other"]),
            unseen=None if data["unseen"] is None else int(data["unseen"]),
            missing=int(data["missing"]),
            vocabulary=None if vocabulary is None else tuple(str(value) for value in vocabulary),
        )


__all__ = ["CategoricalProfile"]
