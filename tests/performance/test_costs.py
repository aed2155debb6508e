"""Money per task: cost matrices and costs of under/over-prediction, by hand and simulated."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.config import BusinessValueConfig
from watchkeeper.performance import (
    BINARY_CLASSES,
    MetricInputError,
    cost_matrix_value,
    expected_cost_matrix_value,
    regression_cost,
)
from watchkeeper.performance.costs import binary_money, expected_binary_money

QUEUES = ["billing", "bug", "sales"]
QUEUE_COSTS = {
    "billing": {"bug": 4.0, "sales": 2.0},
    "bug": {"billing": 10.0, "sales": 12.0, "bug": -1.0},
    "sales": {"billing": 1.0},
}


def test_multiclass_cost_by_hand() -> None:
    value = cost_matrix_value(
        ["billing", "bug", "bug", "sales", None],
        ["bug", "bug", "sales", "sales", "billing"],
        QUEUE_COSTS,
        QUEUES,
    )
    # 4 + (-1) + 12 + 0 (pair left out); the pending row does not count
    assert (value.events, value.total, value.mean, value.estimated) == (4, 15.0, 3.75, False)


def test_binary_cost_from_the_workspace_business_section() -> None:
    business = BusinessValueConfig(
        cost_matrix={
            "positive": {"negative": 250.0, "positive": -40.0},
            "negative": {"positive": 8.0},
        }
    )
    assert business.cost_matrix is not None
    value = cost_matrix_value(
        ["positive", "positive", "negative", "negative"],
        ["positive", "negative", "positive", "negative"],
        business.cost_matrix,
        BINARY_CLASSES,
    )
    assert value.total == pytest.approx(-40 + 250 + 8)


def test_realized_cost_matches_a_plain_loop() -> None:
    generator = np.random.default_rng(0)
    actual = list(generator.choice(QUEUES, 500))
    predicted = list(generator.choice(QUEUES, 500))
    expected = sum(
        QUEUE_COSTS.get(a, {}).get(p, 0.0) for a, p in zip(actual, predicted, strict=True)
    )
    value = cost_matrix_value(actual, predicted, QUEUE_COSTS, QUEUES)
    assert value.total == pytest.approx(expected)
    assert value.mean == pytest.approx(expected / 500)


def test_expected_cost_is_the_mean_of_realized_costs_when_labels_follow_the_probabilities() -> None:
    generator = np.random.default_rng(1)
    probabilities = generator.dirichlet([2.0, 1.0, 1.0], 400)
    predicted = [QUEUES[index] for index in probabilities.argmax(axis=1)]
    expected = expected_cost_matrix_value(probabilities, predicted, QUEUE_COSTS, QUEUES)
    cumulative = np.cumsum(probabilities, axis=1)
    totals = []
    for _ in range(500):
        drawn = np.minimum((generator.random((400, 1)) > cumulative).sum(axis=1), 2)
        totals.append(
            cost_matrix_value([QUEUES[i] for i in drawn], predicted, QUEUE_COSTS, QUEUES).total
        )
    # a window's total spreads by about 66 around 690: the mean of 500 windows has a
    # standard error of 3; measured difference 0.3
    assert expected.estimated
    assert np.mean(totals) == pytest.approx(expected.total, abs=9.0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(QUEUES), st.sampled_from(QUEUES)), min_size=1, max_size=30)
)
def test_certain_probabilities_give_the_realized_cost(pairs: list[tuple[str, str]]) -> None:
    actual = [a for a, _ in pairs]
    predicted = [p for _, p in pairs]
    certain = np.eye(3)[[QUEUES.index(a) for a in actual]]
    expected = expected_cost_matrix_value(certain, predicted, QUEUE_COSTS, QUEUES)
    assert expected.total == pytest.approx(
        cost_matrix_value(actual, predicted, QUEUE_COSTS, QUEUES).total
    )


def test_expected_binary_cost_by_hand() -> None:
    matrix = {"positive": {"negative": 100.0}, "negative": {"positive": 5.0}}
    p = np.array([0.9, 0.1, 0.5])
    value = expected_cost_matrix_value(
        np.column_stack([p, 1 - p]), ["positive", "negative", "negative"], matrix, BINARY_CLASSES
    )
    # flagged 0.9: 0.1 x 5; passed 0.1: 0.1 x 100; passed 0.5: 0.5 x 100
    assert value.total == pytest.approx(0.5 + 10 + 50)
    assert value.mean == pytest.approx(60.5 / 3)


def test_regression_cost_by_hand_and_against_a_loop() -> None:
    value = regression_cost(
        [100.0, 100.0, 50.0, None], [90.0, 104.0, 50.0, 3.0], under_cost=3.0, over_cost=0.5
    )
    assert (value.events, value.under_total, value.over_total, value.total) == (3, 30.0, 2.0, 32.0)
    assert value.mean == pytest.approx(32 / 3)
    generator = np.random.default_rng(2)
    actual = generator.gamma(2.0, 10.0, 300)
    predicted = actual + generator.normal(0, 5, 300)
    expected = sum(
        3.0 * (a - p) if p < a else 0.5 * (p - a) for a, p in zip(actual, predicted, strict=True)
    )
    assert regression_cost(actual, predicted, 3.0, 0.5).total == pytest.approx(expected)


def test_empty_windows_cost_nothing() -> None:
    assert cost_matrix_value([None], ["bug"], QUEUE_COSTS, QUEUES).mean is None
    assert regression_cost([None], [1.0], 1.0, 1.0).mean is None


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ({"refund": {"bug": 1.0}}, "cost_matrix: 'refund' is not one of the classes"),
        ({"bug": {"refunds": 1.0}}, "cost_matrix: 'refunds' is not one of the classes"),
        ({"bug": {"sales": float("nan")}}, "'bug' -> 'sales' costs nan, not a finite number"),
    ],
)
def test_a_bad_cost_matrix_is_named(matrix: dict[str, dict[str, float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cost_matrix_value(["bug"], ["bug"], matrix, QUEUES)
    with pytest.raises(MetricInputError, match=message):
        expected_cost_matrix_value([[0.0, 1.0, 0.0]], ["bug"], matrix, QUEUES)


def test_bad_values_are_named() -> None:
    with pytest.raises(MetricInputError, match="actual: 'spam' is not one of the classes"):
        cost_matrix_value(["spam"], ["bug"], QUEUE_COSTS, QUEUES)
    with pytest.raises(MetricInputError, match="predicted: 'spam' is not one of the classes"):
        expected_cost_matrix_value([[0.0, 1.0, 0.0]], ["spam"], QUEUE_COSTS, QUEUES)
    with pytest.raises(MetricInputError, match=r"row 0 sums to 1\.5"):
        expected_cost_matrix_value([[0.5, 1.0, 0.0]], ["bug"], QUEUE_COSTS, QUEUES)
    with pytest.raises(MetricInputError, match=r"under_cost: -1\.0 must be a finite number >= 0"):
        regression_cost([1.0], [2.0], under_cost=-1.0, over_cost=1.0)
    with pytest.raises(MetricInputError, match="predicted: row 0 is nan"):
        regression_cost([1.0], [float("nan")], under_cost=1.0, over_cost=1.0)


CHURN_COSTS = {
    "positive": {"positive": -30.0, "negative": 60.0},
    "negative": {"positive": 10.0, "negative": 0.0},
}


def test_binary_money_by_hand() -> None:
    # TP -30, FN 60, FP 10, TN 0, FP 10; the pending row is left out
    money = binary_money([1, 1, 0, 0, 0, None], [True, False, True, False, True, True], CHURN_COSTS)
    assert (money.events, money.cost, money.cost_per_event) == (5, 50.0, 10.0)
    # no model decides all five negative: the two churners cost 60 each
    assert (money.baseline_cost, money.business_value) == (120.0, 70.0)
    assert money.value_against_baseline == money.business_value
    assert not money.estimated
    assert money.metrics() == {
        "cost": 50.0,
        "cost_per_event": 10.0,
        "business_value": 70.0,
        "value_against_baseline": 70.0,
    }


def test_binary_money_against_a_rule_baseline_by_hand() -> None:
    # the rule flags the first and third events: -30 + 60 + 10 + 0 + 0 = 40
    money = binary_money(
        [1, 1, 0, 0, 0],
        [True, False, True, False, True],
        CHURN_COSTS,
        baseline_decisions=[True, False, True, False, False],
    )
    assert (money.cost, money.baseline_cost) == (50.0, 40.0)
    assert (money.business_value, money.value_against_baseline) == (70.0, -10.0)


def test_an_explicit_zero_label_is_a_negative_not_a_pending_event() -> None:
    # a feed of 0/1 labels: 0 and False are negatives and cost a flag 10; None and NaN wait
    for negatives in ([0, 0], [False, False], np.array([0.0, 0.0])):
        money = binary_money(negatives, [True, True], CHURN_COSTS)
        assert (money.events, money.cost) == (2, 20.0)
    pending = binary_money(np.array([np.nan, 1.0]), [True, True], CHURN_COSTS)
    assert (pending.events, pending.cost) == (1, -30.0)
    assert binary_money([None], [True], CHURN_COSTS).metrics()["cost"] is None


def test_expected_binary_money_by_hand_and_as_the_general_cost_matrix() -> None:
    p = np.array([0.8, 0.3, 0.05])
    decided = [True, True, False]
    money = expected_binary_money(p, decided, CHURN_COSTS)
    # 0.8 x -30 + 0.2 x 10 = -22; 0.3 x -30 + 0.7 x 10 = -2; 0.05 x 60 = 3
    assert money.cost == pytest.approx(-21.0)
    # no model: (0.8 + 0.3 + 0.05) x 60 = 69
    assert money.business_value == pytest.approx(69.0 + 21.0)
    assert money.estimated and money.metrics()["estimated_cost"] == pytest.approx(-21.0)
    general = expected_cost_matrix_value(
        np.column_stack([p, 1 - p]),
        ["positive" if flag else "negative" for flag in decided],
        CHURN_COSTS,
        BINARY_CLASSES,
    )
    assert money.cost == pytest.approx(general.total)


def test_expected_money_on_calibrated_scores_is_the_mean_realized_money() -> None:
    generator = np.random.default_rng(3)
    p = generator.beta(1.0, 6.0, 2_000)  # calibrated: each event churns with probability p
    decided = p >= np.quantile(p, 0.9)
    rule = p >= np.quantile(p, 0.5)
    expected = expected_binary_money(p, decided, CHURN_COSTS, baseline_decisions=rule)
    realized = [
        binary_money((generator.random(p.size) < p).astype(int), decided, CHURN_COSTS, rule)
        for _ in range(1_000)
    ]
    # one window's cost spreads by about 880 (1,800 unflagged events, each 60 with
    # probability p): the mean of 1,000 windows has a standard error near 28; within four
    for name in ("cost", "business_value", "value_against_baseline"):
        draws = np.array([getattr(money, name) for money in realized])
        error = draws.std(ddof=1) / np.sqrt(draws.size)
        assert abs(draws.mean() - getattr(expected, name)) < 4 * error, name


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=30))
def test_certain_probabilities_give_the_realized_binary_money(
    pairs: list[tuple[bool, bool]],
) -> None:
    labels = [int(actual) for actual, _ in pairs]
    decided = [flag for _, flag in pairs]
    certain = expected_binary_money(np.array(labels, dtype=float), decided, CHURN_COSTS)
    realized = binary_money(labels, decided, CHURN_COSTS)
    assert certain.cost == pytest.approx(realized.cost)
    assert certain.business_value == pytest.approx(realized.business_value)


def test_bad_binary_inputs_are_named() -> None:
    with pytest.raises(MetricInputError, match=r"a binary label is 1, 0 or None \(got 2\)"):
        binary_money([2], [True], CHURN_COSTS)
    with pytest.raises(MetricInputError, match="not text"):
        binary_money(["1"], [True], CHURN_COSTS)
    with pytest.raises(MetricInputError, match="every event needs a decision"):
        binary_money([1], [None], CHURN_COSTS)
    with pytest.raises(MetricInputError, match=r"probabilities: each must be a finite number"):
        expected_binary_money([1.5], [True], CHURN_COSTS)
    with pytest.raises(MetricInputError, match="'churned' is not one of the classes"):
        binary_money([1], [True], {"churned": {"positive": 1.0}})
