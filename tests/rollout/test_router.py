"""The traffic split: deterministic per key, close to the configured share."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.rollout.router import Router, bucket


@given(key=st.text(max_size=40), rollout_id=st.text(min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_a_key_always_gets_the_same_route(key: str, rollout_id: str) -> None:
    router = Router(rollout_id=rollout_id, canary_share=0.3)
    assert router.route(key) == Router(rollout_id=rollout_id, canary_share=0.3).route(key)
    assert 0.0 <= bucket(rollout_id, key) < 1.0


@given(share=st.floats(min_value=0.02, max_value=0.9), rollout_id=st.text(min_size=1, max_size=8))
@settings(max_examples=20, deadline=None)
def test_the_share_is_close_to_the_configured_one(share: float, rollout_id: str) -> None:
    router = Router(rollout_id=rollout_id, canary_share=share)
    keys = 20_000
    canary = sum(router.route(f"card-{index}").decision == "canary" for index in range(keys))
    # binomial standard deviation at most 0.0036 on 20,000 keys: 5 sigma
    assert abs(canary / keys - share) < 0.018


def test_shadow_mode_decides_with_the_champion_for_everyone() -> None:
    router = Router(rollout_id="r", canary_share=0.5, shadow=True)
    routes = {router.route(f"card-{index}") for index in range(200)}
    assert {(route.decision, route.shadow) for route in routes} == {("champion", True)}


def test_no_rollout_means_champion_and_a_missing_key_too() -> None:
    assert Router(rollout_id=None).route("x").decision == "champion"
    assert Router(rollout_id="r", canary_share=0.99).route(None).decision == "champion"
