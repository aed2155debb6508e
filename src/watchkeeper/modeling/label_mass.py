"""What a weighted row of binary labels stands for: its positive and its negative mass.

A training window's provisional label (:mod:`watchkeeper.training.label_delay`) gives a
positive received at age ``a`` the weight ``1 / F(a)``: it stands for the positives of events
of its age, most of which have not been received yet. Those hidden positives are among the
rows still silent, each counted as a negative. Counting the weighted positive *and* every
silent row as a whole negative inflates the total: at a score where the probability of a
positive is ``p``, precision comes out as ``p / (1 + p (1 - F))`` instead of ``p`` — lowest
on the highest scores, where the decisions are made.

Here a positive of weight ``w`` stands for ``w`` positives but is still one event, so it
takes ``w - 1`` from the negatives: positive mass ``w``, negative mass ``1 - w`` (below zero
for a provisional positive). In expectation over which positives have been received, the
negative mass at ``p`` is then ``(1 - pF) + pF (1 - 1/F) = 1 - p``, the truth, and so is
every count, rate and sum of money linear in the labels (precision, recall, the value of
the flags). A negative's weight counts it that many times, as usual.

>>> positive, negative = label_masses(np.array([1, 1, 0]), np.array([1.0, 2.5, 2.0]))
>>> positive.tolist(), negative.tolist()
([1.0, 2.5, 0.0], [0.0, -1.5, 2.0])
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def label_masses(
    labels: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> tuple[FloatArray, FloatArray]:
    """Each row's positive mass (its weight for a positive, else 0) and negative mass (its
    weight for a negative, ``1 - weight`` for a positive); weights None count 1.

    >>> [mass.tolist() for mass in label_masses(np.array([1, 0]))]
    [[1.0, 0.0], [0.0, 1.0]]
    """
    positive = np.asarray(labels, dtype=np.float64) == 1.0
    row_weights = (
        np.ones(positive.shape) if weights is None else np.asarray(weights, dtype=np.float64)
    )
    positive_mass: FloatArray = np.where(positive, row_weights, 0.0)
    negative_mass: FloatArray = np.where(positive, 1.0 - row_weights, row_weights)
    return positive_mass, negative_mass


def roc_auc_of_masses(
    scores: npt.ArrayLike, positive_mass: FloatArray, negative_mass: FloatArray
) -> float | None:
    """The area under the ROC curve with each row counted by its masses: the chance that a
    positive outscores a negative, ties counting one half (None without mass on either side).

    With 0/1 labels and non-negative weights it is scikit-learn's weighted ``roc_auc_score``.
    The masses make it an unbiased estimate, which a few heavy provisional positives can push
    out of [0, 1]; the area is held to that range, where the truth lies.

    >>> roc_auc_of_masses(np.array([0.9, 0.5, 0.5, 0.1]), *label_masses(np.array([1, 1, 0, 0])))
    0.875
    """
    values = np.asarray(scores, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    ascending = values[order]
    starts = np.r_[True, ascending[1:] != ascending[:-1]]
    tie_group = np.cumsum(starts) - 1
    positives = np.bincount(tie_group, weights=positive_mass[order])
    negatives = np.bincount(tie_group, weights=negative_mass[order])
    total_positive, total_negative = float(positives.sum()), float(negatives.sum())
    if total_positive <= 0 or total_negative <= 0:
        return None
    below = np.cumsum(negatives) - negatives
    area = float(positives @ (below + 0.5 * negatives)) / (total_positive * total_negative)
    return min(1.0, max(0.0, area))


__all__ = ["label_masses", "roc_auc_of_masses"]
