"""The fitted feature spec: the spec plus what was learned from training data.

A :class:`FittedFeatureSpec` is what a model version is served with: vocabularies (top-k,
with explicit unseen and missing buckets) and standardisation statistics, next to the spec
they belong to. It is written as canonical JSON, and its content hash names it: load it
with ``expected_hash`` and a file that differs by one byte is refused.

>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "channel": {"type": "category"}},
...     transforms=[{"name": "channel_code", "op": "encode", "input": "channel", "method": "ordinal"}])
>>> fitted = FittedFeatureSpec(spec=spec, training_rows=3, parameters={
...     "channel_code": Vocabulary(values=["online", "pos"], frequencies=[0.5, 0.25],
...                                unseen_frequency=0.0, missing_frequency=0.25)})
>>> [column.name for column in fitted.output_columns]
['channel_code']
>>> FittedFeatureSpec.from_json(fitted.to_json(), expected_hash=fitted.content_hash) == fitted
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, ValidationError, model_validator

from watchkeeper.config.base import Section
from watchkeeper.errors import ArtifactIntegrityError, FeatureError
from watchkeeper.features.canonical import canonical_json, content_hash
from watchkeeper.features.outputs import OutputColumn, one_hot_columns, output_type
from watchkeeper.features.spec import FeatureSpec

FITTED_FORMAT: Literal[1] = 1
"""The version of the fitted-spec file format."""


class Standardization(Section):
    """Mean and (population) standard deviation learned for ``standardize``."""

    kind: Literal["standardization"] = "standardization"
    mean: float
    std: float = Field(gt=0)


class Vocabulary(Section):
    """The kept values of an encoding, most frequent first, with their training frequencies.

    A value outside ``values`` falls in the unseen bucket, a missing value in the missing
    bucket. Frequencies are shares of all training rows.
    """

    kind: Literal["vocabulary"] = "vocabulary"
    values: list[str | bool | int]
    frequencies: list[float]
    unseen_frequency: float
    missing_frequency: float

    @model_validator(mode="after")
    def _aligned(self) -> Self:
        if len(self.values) != len(self.frequencies):
            raise ValueError("values and frequencies must have the same length")
        if len(set(self.values)) != len(self.values):
            raise ValueError("vocabulary values must be distinct")
        return self


FittedParameters = Annotated[Standardization | Vocabulary, Field(discriminator="kind")]


class FittedFeatureSpec(Section):
    """A feature spec with its fitted parameters, ready for both engines."""

    format: Literal[1] = FITTED_FORMAT
    spec: FeatureSpec
    parameters: dict[str, FittedParameters] = Field(default_factory=dict)
    training_rows: int = Field(ge=0)

    @model_validator(mode="after")
    def _every_fitted_feature_has_its_parameters(self) -> Self:
        for feature in self.spec.transforms:
            wanted = _wanted_parameters(feature.op)
            found = self.parameters.get(feature.name)
            if wanted is not None and not isinstance(found, wanted):
                raise ValueError(
                    f"feature {feature.name!r} ({feature.op}) needs fitted "
                    f"{wanted.__name__.lower()} parameters"
                )
        return self

    @property
    def output_columns(self) -> tuple[OutputColumn, ...]:
        """Every column the engines write, in declaration order."""
        columns: list[OutputColumn] = []
        for feature in self.spec.transforms:
            dtype = output_type(feature, self.spec.inputs)
            if feature.op == "encode" and feature.method == "one_hot":
                vocabulary = self.vocabulary(feature.name)
                columns += [
                    OutputColumn(name, dtype)
                    for name in one_hot_columns(feature.name, vocabulary.values)
                ]
            else:
                columns.append(OutputColumn(feature.name, dtype))
        return tuple(columns)

    def vocabulary(self, name: str) -> Vocabulary:
        """The fitted vocabulary of encoding feature ``name``."""
        found = self.parameters[name]
        assert isinstance(found, Vocabulary)
        return found

    def standardization(self, name: str) -> Standardization:
        """The fitted statistics of standardize feature ``name``."""
        found = self.parameters[name]
        assert isinstance(found, Standardization)
        return found

    def to_json(self) -> str:
        """The fitted spec as canonical JSON text (what is stored and hashed)."""
        return canonical_json(self.model_dump(mode="json"))

    @property
    def content_hash(self) -> str:
        """The sha256 of :meth:`to_json`: the identity of this fitted spec."""
        return content_hash(self.to_json())

    @classmethod
    def from_json(cls, text: str, expected_hash: str | None = None) -> FittedFeatureSpec:
        """Read a fitted spec; with ``expected_hash``, refuse text whose hash differs."""
        if expected_hash is not None and content_hash(text) != expected_hash:
            raise ArtifactIntegrityError(
                f"fitted feature spec has hash {content_hash(text)}, expected {expected_hash}"
            )
        try:
            return cls.model_validate_json(text)
        except ValidationError as error:
            first: dict[str, Any] = dict(error.errors()[0])
            location = ".".join(str(part) for part in first.get("loc", ()))
            where = f"{location}: " if location else ""
            raise FeatureError(
                f"not a valid fitted feature spec: {where}{first.get('msg')}"
            ) from None

    def save(self, path: Path) -> str:
        """Write the canonical JSON to ``path``; return the content hash."""
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return self.content_hash

    @classmethod
    def load(cls, path: Path, expected_hash: str | None = None) -> FittedFeatureSpec:
        """Read a fitted spec written by :meth:`save`."""
        try:
            text = path.read_text(encoding="utf-8").rstrip("\n")
        except OSError as error:
            raise FeatureError(f"{path}: cannot read the fitted spec: {error.strerror}") from None
        except UnicodeDecodeError:
            raise FeatureError(
                f"{path}: not a valid fitted feature spec: not UTF-8 text (JSON expected)"
            ) from None
        try:
            return cls.from_json(text, expected_hash)
        except FeatureError as error:
            raise FeatureError(f"{path}: {error}") from None


def _wanted_parameters(operation: str) -> type[Standardization] | type[Vocabulary] | None:
    if operation == "standardize":
        return Standardization
    if operation == "encode":
        return Vocabulary
    return None


__all__ = [
    "FITTED_FORMAT",
    "FittedFeatureSpec",
    "FittedParameters",
    "Standardization",
    "Vocabulary",
]
