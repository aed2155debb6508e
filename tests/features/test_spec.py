"""The feature spec: from the workspace file or Python, checked, hashed."""

from __future__ import annotations

import pytest
import yaml

from watchkeeper.config import parse_config
from watchkeeper.errors import FeatureError
from watchkeeper.features import FeatureSpec
from watchkeeper.workspace import example_text


def fraud_spec() -> FeatureSpec:
    return FeatureSpec.from_workspace_config(parse_config(yaml.safe_load(example_text("fraud"))))


def test_the_fraud_example_gives_a_spec_for_both_engines() -> None:
    spec = fraud_spec()
    assert spec.timestamp == "ts" and spec.event_id == "event_id"
    assert len(spec.stateless_features) == 8 and len(spec.windowed_features) == 9
    assert spec.group_keys == ("card_id", "device_id")
    assert spec.longest_window.days == 30


def test_the_content_hash_is_stable_and_changes_with_the_spec() -> None:
    spec = fraud_spec()
    assert spec.content_hash == fraud_spec().content_hash
    changed = spec.model_copy(update={"timezone": "Europe/Berlin"})
    assert changed.content_hash != spec.content_hash


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        (
            {"name": "x", "op": "log1p", "input": "card"},
            "op log1p cannot read 'card' of type string",
        ),
        (
            {"name": "x", "op": "hour_of_day", "input": "amount"},
            "cannot read 'amount' of type float",
        ),
        ({"name": "x", "op": "count", "by": "amount", "window": "1h"}, "'by' must name a string"),
        ({"name": "x", "op": "time_since_last", "by": "card", "window": "1h"}, "takes no 'window'"),
        (
            {"name": "x", "op": "hour_of_day", "input": "ts", "fill": 0.5},
            "fill must be a whole number",
        ),
        ({"name": "x", "op": "clip", "input": "amount"}, "needs 'lower', 'upper' or both"),
        (
            {"name": "x", "op": "bucketize", "input": "amount", "boundaries": [3, 1]},
            "strictly increasing",
        ),
    ],
)
def test_inconsistent_features_are_refused_with_the_reason(
    transform: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        FeatureSpec(
            inputs={
                "ts": {"type": "timestamp"},
                "card": {"type": "string"},
                "amount": {"type": "float"},
            },
            transforms=[transform],
        )


def test_the_event_time_must_be_a_declared_timestamp() -> None:
    with pytest.raises(ValueError, match="event time 'when' must be declared"):
        FeatureSpec(
            timestamp="when",
            inputs={"ts": {"type": "timestamp"}},
            transforms=[{"name": "h", "op": "hour_of_day", "input": "ts"}],
        )


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="'Mars/Olympus' is not a known IANA time zone"):
        FeatureSpec(
            timezone="Mars/Olympus",
            inputs={"ts": {"type": "timestamp"}},
            transforms=[{"name": "h", "op": "hour_of_day", "input": "ts"}],
        )


def test_a_workspace_without_features_gives_a_one_line_feature_error() -> None:
    config = parse_config({"model": {"name": "m"}, "owner": {"name": "A", "contact": "a@b.c"}})
    with pytest.raises(FeatureError, match=r"^features: "):
        FeatureSpec.from_workspace_config(config)
