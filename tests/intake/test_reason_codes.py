"""Each refused logged row names why with its own reason code, at every check of the intake:
the inputs (by the feature engines' edge rules), the task's prediction columns, outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from watchkeeper.config import InputField
from watchkeeper.intake.outcome_checks import OutcomeRules, check_outcomes
from watchkeeper.intake.prediction_checks import PredictionRules, check_predictions
from watchkeeper.intake.reason_codes import rejection_reason

TS = datetime(2026, 1, 5, tzinfo=UTC)
INPUTS = {
    "plan": InputField(type="category", allowed=["basic", "premium"]),
    "monthly_fee": InputField(type="float", min=0, required=True),
    "tenure_days": InputField(type="int", min=0),
}


def rules(task: str, classes: tuple[str, ...] = ()) -> PredictionRules:
    return PredictionRules(
        task=task,
        classes=classes,
        inputs=INPUTS,
        event_id="event_id",
        event_time="ts",
        entity="account_id",
    )


def row(event_id: str, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "event_id": event_id,
        "ts": TS,
        "account_id": f"a-{event_id}",
        "plan": "basic",
        "monthly_fee": 9.5,
        "tenure_days": "120",
        "model_label": "v1",
        "score": "0.3",
        "decision": "false",
    }
    values.update(changes)
    return values


def reasons(checked_refused: pl.DataFrame) -> dict[str, tuple[str, str]]:
    return {
        event_id: (field, reason)
        for event_id, field, reason in checked_refused.select(
            "event_id", "field", "reason"
        ).iter_rows()
    }


def test_each_bad_binary_prediction_row_gets_its_own_reason_code() -> None:
    frame = pl.DataFrame(
        [
            row("good"),
            row("no-score", score=None),
            row("text-score", score="lots"),
            row("inf-score", score="inf"),
            row("nan-score", score="NaN"),
            row("price-score", score="129.0"),
            row("no-decision", decision=None),
            row("odd-decision", decision="maybe"),
            row("gold-plan", plan="gold"),
            row("negative-fee", monthly_fee=-5.0),
            row("infinite-fee", monthly_fee=float("inf")),
            row("no-fee", monthly_fee=None),
            row("text-tenure", tenure_days="ten"),
            row("", account_id="a-x"),
            row("no-account", account_id=None),
        ],
        infer_schema_length=None,
    )
    checked = check_predictions(frame, rules("binary"), {"v1": 1}.__getitem__)
    assert checked.accepted["event_id"].to_list() == ["good"]
    assert reasons(checked.refused) == {
        "no-score": ("score", "missing_field"),
        "text-score": ("score", "wrong_type"),
        "inf-score": ("score", "not_finite"),
        "nan-score": ("score", "not_finite"),
        "price-score": ("score", "out_of_range"),
        "no-decision": ("decision", "missing_field"),
        "odd-decision": ("decision", "wrong_type"),
        "gold-plan": ("plan", "not_allowed"),
        "negative-fee": ("monthly_fee", "out_of_range"),
        "infinite-fee": ("monthly_fee", "not_finite"),
        "no-fee": ("monthly_fee", "missing_field"),
        "text-tenure": ("tenure_days", "wrong_type"),
        "": ("event_id", "missing_field"),
        "no-account": ("account_id", "missing_field"),
    }


def test_regression_and_multiclass_prediction_reasons() -> None:
    regression = pl.DataFrame(
        [
            {**row(name), "prediction": value}
            for name, value in (("ok", "4.5"), ("none", None), ("text", "x"), ("inf", "-inf"))
        ]
    ).drop("score", "decision")
    checked = check_predictions(regression, rules("regression"), {"v1": 1}.__getitem__)
    assert reasons(checked.refused) == {
        "none": ("prediction", "missing_field"),
        "text": ("prediction", "wrong_type"),
        "inf": ("prediction", "not_finite"),
    }
    classes = ("billing", "sales")
    probabilities = {
        "ok": '{"billing": 0.4, "sales": 0.6}',
        "sum": '{"billing": 0.4, "sales": 0.4}',
        "refunds": '{"billing": 0.5, "refunds": 0.5}',
        "nan": '{"billing": NaN, "sales": 0.5}',
        "negative": '{"billing": -0.5, "sales": 1.5}',
        "text": "billing",
        "none": None,
    }
    multiclass = pl.DataFrame(
        [{**row(name), "probabilities": value} for name, value in probabilities.items()]
    ).drop("score", "decision")
    checked = check_predictions(multiclass, rules("multiclass", classes), {"v1": 1}.__getitem__)
    assert reasons(checked.refused) == {
        "sum": ("probabilities", "bad_probabilities"),
        "refunds": ("probabilities", "unknown_class"),
        "nan": ("probabilities", "not_finite"),
        "negative": ("probabilities", "out_of_range"),
        "text": ("probabilities", "wrong_type"),
        "none": ("probabilities", "missing_field"),
    }


def test_a_repeated_event_with_other_content_is_a_conflicting_duplicate() -> None:
    frame = pl.DataFrame([row("e1"), row("e1", score="0.9")])
    checked = check_predictions(frame, rules("binary"), {"v1": 1}.__getitem__)
    assert reasons(checked.refused) == {"e1": ("score", "conflicting_duplicate")}


def test_each_bad_outcome_row_gets_its_own_reason_code() -> None:
    def outcomes(values: list[Any]) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "event_id": [f"e{i}" for i in range(len(values))],
                "outcome": values,
                "outcome_ts": [TS] * len(values),
            }
        )

    binary = check_outcomes(outcomes(["1", "0", "maybe", None]), OutcomeRules("binary", ("1", "0")))
    assert binary.accepted["outcome"].to_list() == ["1", "0"]
    assert reasons(binary.refused) == {
        "e2": ("outcome", "not_allowed"),
        "e3": ("outcome", "missing_field"),
    }
    regression = check_outcomes(outcomes(["2.5", "lots", "inf", None]), OutcomeRules("regression"))
    assert reasons(regression.refused) == {
        "e1": ("outcome", "wrong_type"),
        "e2": ("outcome", "not_finite"),
        "e3": ("outcome", "missing_field"),
    }
    triage = check_outcomes(outcomes(["sales", "legal"]), OutcomeRules("multiclass", ("sales",)))
    assert reasons(triage.refused) == {"e1": ("outcome", "unknown_class")}
    late = outcomes(["1"]).with_columns(pl.lit("soon").alias("outcome_ts"))
    assert reasons(check_outcomes(late, OutcomeRules("binary", ("1",))).refused) == {
        "e0": ("outcome_ts", "bad_timestamp")
    }


def test_the_service_path_reads_the_same_codes_from_its_messages() -> None:
    assert rejection_reason("plan", "not among the allowed values basic (got 'gold')") == (
        "not_allowed"
    )
    assert rejection_reason("amount", "not a finite number (got inf)") == "not_finite"
    assert rejection_reason("amount", "required but missing") == "missing_field"
    assert rejection_reason("amount", "expected a number (got 'lots')") == "wrong_type"
    assert rejection_reason("amount", "above the maximum 10 (got 11.0)") == "out_of_range"
