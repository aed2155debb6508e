"""Guard verdicts on canary statistics: which way a flag-rate difference fails."""

from __future__ import annotations


def test_fewer_flags_than_a_drifted_champion_pass_but_too_many_fail() -> None:
    from watchkeeper.config.lifecycle import RolloutGuards
    from watchkeeper.rollout.guards import CanaryStatistics, RouteStatistics, check_guards

    champion = RouteStatistics(events=9_000, flags=270)  # 3%: flagging drifted traffic wrongly
    calm = RouteStatistics(events=1_000, flags=10)  # 1%, as its holdout predicted
    checks = {
        c.name: c for c in check_guards(CanaryStatistics(champion, calm, 0.01), RolloutGuards())
    }
    assert checks["flag_rate_vs_champion"].passed and checks["flag_rate_vs_holdout"].passed
    flooding = RouteStatistics(events=1_000, flags=120)  # 12%: four times the champion
    checks = {
        c.name: c for c in check_guards(CanaryStatistics(champion, flooding), RolloutGuards())
    }
    assert not checks["flag_rate_vs_champion"].passed


def test_a_champion_flagging_below_the_holdout_rate_is_no_measure_of_too_many() -> None:
    from watchkeeper.config.lifecycle import RolloutGuards
    from watchkeeper.rollout.guards import CanaryStatistics, RouteStatistics, check_guards

    drifted = RouteStatistics(events=9_000, flags=36)  # 0.4%: the new fraud goes unflagged
    catching = RouteStatistics(events=1_000, flags=15)  # 1.5%, its holdout predicted 1%
    with_holdout = {
        c.name: c for c in check_guards(CanaryStatistics(drifted, catching, 0.01), RolloutGuards())
    }
    assert with_holdout["flag_rate_vs_champion"].passed
    assert with_holdout["flag_rate_vs_holdout"].passed
    # without a holdout rate the champion is the only reference, and 1.5% is too many
    alone = {c.name: c for c in check_guards(CanaryStatistics(drifted, catching), RolloutGuards())}
    assert not alone["flag_rate_vs_champion"].passed
    # and a challenger beyond its own holdout's limit still fails against both
    flooding = RouteStatistics(events=1_000, flags=60)
    checks = {
        c.name: c for c in check_guards(CanaryStatistics(drifted, flooding, 0.01), RolloutGuards())
    }
    assert not checks["flag_rate_vs_champion"].passed
    assert not checks["flag_rate_vs_holdout"].passed
