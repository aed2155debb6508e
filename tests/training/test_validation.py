"""The validation gate: a clearly better challenger passes; an equal or worse one does not."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import average_precision_score

from watchkeeper.config import BusinessValueConfig, RetrainingConfig
from watchkeeper.errors import NotEnoughLabelsError, SchemaError, TrainingDataError
from watchkeeper.modeling.model import FeatureInput, FloatArray
from watchkeeper.modeling.threshold import flag_rate_threshold
from watchkeeper.monitoring.outcomes.business import business_outcome
from watchkeeper.training.bootstrap import resample_counts, weighted_average_precision
from watchkeeper.training.evaluation import Holdout, value_contributions
from watchkeeper.training.validation import Contender, GateResult, validation_gate

METRICS = ["business_value", "pr_auc", "recall_at_champion_flag_rate"]
BUSINESS = BusinessValueConfig()


class ColumnModel:
    """Scores are one column of the features: a model whose quality the test controls."""

    def __init__(self, column: str) -> None:
        self.column = column
        self.feature_names = (column,)

    def predict_scores(self, features: FeatureInput) -> FloatArray:
        assert isinstance(features, pl.DataFrame)
        return features[self.column].to_numpy().astype(np.float64)


@pytest.fixture(scope="module")
def holdout() -> Holdout:
    rng = np.random.default_rng(21)
    rows = 4000
    labels = (rng.random(rows) < 0.05).astype(np.int8)
    signal = labels * 1.5 + rng.normal(0, 1, rows)

    def squash(values: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-values))

    almost = np.where(np.arange(rows) == int(np.flatnonzero(labels)[0]), 10.0, signal)
    features = pl.DataFrame(
        {
            "strong": squash(2 * signal),
            "weak": squash(signal + rng.normal(0, 2.5, rows)),
            "strong_plus_one": squash(2 * almost),
        }
    )
    return Holdout(features, labels, amounts=rng.lognormal(4, 1, rows))


def contender(holdout: Holdout, column: str, version: int | None = None) -> Contender:
    scores = holdout.features[column].to_numpy()
    return Contender(ColumnModel(column), flag_rate_threshold(scores, 0.05), version)


def gate(
    holdout: Holdout, champion: str, challenger: str, metric: str, **settings: object
) -> GateResult:
    config = RetrainingConfig(primary_metric=metric, bootstrap_samples=300, **settings)
    return validation_gate(
        contender(holdout, champion, 1),
        contender(holdout, challenger),
        holdout,
        retraining=config,
        business=BUSINESS,
        seed=5,
    )


@pytest.mark.parametrize("metric", METRICS)
def test_a_clearly_better_challenger_passes_with_an_interval_above_zero(
    holdout: Holdout, metric: str
) -> None:
    result = gate(holdout, "weak", "strong", metric)
    assert result.accepted, result.reason
    assert result.interval.excludes_zero and result.interval.low > 0
    assert result.challenger_value > result.champion_value
    assert result.reason.startswith("challenger beats the champion")
    evidence = result.evidence()
    assert evidence["bootstrap"]["samples"] == 300 and evidence["holdout_rows"] == 4000


@pytest.mark.parametrize("metric", METRICS)
def test_an_equal_challenger_is_refused_and_its_interval_includes_zero(
    holdout: Holdout, metric: str
) -> None:
    result = gate(holdout, "strong", "strong", metric)
    assert not result.accepted
    assert result.interval.difference == 0
    assert result.interval.low <= 0 <= result.interval.high
    assert not result.interval.excludes_zero
    assert "does not beat the champion" in result.reason


@pytest.mark.parametrize("metric", METRICS)
def test_a_worse_challenger_is_refused(holdout: Holdout, metric: str) -> None:
    result = gate(holdout, "strong", "weak", metric)
    assert not result.accepted
    assert result.interval.high < 0 and not result.interval.excludes_zero


def test_a_lead_inside_the_noise_is_not_significant(holdout: Holdout) -> None:
    champion = contender(holdout, "strong", 1)
    # the same scores and threshold, except that one more fraud is flagged
    challenger = Contender(ColumnModel("strong_plus_one"), champion.threshold)
    result = validation_gate(
        champion,
        challenger,
        holdout,
        retraining=RetrainingConfig(bootstrap_samples=300),
        business=BUSINESS,
        seed=5,
    )
    assert result.interval.difference > 0
    assert result.interval.low <= 0
    assert not result.accepted
    assert "not significant" in result.reason


def test_the_margin_must_be_cleared_too(holdout: Holdout) -> None:
    lead = gate(holdout, "weak", "strong", "pr_auc").interval.difference
    result = gate(holdout, "weak", "strong", "pr_auc", margin=lead + 0.01)
    assert result.interval.excludes_zero and not result.accepted
    assert f"by the margin {lead + 0.01:g}" in result.reason
    # refused, not undecided: the gate had the power to show the margin plus a tenth of the
    # weak champion's room for improvement
    assert result.power is not None and result.power.sufficient


def small(holdout: Holdout, rows: int) -> Holdout:
    return Holdout(holdout.features.head(rows), holdout.labels[:rows], holdout.amounts[:rows])


def test_a_holdout_too_small_to_tell_leaves_the_gate_undecided(holdout: Holdout) -> None:
    few = small(holdout, 600)  # 40 positives
    result = gate(few, "weak", "strong", "business_value", min_positives=20)
    assert not result.accepted and result.undecided and result.outcome == "undecided"
    assert result.interval.low < 0 < result.interval.high
    assert result.reason.startswith("the gate cannot decide on 40 positives: business_value")
    assert "below retraining.min_power 0.8" in result.reason
    power = result.evidence()["power"]
    assert power["sufficient"] is False and power["power"] < 0.8
    assert power["positives"] == 40 and power["positives_needed"] > 40
    assert result.positives_needed == power["positives_needed"]
    assert result.evidence()["outcome"] == "undecided"
    # the same comparison with no power asked is the refusal it used to be
    refused = gate(few, "weak", "strong", "business_value", min_positives=20, min_power=0.0)
    assert refused.outcome == "refused" and "not significant" in refused.reason


def test_a_decided_verdict_stands_whatever_the_power(holdout: Holdout) -> None:
    few = small(holdout, 600)
    worse = gate(few, "strong", "weak", "pr_auc", min_positives=20)
    assert worse.power is not None and not worse.power.sufficient
    assert worse.interval.high < 0 and worse.outcome == "refused"  # significantly worse
    better = gate(small(holdout, 300), "weak", "strong", "pr_auc", min_positives=20)
    assert better.power is not None and not better.power.sufficient
    assert better.outcome == "accepted"  # significantly better, if by luck of the draw
    assert "power" in better.reason and "detectable at 80% power" in better.reason


def test_the_bootstrap_is_deterministic_for_a_seed(holdout: Holdout) -> None:
    first = gate(holdout, "weak", "strong", "business_value").interval
    second = gate(holdout, "weak", "strong", "business_value").interval
    assert first == second
    other = validation_gate(
        contender(holdout, "weak"),
        contender(holdout, "strong"),
        holdout,
        retraining=RetrainingConfig(bootstrap_samples=300),
        business=BUSINESS,
        seed=6,
    ).interval
    assert other.difference == first.difference and (other.low, other.high) != (
        first.low,
        first.high,
    )


def test_business_value_is_the_monitoring_value_model(holdout: Holdout) -> None:
    result = gate(holdout, "weak", "strong", "business_value")
    challenger = contender(holdout, "strong")
    flags = holdout.features["strong"].to_numpy() >= challenger.threshold
    outcome = business_outcome(
        pl.DataFrame(
            {"amount": holdout.amounts, "decision": flags, "fraud_probability": holdout.labels}
        ),
        BUSINESS,
    )
    contributions = value_contributions(flags, holdout.labels, holdout.amounts, BUSINESS)
    assert result.challenger_value == pytest.approx(outcome.net_value)
    assert contributions.sum() == pytest.approx(outcome.net_value)
    assert result.challenger.business_value == pytest.approx(outcome.net_value)


def test_a_cost_matrix_prices_binary_decisions_without_amounts(holdout: Holdout) -> None:
    matrix = {"positive": {"positive": -30.0, "negative": 60.0}, "negative": {"positive": 10.0}}
    business = BusinessValueConfig(cost_matrix=matrix)
    frame = holdout.features.with_columns(label=pl.Series(holdout.labels))
    priced = Holdout.from_frame(frame, list(holdout.features.columns), needs_amounts=False)
    challenger, champion = contender(priced, "strong"), contender(priced, "weak", 1)
    flags = priced.features["strong"].to_numpy() >= challenger.threshold
    labels = priced.labels == 1
    # by hand: each caught positive gains 30, each false flag costs 10, each miss costs 60
    expected = 30.0 * (flags & labels).sum() - 10.0 * (flags & ~labels).sum()
    expected -= 60.0 * (~flags & labels).sum()
    result = validation_gate(
        champion,
        challenger,
        priced,
        retraining=RetrainingConfig(bootstrap_samples=300),
        business=business,
        seed=5,
    )
    assert result.challenger_value == pytest.approx(expected)
    assert result.challenger.business_value == pytest.approx(expected)
    assert result.accepted, result.reason


def test_weighted_average_precision_matches_scikit_learn(holdout: Holdout) -> None:
    scores = np.round(holdout.features["weak"].to_numpy(), 2)  # with ties
    statistic = weighted_average_precision(scores, holdout.labels)
    counts = next(resample_counts(holdout.rows, 4, seed=1))
    expected = [
        average_precision_score(holdout.labels, scores, sample_weight=weights) for weights in counts
    ]
    assert statistic(counts) == pytest.approx(expected, abs=1e-12)


def test_too_few_positives_stop_before_scoring(holdout: Holdout) -> None:
    with pytest.raises(
        NotEnoughLabelsError, match=r"fewer than retraining.min_positives \(500\)"
    ) as error:
        gate(holdout, "weak", "strong", "pr_auc", min_positives=500)
    assert (error.value.have, error.value.needed, error.value.unit) == (206, 500, "positives")


def test_a_schema_change_since_the_champion_is_refused_naming_the_column(
    holdout: Holdout,
) -> None:
    base = contender(holdout, "weak", 4)
    for recorded, message in (
        ({"weak": "Float64", "merchant_age": "Int64"}, "merchant_age: missing"),
        ({"weak": "String"}, "weak: String -> Float64"),
    ):
        champion = Contender(base.model, base.threshold, 4, feature_schema=recorded)
        with pytest.raises(SchemaError, match=rf"champion \(version 4\) .*{message}"):
            validation_gate(
                champion,
                contender(holdout, "strong"),
                holdout,
                retraining=RetrainingConfig(),
                business=BUSINESS,
            )


def test_a_model_whose_columns_are_gone_is_refused(holdout: Holdout) -> None:
    lost = Holdout(holdout.features.drop("weak"), holdout.labels, holdout.amounts)
    with pytest.raises(SchemaError, match="lack column"):
        validation_gate(
            contender(holdout, "weak"),
            contender(holdout, "strong"),
            lost,
            retraining=RetrainingConfig(),
            business=BUSINESS,
        )


def test_pending_labels_and_missing_columns_never_reach_the_gate() -> None:
    frame = pl.DataFrame({"x": [0.1, 0.2], "label": [1, None], "amount": [5.0, 6.0]})
    with pytest.raises(TrainingDataError, match="pending"):
        Holdout.from_frame(frame, ["x"])
    with pytest.raises(TrainingDataError, match="no 'amount' column"):
        Holdout.from_frame(frame.drop("amount"), ["x"])


def test_a_champion_scores_its_own_features_of_the_same_rows(holdout: Holdout) -> None:
    own = holdout.features.select(pl.col("strong").alias("own_strong"))
    champion = Contender(ColumnModel("own_strong"), 0.5, 1, features=own)
    result = validation_gate(
        champion,
        Contender(ColumnModel("strong"), 0.5),
        holdout,
        retraining=RetrainingConfig(),
        business=BUSINESS,
    )
    assert result.interval.difference == 0.0 and not result.accepted
    shorter = Contender(ColumnModel("own_strong"), 0.5, 1, features=own.head(10))
    with pytest.raises(TrainingDataError, match="both models must score the same rows"):
        validation_gate(
            shorter,
            Contender(ColumnModel("strong"), 0.5),
            holdout,
            retraining=RetrainingConfig(),
            business=BUSINESS,
        )
