"""Lineage: what data, code and settings produced a model version — enough to rebuild it.

A :class:`Lineage` is captured at training time and stored with the version (as JSON in
``model_versions.lineage``). Its parts:

- :class:`DataLineage` — event-store table versions read, the time window and its slices,
  row and positive counts, the label-maturity cut-off, and a content hash of the training
  frame (:func:`watchkeeper.registry.lineage_capture.frame_content_hash`);
- :class:`CodeLineage` — git commit and dirty flag of the workspace folder (None without
  git), the watchkeeper version, and the fitted feature spec's sha256;
- :class:`EnvironmentLineage` — Python and key package versions;
- the trainer and its hyperparameters, the decision threshold, the evaluation results, the
  parent version (the champion it was compared with) and the trigger: what started the
  attempt and why.

>>> lineage = Lineage(
...     data=DataLineage(table_versions={"transactions": 12, "outcomes": 7},
...                      window_start="2026-01-01T00:00:00+00:00",
...                      window_end="2026-03-31T00:00:00+00:00",
...                      maturity_cutoff="2026-03-31T00:00:00+00:00", rows=1000, positives=20,
...                      frame_sha256="ab" * 32),
...     code=CodeLineage(git_commit=None, git_dirty=None, watchkeeper_version="0.1.0",
...                      feature_spec_sha256=None),
...     environment=EnvironmentLineage(python="3.11.9", platform="Linux-x86_64",
...                                    packages={"lightgbm": "4.6.0"}),
...     trainer="lightgbm", hyperparameters={"num_leaves": 31}, seed=0,
...     threshold={"value": 0.8, "policy": "flag_rate"}, evaluation={"pr_auc": 0.71},
...     parent_version=None, trigger="PSI 0.31 on merchant_category in week 2026-06-01")
>>> Lineage.from_dict(lineage.to_dict()) == lineage
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

LINEAGE_FORMAT = 1
"""Bumped when the stored form changes incompatibly."""


@dataclass(frozen=True)
class DataLineage:
    """The data a version was trained and evaluated on.

    ``table_versions`` maps each event-store table read to its Delta version at read time;
    reading the tables at those versions, over the window, with labels as of ``as_of``
    rebuilds the same frame (``frame_sha256`` checks it). ``slices`` holds the rows of the
    train, validation and holdout slices, with their positives (binary: also their
    provisional rows and positives and the positives' weight) or rows per class
    (multiclass); ``positives`` is None for a multiclass or regression model.
    ``provisional_labels`` (binary) says whether events younger than the maturity cut-off
    trained with delay-weighted labels, from what age, and the label-delay estimate used
    (:meth:`watchkeeper.training.label_delay.ProvisionalLabels.describe`); ``window_end`` is
    then after ``maturity_cutoff``. ``sample`` says how the training slice was sampled by
    entity (``training.sample``: fraction, entity column, seed, rows kept and left out), None
    when it was not.
    """

    table_versions: dict[str, int | None]
    window_start: str
    window_end: str
    maturity_cutoff: str
    rows: int
    positives: int | None
    frame_sha256: str
    as_of: str | None = None
    slices: dict[str, dict[str, Any]] = field(default_factory=dict)
    provisional_labels: dict[str, Any] | None = None
    sample: dict[str, Any] | None = None


@dataclass(frozen=True)
class CodeLineage:
    """The code: the workspace's git state, watchkeeper's version, the feature spec's hash."""

    git_commit: str | None
    git_dirty: bool | None
    watchkeeper_version: str
    feature_spec_sha256: str | None


@dataclass(frozen=True)
class EnvironmentLineage:
    """The interpreter, platform and versions of the packages that shape a model."""

    python: str
    platform: str
    packages: dict[str, str | None]


@dataclass(frozen=True)
class Lineage:
    """Everything recorded about how a model version came to be."""

    data: DataLineage
    code: CodeLineage
    environment: EnvironmentLineage
    trainer: str
    hyperparameters: dict[str, Any]
    seed: int
    threshold: dict[str, Any]
    evaluation: dict[str, Any]
    parent_version: int | None
    trigger: str
    format: int = LINEAGE_FORMAT

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, stored in the registry."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lineage:
        """Rebuild a lineage from :meth:`to_dict`'s output."""
        values = dict(data)
        values["data"] = DataLineage(**values["data"])
        values["code"] = CodeLineage(**values["code"])
        values["environment"] = EnvironmentLineage(**values["environment"])
        return cls(**values)


__all__ = ["LINEAGE_FORMAT", "CodeLineage", "DataLineage", "EnvironmentLineage", "Lineage"]
