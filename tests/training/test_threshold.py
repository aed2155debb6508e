"""Decision thresholds against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from watchkeeper.config.lifecycle import ThresholdPolicy
from watchkeeper.errors import TrainingDataError
from watchkeeper.modeling.threshold import DecisionThreshold, choose_threshold

SCORES = np.array([0.95, 0.90, 0.85, 0.80, 0.70, 0.60, 0.50, 0.40, 0.30, 0.20])
LABELS = np.array([1, 0, 1, 1, 0, 1, 0, 0, 0, 0])
#  cumulative precision at each cut: 1/1, 1/2, 2/3, 3/4, 3/5, 4/6, 4/7, 4/8, 4/9, 4/10


def flag_rate(target: float) -> ThresholdPolicy:
    return ThresholdPolicy(policy="flag_rate", target=target)


def precision(target: float) -> ThresholdPolicy:
    return ThresholdPolicy(policy="precision", target=target)


@pytest.mark.parametrize(
    ("target", "threshold", "flagged"),
    [(0.1, 0.95, 1), (0.3, 0.85, 3), (0.25, 0.85, 3), (0.5, 0.70, 5), (0.01, 0.95, 1)],
)
def test_flag_rate_takes_the_kth_highest_score(
    target: float, threshold: float, flagged: int
) -> None:
    chosen = choose_threshold(SCORES, LABELS, flag_rate(target))
    assert chosen.value == threshold
    assert chosen.flag_rate == flagged / 10
    assert chosen.target_reached


def test_flag_rate_with_ties_flags_the_whole_tie() -> None:
    chosen = choose_threshold(
        np.array([0.9, 0.8, 0.8, 0.8, 0.1]), np.array([1, 0, 0, 1, 0]), flag_rate(0.4)
    )
    assert chosen.value == 0.8
    assert chosen.flag_rate == 0.8  # four rows sit at or above 0.8


@pytest.mark.parametrize(
    ("target", "threshold", "reached_precision"),
    [
        (0.75, 0.80, 3 / 4),  # 3/4 at 0.80; 0.60 only gets 4/6
        (0.66, 0.60, 4 / 6),  # the lowest score still at or above 66%
        (0.60, 0.60, 4 / 6),  # 4/7 at 0.50 falls short
        (0.40, 0.20, 4 / 10),  # everything flagged still reaches 40%
        (0.99, 0.95, 1.0),  # only the top score
    ],
)
def test_precision_takes_the_lowest_threshold_reaching_the_target(
    target: float, threshold: float, reached_precision: float
) -> None:
    chosen = choose_threshold(SCORES, LABELS, precision(target))
    assert chosen.value == threshold
    assert chosen.precision == pytest.approx(reached_precision)
    assert chosen.target_reached


def test_precision_falls_back_to_the_best_precision_seen() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    labels = np.array([0, 1, 0, 1, 0])  # precision by cut: 0, 1/2, 1/3, 2/4, 2/5
    chosen = choose_threshold(scores, labels, precision(0.9))
    assert (chosen.value, chosen.target_reached) == (0.6, False)  # 0.5 reached at 0.8 and 0.6
    assert chosen.precision == 0.5 and chosen.recall == 1.0


def test_precision_needs_positives_and_inputs_must_match() -> None:
    with pytest.raises(TrainingDataError, match="needs positives"):
        choose_threshold(SCORES, np.zeros(10), precision(0.5))
    with pytest.raises(TrainingDataError, match="one label per score"):
        choose_threshold(SCORES, LABELS[:3], flag_rate(0.1))


def test_threshold_round_trips_as_a_dict() -> None:
    chosen = choose_threshold(SCORES, LABELS, precision(0.75))
    assert DecisionThreshold.from_dict(chosen.to_dict()) == chosen
