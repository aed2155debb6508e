"""One model's results on a labelled holdout: rates, areas and money, at its own threshold.

The money comes from the monitoring value model
(:func:`watchkeeper.monitoring.outcomes.business.business_outcome`), so a holdout's business value and
a production window's are computed alike. :func:`value_contributions` splits the net value
into one number per row (zero for rows not flagged), which is what lets the validation gate
bootstrap it as a weighted sum. A workspace that prices its decisions with
``monitoring.business.cost_matrix`` (the churn example) gets minus the matrix's cost of each
(actual, decided) pair instead, and needs no amounts.

>>> from watchkeeper.config import BusinessValueConfig
>>> holdout = Holdout(pl.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]}), labels=np.array([0, 0, 1, 1]),
...                   amounts=np.array([10.0, 20.0, 100.0, 50.0]))
>>> result = evaluate_scores(np.array([0.1, 0.6, 0.7, 0.9]), 0.65, holdout,
...                          BusinessValueConfig(review_cost=5, false_decline_rate=0,
...                                              false_decline_cost=0))
>>> result.flagged, result.precision, result.recall, result.business_value
(2, 1.0, 1.0, 140.0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import BusinessValueConfig
from watchkeeper.errors import TrainingDataError
from watchkeeper.modeling.label_mass import label_masses, roc_auc_of_masses
from watchkeeper.monitoring.outcomes.business import business_outcome
from watchkeeper.performance.costs import BINARY_CLASSES, cost_matrix_array
from watchkeeper.training.bootstrap import weighted_average_precision
from watchkeeper.training.trainers import checked_sample_weight

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int8]


@dataclass(frozen=True)
class Holdout:
    """Labelled rows to evaluate on: the feature frame, 0/1 labels and transaction amounts.

    Labels must be known (matured, or provisional — the training window's): a null or any
    value but 0 and 1 is refused. ``weights`` (one per row, finite and non-negative; None:
    all 1) are the window's sample weights. A negative counts that many times; a positive of
    weight ``w`` (``1 / F``, a provisional label) stands for ``w`` positives and, being one
    event, takes ``w - 1`` from the negatives (:mod:`watchkeeper.modeling.label_mass`), so
    every rate and sum of money is unbiased while labels are still arriving.
    """

    features: pl.DataFrame
    labels: IntArray
    amounts: FloatArray
    weights: FloatArray | None = None

    def __post_init__(self) -> None:
        labels = np.asarray(self.labels)
        amounts = np.asarray(self.amounts, dtype=np.float64)
        if labels.shape != (self.features.height,) or amounts.shape != labels.shape:
            raise TrainingDataError(
                f"a holdout needs one label and one amount per feature row (got "
                f"{self.features.height} rows, {labels.size} labels, {amounts.size} amounts)"
            )
        if labels.dtype.kind == "f" and np.isnan(labels).any():
            raise TrainingDataError("the holdout holds pending (null) labels: only matured ones")
        if not np.isin(labels, (0, 1)).all():
            raise TrainingDataError("holdout labels must be 0 or 1 (matured labels only)")
        if not np.isfinite(amounts).all():
            raise TrainingDataError("holdout amounts must be finite numbers (no nulls)")
        object.__setattr__(self, "labels", labels.astype(np.int8))
        object.__setattr__(self, "amounts", amounts)
        if self.weights is not None:
            weights = checked_sample_weight(self.weights, self.features.height)
            object.__setattr__(self, "weights", weights)

    @classmethod
    def from_frame(
        cls,
        frame: pl.DataFrame,
        feature_names: list[str],
        *,
        label: str = "label",
        amount: str = "amount",
        weight: str = "weight",
        needs_amounts: bool = True,
    ) -> Holdout:
        """Split a labelled frame into features, labels, amounts and (when the frame has a
        ``weight`` column) weights; without ``needs_amounts`` (money from a cost matrix) a
        frame with no ``amount`` column gets amounts of 0.

        >>> frame = pl.DataFrame({"x": [1.0], "label": [None], "amount": [5.0]})
        >>> Holdout.from_frame(frame, ["x"])
        Traceback (most recent call last):
        ...
        watchkeeper.errors.TrainingDataError: the holdout holds pending (null) labels: only matured ones
        >>> Holdout.from_frame(pl.DataFrame({"x": [1.0], "label": [1]}), ["x"],
        ...                    needs_amounts=False).amounts.tolist()
        [0.0]
        """
        required = (label, amount) if needs_amounts else (label,)
        for column in required:
            if column not in frame.columns:
                raise TrainingDataError(f"the holdout frame has no {column!r} column")
        amounts = (
            frame[amount].cast(pl.Float64).to_numpy()
            if amount in frame.columns
            else np.zeros(frame.height, dtype=np.float64)
        )
        return cls(
            features=frame.select(feature_names),
            labels=frame[label].cast(pl.Float64).to_numpy(),
            amounts=amounts,
            weights=frame[weight].cast(pl.Float64).to_numpy() if weight in frame.columns else None,
        )

    @property
    def rows(self) -> int:
        """How many rows the holdout has."""
        return self.features.height

    @property
    def positives(self) -> int:
        """How many of them are positive (rows: each a positive observed)."""
        return int(self.labels.sum())

    @property
    def masses(self) -> tuple[FloatArray, FloatArray]:
        """Each row's positive and negative mass (:func:`label_masses`)."""
        return label_masses(self.labels, self.weights)

    @property
    def weighted_positives(self) -> float:
        """The positives' total weight: the positive mass they stand for."""
        return float(self.masses[0].sum())


@dataclass(frozen=True)
class ModelEvaluation:
    """A model's results on a holdout at its decision threshold."""

    threshold: float
    rows: int
    positives: int
    flagged: int
    flag_rate: float
    precision: float | None
    recall: float | None
    pr_auc: float | None
    roc_auc: float | None
    business_value: float
    business: dict[str, Any] = field(default_factory=dict)
    weighted_positives: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (recorded with the version and in the audit log)."""
        return asdict(self)


def evaluate_scores(
    scores: npt.ArrayLike, threshold: float, holdout: Holdout, business: BusinessValueConfig
) -> ModelEvaluation:
    """Evaluate a model's holdout ``scores``; a score at or above ``threshold`` is flagged.

    Precision, recall, the areas and the money count each row by the holdout's label masses
    (a provisional positive stands for the positives of its age still to come); ``rows``,
    ``positives``, ``flagged`` and ``flag_rate`` count rows (the traffic reviewed). Precision
    and the areas are unbiased estimates held to [0, 1]: a few flagged provisional positives,
    each standing for several, could otherwise make them exceed 1.
    """
    score_values = np.asarray(scores, dtype=np.float64)
    flags = score_values >= threshold
    positive_mass, negative_mass = holdout.masses
    row_mass = positive_mass + negative_mass
    positives = holdout.positives
    negatives = holdout.rows - positives
    true_positives = float(positive_mass @ flags)
    flagged = int(flags.sum())
    flagged_mass = float(row_mass @ flags)
    positive_weight = float(positive_mass.sum())
    pr_auc = roc_auc = None
    if positives and negatives:
        whole = np.ones((1, holdout.rows))
        pr_auc = float(
            weighted_average_precision(score_values, holdout.labels, holdout.weights)(whole)[0]
        )
        roc_auc = roc_auc_of_masses(score_values, positive_mass, negative_mass)
    expected_fraud = np.divide(
        positive_mass, row_mass, out=np.zeros(holdout.rows), where=row_mass != 0
    )
    outcome = business_outcome(
        pl.DataFrame(
            {
                "amount": holdout.amounts,
                "decision": flags,
                "fraud_probability": expected_fraud,
                "weight": row_mass,
            }
        ),
        business,
        weight="weight",
    )
    value = outcome.net_value
    if business.cost_matrix is not None:
        value = float(
            value_contributions(
                flags, holdout.labels, holdout.amounts, business, holdout.weights
            ).sum()
        )
    return ModelEvaluation(
        threshold=float(threshold),
        rows=holdout.rows,
        positives=positives,
        flagged=flagged,
        flag_rate=flagged / holdout.rows if holdout.rows else 0.0,
        precision=min(1.0, true_positives / flagged_mass) if flagged_mass > 0 else None,
        recall=true_positives / positive_weight if positive_weight else None,
        pr_auc=pr_auc,
        roc_auc=roc_auc,
        business_value=value,
        business=asdict(outcome) if business.cost_matrix is None else {},
        weighted_positives=positive_weight,
    )


def value_contributions(
    flags: npt.NDArray[np.bool_],
    labels: IntArray,
    amounts: FloatArray,
    business: BusinessValueConfig,
    weights: FloatArray | None = None,
) -> FloatArray:
    """Each row's share of the net value: what flagging it saved minus what it cost.

    A flagged fraud adds its amount (fraud prevented) minus the review cost; a flagged
    legitimate transaction costs the review plus the false-decline cost; a row not flagged
    adds nothing. The sum is :class:`~watchkeeper.monitoring.outcomes.business.BusinessOutcome`'s
    ``net_value``. With a ``cost_matrix`` each row is minus the cost of its (actual, decided)
    pair, amounts unused. With ``weights`` each row counts by its label masses
    (:func:`label_masses`).

    >>> value_contributions(np.array([True, True, False]), np.array([1, 0, 1]),
    ...                     np.array([100.0, 50.0, 80.0]), BusinessValueConfig()).tolist()
    [95.0, -8.5, 0.0]
    >>> matrix = {"positive": {"positive": -30.0, "negative": 60.0}, "negative": {"positive": 10.0}}
    >>> value_contributions(np.array([True, True, False]), np.array([1, 0, 1]), np.zeros(3),
    ...                     BusinessValueConfig(cost_matrix=matrix)).tolist()
    [30.0, -10.0, -60.0]

    A provisional fraud of weight 2 prevents two frauds' amounts for one review, and takes
    back the false-decline cost of the silent row that hides the other:

    >>> value_contributions(np.array([True]), np.array([1]), np.array([100.0]),
    ...                     BusinessValueConfig(), np.array([2.0])).tolist()
    [200.0]
    """
    fraud, legitimate = label_masses(labels, weights)
    if business.cost_matrix is not None:
        costs = cost_matrix_array(business.cost_matrix, BINARY_CLASSES)
        # BINARY_CLASSES is (positive, negative): a positive label or a flag is index 0
        decided = np.where(flags, 0, 1)
        matrix_rows: FloatArray = -(fraud * costs[0, decided] + legitimate * costs[1, decided])
        return matrix_rows
    false_decline = legitimate * (
        amounts * business.false_decline_rate + business.false_decline_cost
    )
    per_row = fraud * amounts - (fraud + legitimate) * business.review_cost - false_decline
    contributions: FloatArray = np.where(flags, per_row, 0.0)
    return contributions


__all__ = ["Holdout", "ModelEvaluation", "evaluate_scores", "value_contributions"]
