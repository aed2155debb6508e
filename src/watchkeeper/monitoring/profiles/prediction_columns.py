"""The prediction columns a reference profile holds per task, beside the inputs or features.

A model's predictions are profiled like a feature, so prediction drift is measured on the
same binning as input drift: binary ``score``; multiclass ``decision`` (the decided class,
as categories) and ``score`` (its probability); regression ``prediction``.

>>> prediction_columns_for_profile("multiclass")
('decision', 'score')
>>> PREDICTION_KINDS["decision"]
'categorical'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchkeeper.config import ModelTask
    from watchkeeper.monitoring.profiles.profile_plan import FeatureKind

SCORE_COLUMN = "score"
"""A binary model's score, or the probability of a multiclass model's decided class."""

DECISION_COLUMN = "decision"
"""A multiclass model's decided class (a binary one's flag, in an external profile)."""

PREDICTION_COLUMN = "prediction"
"""A regression model's predicted number."""

_PROFILED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "binary": (SCORE_COLUMN,),
        "multiclass": (DECISION_COLUMN, SCORE_COLUMN),
        "regression": (PREDICTION_COLUMN,),
    }
)

PREDICTION_KINDS: Mapping[str, FeatureKind] = MappingProxyType(
    {SCORE_COLUMN: "numeric", DECISION_COLUMN: "categorical", PREDICTION_COLUMN: "numeric"}
)
"""How each prediction column is profiled."""


def prediction_columns_for_profile(task: ModelTask) -> tuple[str, ...]:
    """The prediction columns a reference profile of a ``task`` model holds."""
    return _PROFILED[task]


__all__ = [
    "DECISION_COLUMN",
    "PREDICTION_COLUMN",
    "PREDICTION_KINDS",
    "SCORE_COLUMN",
    "prediction_columns_for_profile",
]
