"""The validation gate: does the challenger beat the champion, on the same holdout, for sure?

Both models score the same holdout rows, each flags at its own decision threshold, and the
configured primary metric (``retraining.primary_metric``) is measured for both:

- ``business_value`` (default): the net value of the monitoring value model — fraud
  prevented minus review and false-decline costs — in the workspace currency, summed over
  the holdout;
- ``pr_auc``: average precision of the scores (threshold-free);
- ``recall_at_champion_flag_rate``: recall when each model flags as many rows as the
  champion flags at its threshold (the same review capacity); the challenger flags its top
  ``k`` scores.

The challenger passes only if the difference (challenger minus champion) is above
``retraining.margin`` (in the metric's unit) **and** the paired bootstrap interval of the
difference (``retraining.bootstrap_samples`` resamples of the holdout rows, a fixed seed,
``retraining.confidence``) lies entirely above zero. Flags are fixed at the full holdout's
thresholds; a resample reweights rows, it does not re-choose thresholds or refit.

Before any scoring, :func:`check_holdout` refuses a holdout that cannot support a fair
comparison (fewer positives than ``retraining.min_positives``; columns the champion needs
missing or no longer numeric) with a :class:`~watchkeeper.errors.TrainingDataError` or
:class:`~watchkeeper.errors.SchemaError` naming the problem.

>>> from watchkeeper.config import BusinessValueConfig, RetrainingConfig
>>> rng = np.random.default_rng(0)
>>> labels = (rng.random(2000) < 0.1).astype(np.int8)
>>> holdout = Holdout(pl.DataFrame({"signal": labels + rng.normal(0, 0.5, 2000)}), labels,
...                   amounts=np.full(2000, 100.0))
>>> class Scores:
...     def __init__(self, noise): self.noise = noise
...     def predict_scores(self, features):
...         signal = features["signal"].to_numpy()
...         return 1 / (1 + np.exp(-(signal + rng.normal(0, self.noise, signal.size))))
>>> result = validation_gate(Contender(Scores(3.0), 0.7), Contender(Scores(0.0), 0.7), holdout,
...                          retraining=RetrainingConfig(), business=BusinessValueConfig())
>>> result.accepted, result.interval.excludes_zero
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import BusinessValueConfig, RetrainingConfig
from watchkeeper.errors import SchemaError, TrainingDataError
from watchkeeper.training.bootstrap import (
    BootstrapInterval,
    CountStatistic,
    paired_bootstrap,
    weighted_average_precision,
    weighted_ratio,
    weighted_sum,
)
from watchkeeper.training.evaluation import (
    FloatArray,
    Holdout,
    ModelEvaluation,
    evaluate_scores,
    value_contributions,
)
from watchkeeper.training.model import Model, check_feature_columns


class ComparedModel(Protocol):
    """What the gates read of a model in a comparison (binary or another task's)."""

    @property
    def model(self) -> object:
        """The fitted model."""

    @property
    def version(self) -> int | None:
        """Its registered version, if any."""

    @property
    def feature_schema(self) -> Mapping[str, str] | None:
        """Column name to Polars dtype name, as recorded with the version."""

    @property
    def features(self) -> pl.DataFrame | None:
        """Its own feature columns for the holdout's rows, if any."""


@dataclass(frozen=True)
class Contender:
    """A model in the comparison: the model, its decision threshold, and its version if any.

    ``feature_schema`` (column name to Polars dtype name, as recorded with the version) lets
    :func:`check_holdout` name a schema change precisely. ``features``, when given, are this
    model's own feature columns for the holdout's rows, in the same order (the champion's,
    computed with its own fitted feature spec); without it the model scores the holdout's.
    """

    model: Model
    threshold: float
    version: int | None = None
    feature_schema: Mapping[str, str] | None = None
    features: pl.DataFrame | None = None


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict and all its evidence."""

    accepted: bool
    reason: str
    primary_metric: str
    champion: ModelEvaluation
    challenger: ModelEvaluation
    champion_value: float
    challenger_value: float
    interval: BootstrapInterval
    margin: float

    def evidence(self) -> dict[str, Any]:
        """A JSON-ready record of the comparison, for the audit log."""
        return {
            "primary_metric": self.primary_metric,
            "champion_value": self.champion_value,
            "challenger_value": self.challenger_value,
            "margin": self.margin,
            "bootstrap": self.interval.to_dict(),
            "holdout_rows": self.champion.rows,
            "holdout_positives": self.champion.positives,
        }


def check_holdout(
    holdout: Holdout, *, min_positives: int, champion: Contender | None = None
) -> None:
    """Refuse a holdout that cannot decide fairly; return quietly when it can.

    >>> holdout = Holdout(pl.DataFrame({"x": [0.1, 0.9]}), np.array([0, 1]), np.ones(2))
    >>> check_holdout(holdout, min_positives=50)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingDataError: the holdout holds 1 positive(s) in 2 rows, fewer than retraining.min_positives (50): too few to tell two models apart
    """
    if holdout.positives < min_positives:
        raise TrainingDataError(
            f"the holdout holds {holdout.positives} positive(s) in {holdout.rows} rows, fewer "
            f"than retraining.min_positives ({min_positives}): too few to tell two models apart"
        )
    if holdout.positives == holdout.rows:
        raise TrainingDataError("the holdout holds no negative: nothing to compare on")
    check_champion_columns(champion, holdout.features, holdout.rows)


def check_champion_columns(
    champion: ComparedModel | None, features: pl.DataFrame, rows: int
) -> None:
    """Raise :class:`SchemaError` if the champion's recorded columns changed in its features.

    ``features`` are the holdout's (of ``rows`` rows); the champion's own, when it has them,
    are checked instead. A champion without a recorded schema is not checked.

    >>> champion = Contender(None, 0.5, 2, feature_schema={"amount": "Float64"})
    >>> check_champion_columns(champion, pl.DataFrame({"hour": [1.0]}), 1)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: schema change between the champion (version 2) and the new data: amount: missing
    """
    if champion is not None and champion.feature_schema is not None:
        schema = _features(champion, features, rows).schema
        check_schema_unchanged(champion.feature_schema, schema, champion.version)


def check_schema_unchanged(
    recorded: Mapping[str, str], current: pl.Schema, version: int | None = None
) -> None:
    """Raise :class:`SchemaError` if a recorded feature column is missing or changed kind.

    >>> check_schema_unchanged({"amount": "Float64"}, pl.Schema({"amount": pl.String}), 3)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: schema change between the champion (version 3) and the new data: amount: Float64 -> String
    """
    changes = []
    for name, dtype in recorded.items():
        if name not in current:
            changes.append(f"{name}: missing")
        elif str(current[name]) != dtype:
            changes.append(f"{name}: {dtype} -> {current[name]}")
    if changes:
        owner = "the champion" if version is None else f"the champion (version {version})"
        raise SchemaError(f"schema change between {owner} and the new data: {'; '.join(changes)}")


def validation_gate(
    champion: Contender,
    challenger: Contender,
    holdout: Holdout,
    *,
    retraining: RetrainingConfig,
    business: BusinessValueConfig,
    seed: int = 0,
) -> GateResult:
    """Score both models on ``holdout`` and decide whether the challenger passes."""
    check_holdout(holdout, min_positives=retraining.min_positives, champion=champion)
    champion_scores = _scores(champion, holdout)
    challenger_scores = _scores(challenger, holdout)
    champion_result = evaluate_scores(champion_scores, champion.threshold, holdout, business)
    challenger_result = evaluate_scores(challenger_scores, challenger.threshold, holdout, business)
    champion_statistic, challenger_statistic = primary_statistics(
        retraining.primary_metric,
        (champion_scores, champion.threshold),
        (challenger_scores, challenger.threshold),
        holdout,
        business,
    )
    compared = compare_statistics(
        champion_statistic,
        challenger_statistic,
        rows=holdout.rows,
        retraining=retraining,
        seed=seed,
    )
    return GateResult(
        accepted=compared.accepted,
        reason=compared.reason(
            f"{retraining.primary_metric} difference", "challenger minus champion"
        ),
        primary_metric=retraining.primary_metric,
        champion=champion_result,
        challenger=challenger_result,
        champion_value=compared.champion_value,
        challenger_value=compared.challenger_value,
        interval=compared.interval,
        margin=retraining.margin,
    )


@dataclass(frozen=True)
class StatisticComparison:
    """Two models' statistic on all the holdout rows, the bootstrap interval of the
    difference (challenger minus champion) and the gate's margin."""

    champion_value: float
    challenger_value: float
    interval: BootstrapInterval
    margin: float

    @property
    def accepted(self) -> bool:
        """The gate's rule: the difference is above the margin and its interval above zero."""
        return self.interval.difference > self.margin and self.interval.excludes_zero

    def reason(self, measure: str, relation: str) -> str:
        """The verdict in words: ``measure`` names the difference, ``relation`` how it is taken.

        >>> interval = BootstrapInterval(0.02, -0.01, 0.05, 0.95, 200, 200, 0)
        >>> StatisticComparison(0.5, 0.52, interval, 0.0).reason(
        ...     "pr_auc difference", "challenger minus champion")
        "challenger's lead is not significant (the interval includes zero): pr_auc difference +0.02 (challenger minus champion), 95% interval -0.01 to +0.05"
        """
        interval, margin = self.interval, self.margin
        figures = (
            f"{measure} {interval.difference:+.4g} ({relation}), "
            f"{interval.confidence:.0%} interval {interval.low:+.4g} to {interval.high:+.4g}"
        )
        if self.accepted:
            return f"challenger beats the champion: {figures}, above the margin {margin:g}"
        if interval.difference <= margin:
            return f"challenger does not beat the champion by the margin {margin:g}: {figures}"
        return f"challenger's lead is not significant (the interval includes zero): {figures}"


def compare_statistics(
    champion: CountStatistic,
    challenger: CountStatistic,
    *,
    rows: int,
    retraining: RetrainingConfig,
    seed: int,
) -> StatisticComparison:
    """Both statistics on all ``rows`` and the paired bootstrap of their difference
    (``retraining.bootstrap_samples`` resamples, ``retraining.confidence``, ``seed``).

    >>> values = np.linspace(0.0, 1.0, 50)
    >>> compared = compare_statistics(weighted_sum(values), weighted_sum(values + 0.1), rows=50,
    ...     retraining=RetrainingConfig(bootstrap_samples=100), seed=0)
    >>> round(compared.challenger_value - compared.champion_value, 6), compared.accepted
    (5.0, True)
    """
    interval = paired_bootstrap(
        champion,
        challenger,
        rows=rows,
        samples=retraining.bootstrap_samples,
        seed=seed,
        confidence=retraining.confidence,
    )
    everything = np.ones((1, rows))
    return StatisticComparison(
        champion_value=float(champion(everything)[0]),
        challenger_value=float(challenger(everything)[0]),
        interval=interval,
        margin=retraining.margin,
    )


def primary_statistics(
    metric: str,
    champion: tuple[FloatArray, float],
    challenger: tuple[FloatArray, float],
    holdout: Holdout,
    business: BusinessValueConfig,
) -> tuple[CountStatistic, CountStatistic]:
    """The bootstrap statistic of each model for ``metric`` (champion's first).

    Each takes (scores, threshold) of one model. Rows count by the holdout's weights.
    """
    labels = holdout.labels.astype(np.float64)
    weights = holdout.row_weights
    if metric == "business_value":

        def net_value(scores: FloatArray, threshold: float) -> CountStatistic:
            flags = scores >= threshold
            return weighted_sum(
                value_contributions(flags, holdout.labels, holdout.amounts, business) * weights
            )

        return net_value(*champion), net_value(*challenger)
    if metric == "pr_auc":
        return (
            weighted_average_precision(champion[0], labels, weights),
            weighted_average_precision(challenger[0], labels, weights),
        )
    if metric == "recall_at_champion_flag_rate":
        champion_flags = champion[0] >= champion[1]
        challenger_flags = top_flags(challenger[0], int(champion_flags.sum()))
        return (
            weighted_ratio(champion_flags * labels * weights, labels * weights),
            weighted_ratio(challenger_flags * labels * weights, labels * weights),
        )
    raise ValueError(f"unknown primary metric {metric!r}")


def top_flags(scores: FloatArray, count: int) -> npt.NDArray[np.bool_]:
    """Flags on the ``count`` highest scores (earlier rows first on ties).

    >>> top_flags(np.array([0.2, 0.9, 0.5]), 2).tolist()
    [False, True, True]
    """
    flags = np.zeros(scores.size, dtype=np.bool_)
    flags[np.argsort(-scores, kind="stable")[:count]] = True
    return flags


def scoring_features(contender: ComparedModel, features: pl.DataFrame, rows: int) -> pl.DataFrame:
    """The columns ``contender`` scores the holdout on: its own when it has them, else the
    holdout's ``features`` (of ``rows`` rows), checked against its model's feature names.

    >>> contender = Contender(None, 0.5, 4, features=pl.DataFrame({"x": [1.0]}))
    >>> scoring_features(contender, pl.DataFrame({"x": [1.0, 2.0]}), 2)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingDataError: model version 4 has features for 1 rows of a 2-row holdout: both models must score the same rows
    """
    own = _features(contender, features, rows)
    names = getattr(contender.model, "feature_names", None)
    if names is not None:
        check_feature_columns(own.schema, list(names))
    return own


def checked_outputs(
    outputs: npt.ArrayLike, rows: int, version: int | None, noun: str
) -> FloatArray:
    """A model's ``outputs`` on the holdout as float64, one finite number per row.

    >>> checked_outputs([0.5, float("nan")], 2, 7, "scores")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingDataError: model version 7 gave 2 scores for 2 holdout rows, or non-finite ones
    """
    values = np.asarray(outputs, dtype=np.float64)
    if values.shape != (rows,) or not np.isfinite(values).all():
        raise TrainingDataError(
            f"model version {version} gave {values.size} {noun} for "
            f"{rows} holdout rows, or non-finite ones"
        )
    return values


def _features(contender: ComparedModel, features: pl.DataFrame, rows: int) -> pl.DataFrame:
    if contender.features is None:
        return features
    if contender.features.height != rows:
        raise TrainingDataError(
            f"model version {contender.version} has features for {contender.features.height} "
            f"rows of a {rows}-row holdout: both models must score the same rows"
        )
    return contender.features


def _scores(contender: Contender, holdout: Holdout) -> FloatArray:
    features = scoring_features(contender, holdout.features, holdout.rows)
    scores = contender.model.predict_scores(features)
    return checked_outputs(scores, holdout.rows, contender.version, "scores")


__all__ = [
    "ComparedModel",
    "Contender",
    "GateResult",
    "StatisticComparison",
    "check_champion_columns",
    "check_holdout",
    "check_schema_unchanged",
    "checked_outputs",
    "compare_statistics",
    "primary_statistics",
    "scoring_features",
    "top_flags",
    "validation_gate",
]
