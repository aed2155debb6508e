"""Negative down-sampling: which rows the trainer sees, and that the weights keep the learnt
rates unbiased (checked against a logistic regression fitted on every row)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression

from watchkeeper.config import TrainingConfig
from watchkeeper.errors import ConfigError
from watchkeeper.training.negative_sample import NegativeSample


def ids(count: int) -> pl.Series:
    return pl.Series("event_id", [f"tx-{index}" for index in range(count)])


def test_every_positive_is_kept_and_about_the_fraction_of_negatives() -> None:
    rng = np.random.default_rng(0)
    labels = (rng.random(40_000) < 0.02).astype(np.int8)
    kept, factor = NegativeSample(0.25, seed=3).choose(labels, ids(labels.size))
    assert kept[labels == 1].all()
    share = kept[labels == 0].mean()
    assert abs(share - 0.25) < 4 * np.sqrt(0.25 * 0.75 / (labels == 0).sum())
    assert set(factor[labels == 0]) == {4.0} and set(factor[labels == 1]) == {1.0}


def test_an_event_s_fate_depends_on_its_id_and_the_seed_only() -> None:
    labels = np.zeros(2_000, dtype=np.int8)
    sample = NegativeSample(0.3, seed=1)
    kept, _ = sample.choose(labels, ids(2_000))
    # the same events in another window, in another order, among other rows
    order = np.random.default_rng(5).permutation(1_000)
    shuffled = ids(2_000).gather(order)
    again, _ = sample.choose(labels[:1_000], shuffled)
    assert (again == kept[order]).all()
    other, _ = NegativeSample(0.3, seed=2).choose(labels, ids(2_000))
    assert (other != kept).mean() > 0.2


def test_the_weights_keep_a_logistic_model_s_intercept_unbiased() -> None:
    """Dropping three negatives in four shifts the log-odds by log 4 unless each kept
    negative weighs 4; with the weights the fit matches the fit on every row."""
    rng = np.random.default_rng(11)
    rows = 200_000
    x = rng.normal(size=(rows, 2))
    log_odds = -4.0 + 1.2 * x[:, 0] - 0.8 * x[:, 1]
    labels = (rng.random(rows) < 1 / (1 + np.exp(-log_odds))).astype(np.int8)
    kept, factor = NegativeSample(0.25).choose(labels, ids(rows))

    def fit(rows_kept: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        model = LogisticRegression(C=1e6, max_iter=1_000)
        model.fit(x[rows_kept], labels[rows_kept], sample_weight=weights)
        return np.concatenate([model.intercept_, model.coef_[0]])

    every = fit(np.ones(rows, dtype=bool), None)
    weighted = fit(kept, factor[kept])
    unweighted = fit(kept, None)
    assert np.abs(weighted - every).max() < 0.1, (every, weighted)
    assert unweighted[0] - every[0] == pytest.approx(np.log(4), abs=0.1)


def test_a_fraction_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a fraction"):
        NegativeSample(0.0)
    with pytest.raises(ValidationError, match="negative_sample"):
        TrainingConfig(negative_sample=1.5)
