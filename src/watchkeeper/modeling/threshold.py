"""The decision threshold: a score at or above it flags the transaction for review.

It is chosen on validation data by the workspace's ``training.threshold`` policy and stored
with the model version:

- ``flag_rate`` (review capacity): flag the ``target`` share of transactions. With ``n``
  validation scores, ``k = ceil(target * n)`` (at least 1) and the threshold is the k-th
  highest score, so at least ``k`` rows are flagged (more when scores tie at the threshold).
- ``precision``: the lowest threshold, among the distinct validation scores, whose flagged
  rows reach the ``target`` precision — the most recall that keeps the precision. Fallback
  when no threshold reaches it: the threshold of the highest precision seen (the lowest such
  score on ties), with ``target_reached`` false so the shortfall is on record.

With sample ``weights`` (a window's provisional labels), precision and recall count each row
by its label masses (:mod:`watchkeeper.modeling.label_mass`: a positive of weight ``w``
stands for ``w`` positives and takes ``w - 1`` from the negatives, so the silent rows that
hide the positives it stands for do not count twice); the flag rate still counts rows, as
review capacity is in transactions.

>>> scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
>>> labels = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
>>> choose_threshold(scores, labels, ThresholdPolicy(policy="flag_rate", target=0.2)).value
0.8
>>> chosen = choose_threshold(scores, labels, ThresholdPolicy(policy="precision", target=0.6))
>>> chosen.value, round(chosen.precision, 3), chosen.recall
(0.7, 0.667, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from watchkeeper.config.lifecycle import ThresholdPolicy
from watchkeeper.errors import TrainingDataError
from watchkeeper.modeling.label_mass import label_masses


@dataclass(frozen=True)
class DecisionThreshold:
    """The chosen threshold and what it did on the validation rows it was chosen on."""

    value: float
    policy: str
    target: float
    target_reached: bool
    flag_rate: float
    precision: float | None
    recall: float | None
    validation_rows: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, stored with the model version."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionThreshold:
        """Rebuild from :meth:`to_dict`'s output."""
        return cls(**data)


def choose_threshold(
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    policy: ThresholdPolicy,
    weights: npt.ArrayLike | None = None,
) -> DecisionThreshold:
    """Choose the threshold on validation ``scores`` and their 0/1 ``labels`` by ``policy``
    (rows counted by ``weights`` for precision and recall, when given).

    A provisional positive of weight 2 at 0.7 says one of the silent rows there, 0.6, hides
    a positive too:

    >>> chosen = choose_threshold(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0]),
    ...                           ThresholdPolicy(policy="precision", target=0.75),
    ...                           weights=np.array([1.0, 1.0, 2.0, 1.0]))
    >>> chosen.value, chosen.precision, chosen.recall
    (0.6, 0.75, 1.0)
    """
    score_values = np.asarray(scores, dtype=np.float64)
    label_values = np.asarray(labels, dtype=np.int64)
    weight_values = (
        np.ones(score_values.size) if weights is None else np.asarray(weights, dtype=np.float64)
    )
    if score_values.size == 0 or not (
        score_values.shape == label_values.shape == weight_values.shape
    ):
        raise TrainingDataError(
            f"choosing a threshold needs one label per score (and one weight, if weighted) and "
            f"at least one row (got {score_values.size} scores, {label_values.size} labels"
            + ("" if weights is None else f", {weight_values.size} weights")
            + ")"
        )
    if policy.policy == "flag_rate":
        value = flag_rate_threshold(score_values, policy.target)
        reached = True
    else:
        value, reached = precision_threshold(
            score_values, label_values, policy.target, weight_values
        )
    flags = score_values >= value
    positive_mass, negative_mass = label_masses(label_values, weight_values)
    true_positives = float(positive_mass @ flags)
    positives = float(positive_mass.sum())
    flagged = float((positive_mass + negative_mass) @ flags)
    return DecisionThreshold(
        value=value,
        policy=policy.policy,
        target=policy.target,
        target_reached=reached,
        flag_rate=int(flags.sum()) / score_values.size,
        precision=true_positives / flagged if flagged else None,
        recall=true_positives / positives if positives else None,
        validation_rows=int(score_values.size),
    )


def flag_rate_threshold(scores: npt.NDArray[np.float64], target: float) -> float:
    """The k-th highest score, ``k = ceil(target * n)`` (at least 1).

    >>> flag_rate_threshold(np.array([0.1, 0.4, 0.3, 0.2]), 0.5)
    0.3
    """
    if not 0 < target < 1:
        raise ValueError(f"target flag rate {target} must lie strictly between 0 and 1")
    flagged = max(1, math.ceil(target * scores.size - 1e-9))
    descending = np.sort(scores)[::-1]
    return float(descending[flagged - 1])


def precision_threshold(
    scores: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    target: float,
    weights: npt.NDArray[np.float64] | None = None,
) -> tuple[float, bool]:
    """The lowest score whose flags reach ``target`` precision (rows counted by their label
    masses under ``weights`` when given), and whether any did.

    >>> precision_threshold(np.array([0.9, 0.8, 0.7]), np.array([0, 1, 0]), 0.9)
    (0.8, False)
    """
    if int(labels.sum()) == 0:
        raise TrainingDataError(
            "the precision policy needs positives in the validation rows, and there are none"
        )
    order = np.argsort(-scores, kind="stable")
    descending = scores[order]
    positive_mass, negative_mass = label_masses(
        labels[order], None if weights is None else weights[order]
    )
    true_positives = np.cumsum(positive_mass)
    flagged = np.cumsum(positive_mass + negative_mass)
    last_of_tie = np.r_[descending[1:] != descending[:-1], True]
    cut_scores = descending[last_of_tie]
    with np.errstate(invalid="ignore", divide="ignore"):
        cut_precision = np.where(
            flagged[last_of_tie] > 0, true_positives[last_of_tie] / flagged[last_of_tie], 0.0
        )
    reaching = np.flatnonzero(cut_precision >= target - 1e-12)
    if reaching.size:
        return float(cut_scores[reaching[-1]]), True
    best = np.flatnonzero(cut_precision == cut_precision.max())
    return float(cut_scores[best[-1]]), False


__all__ = [
    "DecisionThreshold",
    "choose_threshold",
    "flag_rate_threshold",
    "precision_threshold",
]
