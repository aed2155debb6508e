"""Each example's drift episode is real: its inputs shift and their relation to the outcome changes.

For every example, on a small simulation (160 days, the shift on day 100, full strength
from day 121):

* covariate shift: a two-sample KS test (scipy) on a shifted input rejects between the
  stable period and the weeks after the ramp (p < 1e-6), and does not between the two
  halves of the stable period (p > 0.01);
* concept change: a scikit-learn model fitted on the first 70 stable days scores well on
  the last stable days and clearly worse after the ramp, while a model refitted after the
  shift does well again, so the loss is the changed relation, not noise.

Run with ``pytest -s`` to see the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from scipy.stats import ks_2samp
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.metrics import accuracy_score, mean_absolute_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tests.simulate.tabular.conftest import DAYS, SHIFT_DAY

from watchkeeper.simulate.tabular import TabularSimulation
from watchkeeper.simulate.tabular.common import RAMP_DAYS, simulated_day

TRAIN_END = 70
AFTER_RAMP = SHIFT_DAY + RAMP_DAYS

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Case:
    """How one example's drift is measured."""

    shifted_input: str
    inputs: tuple[str, ...]
    fit: Callable[[Matrix, npt.NDArray[np.generic]], object]
    score: Callable[[object, Matrix, npt.NDArray[np.generic]], float]
    lower_is_better: bool
    target: Callable[[pl.DataFrame], npt.NDArray[np.generic]]
    min_loss: float
    """The least loss of the stable model after the shift: a drop in AUC or accuracy, a
    ratio of MAE."""


def _logistic(x: Matrix, y: npt.NDArray[np.generic]) -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1_000)).fit(x, y)


def _auc(model: object, x: Matrix, y: npt.NDArray[np.generic]) -> float:
    return float(roc_auc_score(y, model.predict_proba(x)[:, 1]))  # type: ignore[attr-defined]


def _accuracy(model: object, x: Matrix, y: npt.NDArray[np.generic]) -> float:
    return float(accuracy_score(y, model.predict(x)))  # type: ignore[attr-defined]


def _poisson(x: Matrix, y: npt.NDArray[np.generic]) -> object:
    return make_pipeline(StandardScaler(), PoissonRegressor(alpha=1e-4, max_iter=300)).fit(x, y)


def _mae(model: object, x: Matrix, y: npt.NDArray[np.generic]) -> float:
    return float(mean_absolute_error(y, model.predict(x)))  # type: ignore[attr-defined]


CASES = {
    "churn": Case(
        shifted_input="monthly_fee",
        inputs=(
            "monthly_fee",
            "tenure_days",
            "logins_30d",
            "support_tickets_30d",
            "payment_failures",
            "auto_renew",
        ),
        fit=_logistic,
        score=_auc,
        lower_is_better=False,
        target=lambda frame: (frame["outcome"] == "churned").to_numpy(),
        min_loss=0.05,
    ),
    "demand": Case(
        shifted_input="price",
        inputs=("log_price", "promo", "temperature", "^(weekday|category|store)=.*$"),
        fit=_poisson,
        score=_mae,
        lower_is_better=True,
        target=lambda frame: frame["outcome"].to_numpy(),
        min_loss=1.25,
    ),
    "triage": Case(
        shifted_input="kw_technical",
        inputs=(
            "length_chars",
            "has_attachment",
            "kw_billing",
            "kw_technical",
            "kw_account",
            "kw_sales",
            "kw_legal",
        ),
        fit=_logistic,
        score=_accuracy,
        lower_is_better=False,
        target=lambda frame: frame["outcome"].to_numpy(),
        min_loss=0.1,
    ),
}


def _labelled(simulation: TabularSimulation) -> pl.DataFrame:
    return (
        simulation.events.join(simulation.outcomes, on="event_id")
        .with_columns(
            simulated_day(),
            weekday=pl.col("ts").dt.weekday(),
            log_price=pl.col("^price$").log(),
        )
        .to_dummies(["weekday", "^item_category$", "^store$"], separator="=")
        .rename(lambda name: name.removeprefix("item_"))
    )


def _days(frame: pl.DataFrame, first: int, end: int) -> pl.DataFrame:
    return frame.filter(pl.col("day").is_between(first, end - 1))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_shifted_input_moves_only_after_the_shift(
    name: str, simulations: dict[str, TabularSimulation]
) -> None:
    case = CASES[name]
    frame = _labelled(simulations[name])
    column = case.shifted_input
    half = SHIFT_DAY // 2
    stable = ks_2samp(_days(frame, 0, half)[column], _days(frame, half, SHIFT_DAY)[column])
    shifted = ks_2samp(_days(frame, 0, SHIFT_DAY)[column], _days(frame, AFTER_RAMP, DAYS)[column])
    print(
        f"{name}: KS p {column} stable halves {stable.pvalue:.3g}, before/after {shifted.pvalue:.3g}"
    )
    assert stable.pvalue > 0.01
    assert shifted.pvalue < 1e-6


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_relation_to_the_outcome_changes_after_the_shift(
    name: str, simulations: dict[str, TabularSimulation]
) -> None:
    case = CASES[name]
    frame = _labelled(simulations[name]).with_columns(pl.col(case.inputs).cast(pl.Float64))

    def matrix(part: pl.DataFrame) -> Matrix:
        return part.select(case.inputs).to_numpy()

    train, before = _days(frame, 0, TRAIN_END), _days(frame, TRAIN_END, SHIFT_DAY)
    after = _days(frame, AFTER_RAMP, DAYS)
    refit_part, judged = after[: after.height // 2], after[after.height // 2 :]
    stable_model = case.fit(matrix(train), case.target(train))
    refit_model = case.fit(matrix(refit_part), case.target(refit_part))
    on_stable = case.score(stable_model, matrix(before), case.target(before))
    on_shifted = case.score(stable_model, matrix(judged), case.target(judged))
    refitted = case.score(refit_model, matrix(judged), case.target(judged))
    print(
        f"{name}: stable model {on_stable:.3f} before, {on_shifted:.3f} after; refit {refitted:.3f}"
    )
    if case.lower_is_better:
        assert on_shifted / on_stable > case.min_loss
        assert refitted < on_shifted * 0.8
    else:
        assert on_stable - on_shifted > case.min_loss
        assert refitted > on_shifted + case.min_loss
