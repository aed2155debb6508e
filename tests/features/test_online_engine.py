"""The online engine: score then update, rejections that change nothing, late arrivals, bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.errors import InvalidInputError, LateEventError
from watchkeeper.features import (
    FeatureSpec,
    FittedFeatureSpec,
    OnlineFeatureEngine,
    open_state_store,
)
from watchkeeper.features.state import state_key

START = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def spec() -> FeatureSpec:
    return FeatureSpec(
        inputs={
            "ts": {"type": "timestamp"},
            "card": {"type": "string", "required": True},
            "merchant": {"type": "string"},
            "amount": {"type": "float", "min": 0, "required": True},
        },
        transforms=[
            {"name": "n_1h", "op": "count", "by": "card", "window": "1h"},
            {"name": "sum_1h", "op": "sum", "input": "amount", "by": "card", "window": "1h"},
            {"name": "max_1d", "op": "max", "input": "amount", "by": "card", "window": "1d"},
            {
                "name": "merchants_1d",
                "op": "count_distinct",
                "input": "merchant",
                "by": "card",
                "window": "1d",
            },
            {"name": "since", "op": "time_since_last", "by": "card"},
        ],
    )


def engine(**options: Any) -> OnlineFeatureEngine:
    return OnlineFeatureEngine(FittedFeatureSpec(spec=spec(), training_rows=0), **options)


def event(
    minutes: float, amount: float = 10.0, card: str = "c1", merchant: str = "m1"
) -> dict[str, Any]:
    return {
        "ts": START + timedelta(minutes=minutes),
        "card": card,
        "merchant": merchant,
        "amount": amount,
    }


def test_an_event_never_sees_itself_and_the_next_one_does() -> None:
    online = engine()
    assert online.score(event(0, 5.0)) == {
        "n_1h": 0,
        "sum_1h": 0.0,
        "max_1d": None,
        "merchants_1d": 0,
        "since": None,
    }
    assert online.score(event(10, 7.0, merchant="m2")) == {
        "n_1h": 1,
        "sum_1h": 5.0,
        "max_1d": 5.0,
        "merchants_1d": 1,
        "since": 600.0,
    }
    assert online.score(event(10, 1.0))["n_1h"] == 2  # same instant, later arrival: sees it


def test_compute_reads_and_update_writes() -> None:
    online = engine()
    online.score(event(0))
    first = online.compute(event(5))
    assert online.compute(event(5)) == first  # computing twice changes nothing
    online.update(event(5))
    assert online.compute(event(6))["n_1h"] == 2


def test_a_rejected_event_names_field_and_reason_and_leaves_state_untouched() -> None:
    online = engine()
    online.score(event(0))
    before = online.store.get_many([state_key("card", "c1")])[0]
    snapshot = (list(before.timestamps), dict(before.totals)) if before else None
    with pytest.raises(InvalidInputError) as caught:
        online.score(event(5, amount=-1.0))
    assert caught.value.field == "amount"
    assert "below the minimum 0" in caught.value.reason
    with pytest.raises(InvalidInputError, match="card: required but missing"):
        online.score({"ts": START, "amount": 1.0})
    after = online.store.get_many([state_key("card", "c1")])[0]
    assert after is not None and (list(after.timestamps), dict(after.totals)) == snapshot
    assert online.rejected_events == 2


def test_micro_batch_reports_bad_events_and_scores_the_rest() -> None:
    online = engine()
    result = online.score_batch([event(0), event(1, amount=float("nan")), event(2)])
    assert [features is None for features in result.features] == [False, True, False]
    assert result.rejected[0].position == 1 and result.rejected[0].field == "amount"
    assert result.features[2] is not None and result.features[2]["n_1h"] == 1


def test_late_event_is_scored_from_earlier_events_and_not_folded_in() -> None:
    online = engine()
    for minutes in (0, 20, 40):
        online.score(event(minutes, amount=minutes + 1.0))
    late = online.score(event(30, amount=100.0))
    assert late["n_1h"] == 2 and late["sum_1h"] == 22.0 and late["since"] == 600.0
    assert online.late_events == 1
    assert online.score(event(50))["n_1h"] == 3  # the late event was not added


def test_late_event_can_be_rejected_by_policy() -> None:
    online = engine(late_arrival="reject")
    online.score(event(10))
    with pytest.raises(LateEventError, match="older than the newest"):
        online.score(event(5))
    assert online.late_events == 1 and online.rejected_events == 1
    assert online.score(event(11))["n_1h"] == 1


def test_state_keeps_nothing_older_than_the_longest_window() -> None:
    online = engine()
    for hour in range(0, 72, 2):
        online.score(event(hour * 60))
    state = online.store.get_many([state_key("card", "c1")])[0]
    assert state is not None
    newest = state.timestamps[-1]
    assert newest - state.timestamps[0] <= 86_400_000_000
    assert len(state.timestamps) == 13  # 24h of events every 2h, both ends included


def test_sqlite_state_carries_features_across_engines(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    first = engine(store=open_state_store("sqlite", path))
    first.score(event(0, 3.0))
    first.store.close()
    second = engine(store=open_state_store("sqlite", path))
    assert second.score(event(1))["sum_1h"] == 3.0
    second.store.close()


@pytest.mark.redis
def test_redis_state_gives_the_same_features_as_memory(redis_url: str) -> None:
    in_memory = engine()
    in_redis = engine(store=open_state_store("redis", redis_url, namespace="wk-engine-test"))
    for minutes, amount, merchant in [(0, 1.0, "a"), (0, 2.5, "b"), (30, 4.0, "a"), (90, 8.0, "c")]:
        assert in_redis.score(event(minutes, amount, merchant=merchant)) == in_memory.score(
            event(minutes, amount, merchant=merchant)
        )
    in_redis.store.close()
