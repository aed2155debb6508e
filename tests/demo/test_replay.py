"""The demo end to end on a short stream: both runs, the loop's detection, the outputs.

155 days at 1,500 transactions a day, the first model live on day 130, the shift on day 140.
Labels of the drifted traffic cannot mature before the stream ends and the monthly schedule
does not come round; a new version can only come from a performance trigger on the estimated
recall, on the labels of the stable days. Until a canary splits traffic the watched run's
decisions are those of the same first model, event for event — the replayed service path and
the frozen run agree.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from watchkeeper.demo import DemoSettings, DemoSummary
from watchkeeper.demo.money import run_money


def test_the_watched_run_detects_the_shift_within_two_weeks_and_stays_quiet_before(
    short_demo: tuple[DemoSummary, Path],
) -> None:
    summary, _ = short_demo
    assert summary.shift_date == date(2025, 5, 21)
    assert summary.false_alerts_before_shift == 0
    assert summary.first_drift_alert is not None
    assert summary.detection_delay_days is not None and 0 <= summary.detection_delay_days <= 14
    assert summary.ticks == 9 and summary.tick_days == 3  # 25 days, a tick every third day


def test_until_a_new_version_serves_both_runs_decide_alike(
    short_demo: tuple[DemoSummary, Path],
) -> None:
    summary, _ = short_demo
    # the watched run replays the service path: until a canary splits traffic, it decides
    # every event as the frozen run does, so every week before the first canary is the same
    canaries = [
        date.fromisoformat(str(change["canary_start"])[:10])
        for change in (*summary.promotions, *summary.rollbacks)
        if change.get("canary_start")
    ]
    first_canary = min(canaries, default=date.max)
    assert [week.week for week in summary.without.weekly] == [
        week.week for week in summary.with_watchkeeper.weekly
    ]
    before = [
        (frozen, watched)
        for frozen, watched in zip(
            summary.without.weekly, summary.with_watchkeeper.weekly, strict=True
        )
        if date.fromisoformat(frozen.week) + timedelta(days=7) <= first_canary
    ]
    assert len(before) >= 2  # launch on day 130, the shift on day 140: two weeks at least
    assert all(frozen == watched for frozen, watched in before)
    if not canaries:
        assert summary.with_watchkeeper == summary.without
    assert summary.without.fraud_loss > 0 and summary.without.fraud_prevented > 0
    weekly_loss = sum(week.fraud_loss for week in summary.without.weekly)
    assert weekly_loss == pytest.approx(summary.without.fraud_loss)


def test_the_outputs_hold_the_summary_and_the_report(
    short_demo: tuple[DemoSummary, Path],
) -> None:
    summary, out = short_demo
    document = json.loads((out / "summary.json").read_text("utf-8"))
    for key in (
        "scenario", "seed", "shift_date", "first_drift_alert", "detection_delay_days",
        "false_alerts_before_shift", "retrain_attempts", "promotions", "rollbacks", "without",
        "with", "runtime_s",
    ):  # fmt: skip
        assert key in document
    assert document["first_drift_alert"] == summary.first_drift_alert.isoformat()  # type: ignore[union-attr]
    assert set(document["with"]) == {
        "fraud_loss", "fraud_prevented", "review_cost", "false_decline_cost", "false_positives",
        "business_value", "weekly",
    }  # fmt: skip
    page = (out / "report.html").read_text("utf-8")
    assert "without and with watchkeeper" in page
    assert 'src="http' not in page and 'href="http' not in page  # nothing from the network


def test_money_is_judged_on_the_truth() -> None:
    import polars as pl

    from watchkeeper.config import BusinessValueConfig

    truth = pl.DataFrame(
        {
            "event_id": ["a", "b", "c", "d"],
            "ts": pl.datetime_range(
                pl.datetime(2026, 6, 1), pl.datetime(2026, 6, 4), "1d", eager=True, time_zone="UTC"
            ),
            "amount": [100.0, 50.0, 20.0, 10.0],
            "is_fraud": [True, True, False, False],
        }
    )
    flagged_all = pl.DataFrame({"event_id": ["a", "b", "c", "d"], "decision": [True] * 4})
    money = run_money(flagged_all, truth, BusinessValueConfig(review_cost=5, false_decline_rate=0.1,
                                                             false_decline_cost=1))  # fmt: skip
    assert (money.fraud_loss, money.fraud_prevented, money.false_positives) == (0.0, 150.0, 2)
    # prevented 150 - reviews 4 x 5 - false declines (30 x 0.1 + 2 x 1)
    assert money.business_value == pytest.approx(150 - 20 - 5)


def test_a_bad_scale_is_a_clear_error() -> None:
    from watchkeeper.errors import ConfigError

    with pytest.raises(ConfigError, match="at least 100"):
        DemoSettings(scale=0.01)
