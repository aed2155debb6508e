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

Every comparison reports the gate's power (:mod:`~watchkeeper.training.gate_power`): the
chance it would accept a challenger truly better by the margin plus
``retraining.detectable_effect`` of the champion's room for improvement (its distance from
the metric's best value on the holdout, :func:`metric_ceiling`). A challenger that does not pass is
*refused* only when that power reaches ``retraining.min_power`` or when its interval already
lies at or below the margin; otherwise the verdict is *undecided* — the holdout holds too few
positives to tell — and the result says how many positives would do.

Before any scoring, :func:`check_holdout` stops at a holdout that cannot support a fair
comparison: fewer positives than ``retraining.min_positives`` (a
:class:`~watchkeeper.errors.NotEnoughLabelsError`: too early, not a refusal), or columns the
champion needs missing or no longer numeric (a :class:`~watchkeeper.errors.TrainingDataError`
or :class:`~watchkeeper.errors.SchemaError` naming the problem).

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
>>> result.accepted, result.interval.excludes_zero, result.outcome
(True, True, 'accepted')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.config import BusinessValueConfig, RetrainingConfig
from watchkeeper.errors import NotEnoughLabelsError, SchemaError, TrainingDataError
from watchkeeper.modeling.model import Model, check_feature_columns
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
from watchkeeper.training.gate_power import GatePower, gate_power


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


class GateOutcome:
    """The verdict's name, for a gate result with ``accepted`` and ``undecided``."""

    accepted: bool
    undecided: bool

    @property
    def outcome(self) -> str:
        """``accepted``, ``refused`` or ``undecided`` (never undecided when accepted)."""
        return "accepted" if self.accepted else "undecided" if self.undecided else "refused"


@dataclass(frozen=True)
class GateResult(GateOutcome):
    """The gate's verdict and all its evidence.

    ``undecided`` (never with ``accepted``): the holdout could not support a refusal;
    ``power`` is the gate's power and ``positives_needed`` how many holdout positives would
    give it ``retraining.min_power`` (None when that cannot be told).
    """

    accepted: bool
    reason: str
    primary_metric: str
    champion: ModelEvaluation
    challenger: ModelEvaluation
    champion_value: float
    challenger_value: float
    interval: BootstrapInterval
    margin: float
    undecided: bool = False
    power: GatePower | None = None
    positives_needed: int | None = None

    def evidence(self) -> dict[str, Any]:
        """A JSON-ready record of the comparison, for the audit log."""
        return {
            "primary_metric": self.primary_metric,
            "outcome": self.outcome,
            "champion_value": self.champion_value,
            "challenger_value": self.challenger_value,
            "margin": self.margin,
            "bootstrap": self.interval.to_dict(),
            "power": power_evidence(self.power, self.champion.positives, self.positives_needed),
            "holdout_rows": self.champion.rows,
            "holdout_positives": self.champion.positives,
        }


def power_evidence(
    power: GatePower | None, sample: float, needed: int | None, unit: str = "positives"
) -> dict[str, Any] | None:
    """The power's record with the holdout's ``sample`` (of ``unit``) and what would do."""
    if power is None:
        return None
    return {**power.to_dict(), unit: sample, f"{unit}_needed": needed}


def check_holdout(
    holdout: Holdout, *, min_positives: int, champion: Contender | None = None
) -> None:
    """Refuse a holdout that cannot decide fairly; return quietly when it can.

    >>> holdout = Holdout(pl.DataFrame({"x": [0.1, 0.9]}), np.array([0, 1]), np.ones(2))
    >>> check_holdout(holdout, min_positives=50)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.NotEnoughLabelsError: the holdout holds 1 positive(s) in 2 rows, fewer than retraining.min_positives (50): too few to tell two models apart
    """
    if holdout.positives < min_positives:
        raise NotEnoughLabelsError(
            f"the holdout holds {holdout.positives} positive(s) in {holdout.rows} rows, fewer "
            f"than retraining.min_positives ({min_positives}): too few to tell two models apart",
            have=holdout.positives,
            needed=min_positives,
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
        ceiling=metric_ceiling(retraining.primary_metric, holdout, business),
    )
    needed = compared.sample_needed(holdout.positives)
    return GateResult(
        accepted=compared.accepted,
        reason=compared.reason(
            f"{retraining.primary_metric} difference",
            "challenger minus champion",
            (holdout.positives, needed, "positives"),
        ),
        primary_metric=retraining.primary_metric,
        champion=champion_result,
        challenger=challenger_result,
        champion_value=compared.champion_value,
        challenger_value=compared.challenger_value,
        interval=compared.interval,
        margin=retraining.margin,
        undecided=compared.undecided,
        power=compared.power,
        positives_needed=needed,
    )


@dataclass(frozen=True)
class StatisticComparison:
    """Two models' statistic on all the holdout rows, the bootstrap interval of the
    difference (challenger minus champion), the gate's margin and its power (None: not
    computed, every verdict stands)."""

    champion_value: float
    challenger_value: float
    interval: BootstrapInterval
    margin: float
    power: GatePower | None = None

    @property
    def accepted(self) -> bool:
        """The gate's rule: the difference is above the margin and its interval above zero."""
        return self.interval.difference > self.margin and self.interval.excludes_zero

    @property
    def undecided(self) -> bool:
        """Not accepted, and not refusable either: the gate's power is below
        ``retraining.min_power`` and the interval still holds differences above the margin
        (an interval at or below the margin refuses, whatever the power)."""
        if self.accepted or self.power is None or self.power.sufficient:
            return False
        return not self.interval.high <= self.margin

    def sample_needed(self, sample: float) -> int | None:
        """Positives (or labelled rows) that would give the gate its power, from ``sample``."""
        return None if self.power is None else self.power.sample_needed(sample)

    def reason(
        self, measure: str, relation: str, sample: tuple[float, int | None, str] | None = None
    ) -> str:
        """The verdict in words: ``measure`` names the difference, ``relation`` how it is
        taken; ``sample`` (the holdout's count, the count needed, their unit) says, for an
        undecided verdict, how much more would do.

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
        power = "" if self.power is None else f"; {self.power.describe()}"
        if self.accepted:
            return f"challenger beats the champion: {figures}, above the margin {margin:g}{power}"
        if self.undecided:
            assert self.power is not None
            have = "" if sample is None else f" on {sample[0]:g} {sample[2]}"
            more = "" if sample is None or sample[1] is None else f"; about {sample[1]} needed"
            return (
                f"the gate cannot decide{have}: {figures}{power}, below retraining.min_power "
                f"{self.power.min_power:g}{more}"
            )
        if interval.difference <= margin:
            return (
                f"challenger does not beat the champion by the margin {margin:g}: {figures}{power}"
            )
        return (
            f"challenger's lead is not significant (the interval includes zero): {figures}{power}"
        )


def compare_statistics(
    champion: CountStatistic,
    challenger: CountStatistic,
    *,
    rows: int,
    retraining: RetrainingConfig,
    seed: int,
    ceiling: float | None = None,
) -> StatisticComparison:
    """Both statistics on all ``rows``, the paired bootstrap of their difference
    (``retraining.bootstrap_samples`` resamples, ``retraining.confidence``, ``seed``) and
    the gate's power; ``ceiling`` is the best value the statistic can take on these rows
    (the champion's room for improvement is measured from it; without it, the champion's
    own absolute value stands in).

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
    champion_value = float(champion(everything)[0])
    challenger_value = float(challenger(everything)[0])
    power = gate_power(
        interval.standard_error,
        room=abs(champion_value) if ceiling is None else ceiling - champion_value,
        margin=retraining.margin,
        detectable_effect=retraining.detectable_effect,
        confidence=retraining.confidence,
        min_power=retraining.min_power,
    )
    return StatisticComparison(
        champion_value=champion_value,
        challenger_value=challenger_value,
        interval=interval,
        margin=retraining.margin,
        power=power,
    )


def primary_statistics(
    metric: str,
    champion: tuple[FloatArray, float],
    challenger: tuple[FloatArray, float],
    holdout: Holdout,
    business: BusinessValueConfig,
) -> tuple[CountStatistic, CountStatistic]:
    """The bootstrap statistic of each model for ``metric`` (champion's first).

    Each takes (scores, threshold) of one model. Rows count by the holdout's label masses.
    """
    labels, weights = holdout.labels, holdout.weights
    positive_mass, _ = holdout.masses
    if metric == names.BUSINESS_VALUE:

        def net_value(scores: FloatArray, threshold: float) -> CountStatistic:
            flags = scores >= threshold
            return weighted_sum(
                value_contributions(flags, labels, holdout.amounts, business, weights)
            )

        return net_value(*champion), net_value(*challenger)
    if metric == names.PR_AUC:
        return (
            weighted_average_precision(champion[0], labels, weights),
            weighted_average_precision(challenger[0], labels, weights),
        )
    if metric == names.RECALL_AT_CHAMPION_FLAG_RATE:
        champion_flags = champion[0] >= champion[1]
        challenger_flags = top_flags(challenger[0], int(champion_flags.sum()))
        return (
            weighted_ratio(champion_flags * positive_mass, positive_mass),
            weighted_ratio(challenger_flags * positive_mass, positive_mass),
        )
    raise ValueError(f"unknown primary metric {metric!r}")


def metric_ceiling(metric: str, holdout: Holdout, business: BusinessValueConfig) -> float:
    """The best value ``metric`` can take on ``holdout``: 1 for the rates and areas; for the
    business value, each row flagged or not, whichever is worth more (every fraud worth its
    review flagged and nothing else), counted by the holdout's label masses.

    >>> holdout = Holdout(pl.DataFrame({"x": [0.0] * 3}), np.array([1, 1, 0]),
    ...                   np.array([100.0, 3.0, 50.0]))
    >>> metric_ceiling("business_value", holdout, BusinessValueConfig(review_cost=5.0))
    95.0
    """
    if metric != names.BUSINESS_VALUE:
        return 1.0
    every = np.ones(holdout.rows, dtype=np.bool_)
    labels, amounts, weights = holdout.labels, holdout.amounts, holdout.weights
    flagged = value_contributions(every, labels, amounts, business, weights)
    passed = value_contributions(~every, labels, amounts, business, weights)
    return float(np.maximum(flagged, passed).sum())


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
    "GateOutcome",
    "GateResult",
    "StatisticComparison",
    "check_champion_columns",
    "check_holdout",
    "check_schema_unchanged",
    "checked_outputs",
    "compare_statistics",
    "metric_ceiling",
    "power_evidence",
    "primary_statistics",
    "scoring_features",
    "top_flags",
    "validation_gate",
]
