"""Column roles: identifiers, timestamps, predictions and targets are not features."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.profiles.column_roles import RoleOptions, assign_roles, parse_role

ROWS = 500
RNG = np.random.default_rng(7)


def table() -> pa.Table:
    return pa.table(
        {
            "id": np.arange(ROWS),
            "transaction_uuid": [f"t-{index:05d}" for index in range(ROWS)],
            "customerId": RNG.integers(0, 50, ROWS),
            "row_number": RNG.permutation(ROWS) + 1_000,  # unique, every number once: dense
            "session": [f"s{value}" for value in RNG.permutation(ROWS)],  # unique text
            "amount_cents": RNG.choice(10_000_000, ROWS, replace=False),  # unique, sparse
            "amount": RNG.lognormal(size=ROWS),
            "country": RNG.choice(["DE", "FR"], ROWS),
            "event_ts": pa.array(np.arange(ROWS), pa.timestamp("s")),
            "created_at": ["2026-01-05"] * ROWS,
            "signup_date": RNG.integers(20_200_101, 20_260_101, ROWS),
            "time": ["10:00"] * ROWS,
            "response_time": RNG.random(ROWS),
            "is_paid": RNG.random(ROWS) < 0.5,
            "score": RNG.random(ROWS),
            "label": RNG.integers(0, 2, ROWS),
        }
    )


def test_identifiers_and_timestamps_are_inferred_with_the_reason() -> None:
    data = table()
    roles = assign_roles(data, data.column_names, RoleOptions())
    assert roles.excluded == {
        "id": "identifier: named like one",
        "transaction_uuid": "identifier: named like one",
        "customerId": "identifier: named like one",
        "row_number": "identifier: a different value on every row of the reference",
        "session": "identifier: a different value on every row of the reference",
        "event_ts": "timestamp: type timestamp[s]",
        "created_at": "timestamp: named like one",
        "signup_date": "timestamp: named like one",
        "time": "timestamp: named like one",
    }
    # unique but sparse integers are amounts, floats named *_time are durations
    assert roles.features == (
        "amount_cents", "amount", "country", "response_time", "is_paid", "score", "label",
    )  # fmt: skip


def test_given_roles_win_over_inference() -> None:
    data = table()
    options = RoleOptions(
        exclude=["country"],
        prediction=["score"],
        target=["label"],
        timestamp=["amount_cents"],
        roles={"customerId": "feature", "amount": "identifier"},
    )
    roles = assign_roles(data, data.column_names, options)
    assert roles.excluded["country"] == "excluded: --exclude"
    assert roles.excluded["score"] == "prediction: --prediction-column"
    assert roles.excluded["label"] == "target: --target-column"
    assert roles.excluded["amount_cents"] == "timestamp: --timestamp-column"
    assert roles.excluded["amount"] == "identifier: --role amount=identifier"
    assert "customerId" in roles.features
    assert options.named()["score"] == "--prediction-column"


def test_without_inference_only_the_options_count() -> None:
    data = table()
    roles = assign_roles(data, ["id", "amount"], RoleOptions(exclude=["amount"]), infer=False)
    assert roles.features == ("id",) and roles.excluded == {"amount": "excluded: --exclude"}


def test_a_column_only_in_the_current_data_is_judged_by_name_and_type() -> None:
    roles = assign_roles(pa.table({"x": [1.0]}), ["x", "order_id", "extra"], RoleOptions())
    assert roles.excluded == {"order_id": "identifier: named like one"}
    assert roles.features == ("x", "extra")


def test_few_rows_or_many_nulls_are_not_taken_for_identifiers() -> None:
    few = pa.table({"code": ["a", "b", "c"]})
    assert assign_roles(few, ["code"], RoleOptions()).features == ("code",)
    sparse = pa.table({"code": [f"v{index}" if index < 100 else None for index in range(300)]})
    assert assign_roles(sparse, ["code"], RoleOptions()).features == ("code",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x", "write COLUMN=ROLE"),
        ("=feature", "write COLUMN=ROLE"),
        ("x=label", "the role must be one of feature, identifier, timestamp"),
    ],
)
def test_role_settings_are_checked(text: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        parse_role(text)


def test_a_column_name_with_an_equals_sign_keeps_it() -> None:
    assert parse_role("a=b=target") == ("a=b", "target")
