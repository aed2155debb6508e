"""Labels per task: a yes/no event, a class, or a number, as known at a moment ``as_of``.

:func:`attach_task_labels` reads the workspace's ``label`` section and its ``model.task``:

- ``binary``: :func:`~watchkeeper.monitoring.outcomes.labels.attach_labels` (a positive outcome at
  once, silence negative after the maturity horizon, or explicit negatives at once);
- ``multiclass``: ``label`` is the class named by the latest outcome received by ``as_of``
  (``label_status`` ``labelled``), or null (``pending``) without one. Silence means nothing
  here: an event with no outcome is never given a class. An outcome naming a class outside
  ``label.classes`` is refused with a :class:`~watchkeeper.errors.SchemaError` naming it;
- ``regression``: ``label`` is the number of the latest outcome received by ``as_of``
  (Float64), or null (``pending``). A value that is not a finite number is refused.

The maturity horizon still says when a *window's* labels are complete
(:func:`~watchkeeper.monitoring.outcomes.labels.is_window_mature`); training takes matured events only.

>>> from datetime import UTC, datetime
>>> from watchkeeper.config import LabelConfig
>>> day = datetime(2026, 3, 1, tzinfo=UTC)
>>> events = pl.DataFrame({"event_id": ["a", "b"], "ts": [day, day]})
>>> outcomes = pl.DataFrame({"event_id": ["a"], "outcome": ["sales"], "received_at": [day]})
>>> labelled = attach_task_labels(events, outcomes, day, LabelConfig(classes=["billing", "sales"]),
...                               "multiclass")
>>> labelled.select("label_status", "label").rows()
[('labelled', 'sales'), ('pending', None)]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.config import LabelConfig, ModelTask
from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.outcomes.labels import PENDING, attach_labels, latest_outcomes

LABELLED = "labelled"
"""``label_status`` of a multiclass or regression event whose outcome has been received."""


def attach_task_labels(
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    as_of: datetime,
    label: LabelConfig,
    task: ModelTask,
    event_id: str = "event_id",
    event_time: str = "ts",
) -> pl.DataFrame:
    """Add ``label_status`` and ``label`` to ``events`` as the ``task`` defines them.

    ``outcomes`` needs ``event_id``, ``outcome`` and ``received_at``; only outcomes received
    at or before ``as_of`` count. Rows keep their order; one row per event.
    """
    if task == "binary":
        return attach_labels(
            events,
            outcomes,
            as_of,
            label.maturity_horizon,
            label.positive_outcome,
            event_id,
            event_time,
            explicit_negatives=label.explicit_negatives,
            negative_outcomes=label.negative_outcomes,
        )
    latest = latest_outcomes(
        outcomes.lazy().filter(pl.col("received_at") <= pl.lit(as_utc(as_of)))
    ).collect()
    if task == "multiclass":
        if label.classes is None:
            raise SchemaError("label.classes: a multiclass label needs the list of its classes")
        values = _class_values(latest["outcome"], label.classes)
    else:
        values = _numeric_values(latest["outcome"])
    known = pl.DataFrame({event_id: latest["event_id"], "label": values})
    return events.join(known, on=event_id, how="left", maintain_order="left").with_columns(
        label_status=pl.when(pl.col("label").is_null())
        .then(pl.lit(PENDING))
        .otherwise(pl.lit(LABELLED)),
    )


def _class_values(outcomes: pl.Series, classes: Sequence[str]) -> pl.Series:
    """The outcomes as class names, refusing any name outside ``classes``.

    >>> _class_values(pl.Series(["a", "z"]), ["a", "b"])
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: outcome class 'z' is not in label.classes (a, b)
    """
    if outcomes.dtype == pl.Null:
        return outcomes.cast(pl.String)
    if outcomes.dtype != pl.String:
        raise SchemaError(
            f"a multiclass outcome must be a class name (a string), not {outcomes.dtype}"
        )
    unknown = outcomes.filter(~outcomes.is_in(list(classes)) & outcomes.is_not_null()).unique(
        maintain_order=True
    )
    if unknown.len():
        raise SchemaError(
            f"outcome class {unknown[0]!r} is not in label.classes ({', '.join(classes)})"
        )
    return outcomes


def _numeric_values(outcomes: pl.Series) -> pl.Series:
    """The outcomes as Float64, refusing text that is no number and non-finite values.

    >>> _numeric_values(pl.Series(["1.5", "lots"]))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: regression outcome 'lots' is not a number
    """
    values = outcomes
    if outcomes.dtype == pl.String:
        values = outcomes.str.strip_chars().cast(pl.Float64, strict=False)
        failed = outcomes.filter(values.is_null() & outcomes.is_not_null())
        if failed.len():
            raise SchemaError(f"regression outcome {failed[0]!r} is not a number")
    elif not (outcomes.dtype.is_numeric() or outcomes.dtype == pl.Null):
        raise SchemaError(f"a regression outcome must be a number, not {outcomes.dtype}")
    values = values.cast(pl.Float64)
    infinite = values.filter(~values.is_finite())
    if infinite.len():
        raise SchemaError(f"regression outcome {infinite[0]} is not a finite number")
    return values


__all__ = ["LABELLED", "attach_task_labels"]
