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
