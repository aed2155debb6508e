"""One-row scores through LightGBM's fast path equal Booster.predict's."""

from __future__ import annotations

import threading

import lightgbm as lgb
import numpy as np
import pytest

from watchkeeper.modeling.model import LightGBMModel
from watchkeeper.modeling.single_row_predictor import SingleRowPredictor


@pytest.fixture(scope="module")
def booster_and_rows() -> tuple[lgb.Booster, np.ndarray]:
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(3000, 12))
    labels = rows[:, 0] + 0.5 * rows[:, 3] + rng.normal(size=3000) > 1.0
    rows[rng.random(rows.shape) < 0.1] = np.nan  # missing values take the default branch
    parameters = {"objective": "binary", "verbose": -1, "num_leaves": 15, "learning_rate": 0.1}
    booster = lgb.train(parameters, lgb.Dataset(rows, label=labels), num_boost_round=60)
    return booster, rows


def test_fast_path_scores_equal_booster_predict(
    booster_and_rows: tuple[lgb.Booster, np.ndarray],
) -> None:
    booster, rows = booster_and_rows
    predictor = SingleRowPredictor(booster)
    fast = np.array([predictor.predict(row) for row in rows[:500]])
    np.testing.assert_allclose(fast, booster.predict(rows[:500]), rtol=0, atol=1e-12)


def test_the_model_scores_one_row_as_it_scores_it_in_a_matrix(
    booster_and_rows: tuple[lgb.Booster, np.ndarray],
) -> None:
    booster, rows = booster_and_rows
    model = LightGBMModel(booster, [f"f{index}" for index in range(12)])
    one_by_one = np.concatenate(
        [model.predict_scores(rows[index : index + 1]) for index in range(200)]
    )
    np.testing.assert_allclose(one_by_one, model.predict_scores(rows[:200]), rtol=0, atol=1e-12)


def test_a_row_of_the_wrong_width_is_refused(
    booster_and_rows: tuple[lgb.Booster, np.ndarray],
) -> None:
    booster, _ = booster_and_rows
    with pytest.raises(ValueError, match="a row of 11 values for 12 features"):
        SingleRowPredictor(booster).predict(np.zeros(11))


@pytest.mark.parametrize("as_list", [False, True], ids=["array", "list"])
def test_threads_sharing_a_predictor_get_their_own_rows_scores(
    booster_and_rows: tuple[lgb.Booster, np.ndarray], as_list: bool
) -> None:
    booster, rows = booster_and_rows
    predictor = SingleRowPredictor(booster)
    expected = booster.predict(rows[:400])
    found: dict[int, float] = {}

    def score(start: int) -> None:
        for index in range(start, 400, 4):
            row = rows[index]
            found[index] = (
                predictor.predict_values([float(value) for value in row])
                if as_list
                else predictor.predict(row)
            )

    threads = [threading.Thread(target=score, args=(start,)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    np.testing.assert_allclose([found[index] for index in range(400)], expected, atol=1e-12)


def test_a_row_of_floats_scores_as_the_same_row_in_a_matrix(
    booster_and_rows: tuple[lgb.Booster, np.ndarray],
) -> None:
    booster, rows = booster_and_rows
    model = LightGBMModel(booster, [f"f{index}" for index in range(12)])
    from_lists = [model.score_row([float(value) for value in row]) for row in rows[:300]]
    np.testing.assert_allclose(from_lists, booster.predict(rows[:300]), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="a row of 13 values for 12 features"):
        model.score_row([0.0] * 13)
