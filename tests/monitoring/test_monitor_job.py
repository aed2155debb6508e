"""The monitor job on a small workspace: drift alerts, idempotence, weekly merges, label maturity,
CBPE against realized values, concurrent runs and refusals."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from watchkeeper.errors import RegistryError
from watchkeeper.monitoring.job.monitor_job import LABELS_JOB, PROFILE_JOB, MonitorJob, run_monitor
from watchkeeper.monitoring.job.served_predictions import decode_served
from watchkeeper.monitoring.job.windows import report_window_of, windows_within
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.profile_builder import build_profile
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.workspace import Workspace

MODEL = "card-fraud"
DAY = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday


def day(index: int) -> datetime:
    return DAY + timedelta(days=index)


def series(root: Path, metric: str | None = None) -> list[MetricRow]:
    with Workspace.open(root) as opened:
        return opened.metadata.metrics(MODEL, metric=metric)


def by_window(rows: list[MetricRow], feature: str | None = None) -> dict[datetime, MetricRow]:
    return {row.window_start: row for row in rows if row.feature == feature}


def test_stable_days_are_quiet_and_shifted_days_alert(monitored_traffic: Any) -> None:
    for index in range(4):
        monitored_traffic.log_day(day(index))
    for index in range(4, 7):
        monitored_traffic.log_day(day(index), shift=1.0)
    with Workspace.open(monitored_traffic.root) as opened:
        stable = run_monitor(opened, until=day(4))
        shifted = run_monitor(opened, until=day(7))
    assert len(stable.windows) == 4 and stable.alerts == ()
    assert stable.watermark_after == day(4)
    assert shifted.windows == (
        "2026-06-05/2026-06-06",
        "2026-06-06/2026-06-07",
        "2026-06-07/2026-06-08",
    )
    fired = {(alert.metric, alert.feature) for alert in shifted.alerts if alert.action == "fired"}
    assert fired == {("psi", "amount"), ("score_psi", None)}

    psi = by_window(series(monitored_traffic.root, "psi"), "amount")
    # the version's first window is not judged: it warms up on its first 1,000 events
    statuses = [psi[day(index)].status for index in range(7)]
    assert statuses == ["warming_up"] + ["ok"] * 3 + ["alert"] * 3
    assert psi[day(0)].threshold == 0.25
    hour = by_window(series(monitored_traffic.root, "psi"), "hour")
    assert all(row.status == "ok" for start, row in hour.items() if start > day(0))
    metrics = {row.metric for row in series(monitored_traffic.root)}
    assert {
        "psi", "js_distance", "ks_statistic", "ks_pvalue", "wasserstein", "chi2_pvalue",
        "missing_rate_change", "out_of_schema_range", "out_of_reference_range",
        "unseen_category_share", "rejected_events", "score_psi", "flag_rate", "flag_rate_low",
        "flag_rate_high", "flag_rate_pvalue", "precision", "recall", "false_positive_rate",
        "roc_auc", "pr_auc", "label_coverage", "estimated_precision", "estimated_recall",
        "estimated_roc_auc", "fraud_loss_approved", "fraud_prevented", "review_cost",
        "false_decline_cost", "business_value", "value_against_baseline",
        "estimated_business_value", "estimated_fraud_loss_approved",
    } <= metrics  # fmt: skip
    flag_rate = by_window(series(monitored_traffic.root, "flag_rate"))
    assert flag_rate[day(0)].status == "ok" and flag_rate[day(5)].status == "alert"


def test_a_second_run_with_nothing_new_changes_nothing(monitored_traffic: Any) -> None:
    for index in range(3):
        monitored_traffic.log_day(day(index), rows=500)
    with Workspace.open(monitored_traffic.root) as opened:
        first = run_monitor(opened, until=day(30))
        rows = opened.metadata.metrics(MODEL)
        marks = [opened.metadata.get_watermark(job, MODEL) for job in (PROFILE_JOB, LABELS_JOB)]
        second = run_monitor(opened, until=day(30))
        assert opened.metadata.metrics(MODEL) == rows  # computed_at included: nothing rewritten
        assert [
            opened.metadata.get_watermark(job, MODEL) for job in (PROFILE_JOB, LABELS_JOB)
        ] == marks
    assert first.rows_written > 0 and second.rows_written == 0
    assert second.windows == () and len(second.relabelled) == 30
    assert marks[0] == day(30) and marks[1] is None


def test_a_week_is_the_merge_of_its_stored_days(monitored_traffic: Any) -> None:
    frames = [monitored_traffic.log_day(day(index), rows=400) for index in range(7)]
    with Workspace.open(monitored_traffic.root) as opened:
        run_monitor(opened, until=day(7))
        job = MonitorJob(opened)
        context = job.context(1)
        week = report_window_of(day(3), opened.config.monitoring.report_window)
        merged = job.profiles.merged(1, windows_within(week, opened.config.monitoring.window))
    rows = decode_served(pl.concat(frames), context.feature_types).profiled
    rescanned = build_profile(rows.select(context.profiled_columns), context.reference.plan())
    assert merged.rows == rescanned.rows == 2_800
    assert (merged.window_start, merged.window_end) == (day(0), day(7))
    for name, profile in rescanned.features.items():
        stored = merged.features[name]
        if isinstance(profile, NumericProfile):
            assert isinstance(stored, NumericProfile)
            assert (stored.counts, stored.missing, stored.minimum, stored.maximum) == (
                profile.counts, profile.missing, profile.minimum, profile.maximum,
            )  # fmt: skip
        else:
            assert isinstance(profile, CategoricalProfile) and isinstance(
                stored, CategoricalProfile
            )
            assert stored.cells == profile.cells


def test_performance_is_immature_then_final_once_labels_mature(monitored_traffic: Any) -> None:
    for index in range(4):
        monitored_traffic.log_day(day(index), rows=3_000)
    with Workspace.open(monitored_traffic.root) as opened:
        early = run_monitor(opened, until=day(25))  # chargebacks of the first days arrived
        recall_early = by_window(opened.metadata.metrics(MODEL, metric="recall"))
        late = run_monitor(opened, until=day(65))  # the first window is 60 days old
        recall_late = by_window(opened.metadata.metrics(MODEL, metric="recall"))
        label_mark = opened.metadata.get_watermark(LABELS_JOB, MODEL)
        final = run_monitor(opened, until=day(70))
    assert early.label_watermark_after is None
    assert all(row.status == "immature" and row.value is not None for row in recall_early.values())
    assert late.relabelled[:4] == tuple(f"2026-06-0{i + 1}/2026-06-0{i + 2}" for i in range(4))
    assert label_mark == day(5)
    assert [recall_late[day(index)].status for index in range(4)] == ["ok"] * 4
    assert final.relabelled == tuple(str(window) for window in final_windows(day(5), day(65)))
    coverage = by_window(series(monitored_traffic.root, "label_coverage"))
    assert coverage[day(0)].value == 1.0 and coverage[day(0)].status == "ok"


def final_windows(start: datetime, end: datetime) -> list[str]:
    return [
        f"{(start + timedelta(days=i)).date()}/{(start + timedelta(days=i + 1)).date()}"
        for i in range((end - start).days)
    ]


def test_estimated_performance_is_close_to_realized_on_stable_traffic(
    monitored_traffic: Any,
) -> None:
    for index in range(4):
        monitored_traffic.log_day(day(index), rows=4_000)
    with Workspace.open(monitored_traffic.root) as opened:
        run_monitor(opened, until=day(64))
        rows = opened.metadata.metrics(MODEL)

    def pooled(metric: str) -> float:
        values = [row.value for row in rows if row.metric == metric and row.value is not None]
        assert len(values) == 4
        return sum(values) / len(values)

    for metric, tolerance in (("recall", 0.1), ("precision", 0.03), ("roc_auc", 0.06)):
        assert pooled(f"estimated_{metric}") == pytest.approx(pooled(metric), abs=tolerance)
    realized = pooled("fraud_loss_approved")
    assert pooled("estimated_fraud_loss_approved") == pytest.approx(realized, rel=0.35)


def test_concurrent_runs_do_not_double_count(monitored_traffic: Any) -> None:
    for index in range(3):
        monitored_traffic.log_day(day(index), rows=500)
    results: list[Any] = []

    def run() -> None:
        with Workspace.open(monitored_traffic.root) as opened:
            results.append(run_monitor(opened, until=day(3)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    rows = series(monitored_traffic.root)
    keys = [(row.model_version, row.window_start, row.feature, row.metric) for row in rows]
    assert len(keys) == len(set(keys))
    assert {row.window_start for row in rows} == {day(0), day(1), day(2)}
    with Workspace.open(monitored_traffic.root) as opened:
        assert opened.metadata.get_watermark(PROFILE_JOB, MODEL) == day(3)


def test_monitor_refuses_without_champion_or_reference(
    tmp_path: Path, monitored_traffic_type: Any
) -> None:
    without_champion = monitored_traffic_type(tmp_path / "a", champion=False)
    with (
        Workspace.open(without_champion.root) as opened,
        pytest.raises(RegistryError, match="no champion"),
    ):
        run_monitor(opened, until=day(1))
    without_reference = monitored_traffic_type(tmp_path / "b", with_reference=False)
    with (
        Workspace.open(without_reference.root) as opened,
        pytest.raises(RegistryError, match="no reference profile"),
    ):
        run_monitor(opened, until=day(1))


def test_a_rule_baseline_prices_the_same_traffic(monitored_traffic: Any) -> None:
    config = monitored_traffic.root / "watchkeeper.yaml"
    text = config.read_text().replace(
        "baseline: no_model", "baseline: rule\n    baseline_rule: amount > 300"
    )
    config.write_text(text)
    monitored_traffic.log_day(day(0), rows=800)
    with Workspace.open(monitored_traffic.root) as opened:
        run_monitor(opened, until=day(1))
        rows = {row.metric: row for row in opened.metadata.metrics(MODEL)}
    assert rows["estimated_value_against_baseline"].value is not None
    assert rows["value_against_baseline"].status == "immature"


def test_a_served_version_without_reference_is_skipped_with_a_note(
    monitored_traffic: Any,
) -> None:
    from watchkeeper.registry.registry import ModelRegistry

    with Workspace.open(monitored_traffic.root) as opened:
        registry = ModelRegistry.for_workspace(opened)
        loaded = registry.load(1)
        registry.register(
            loaded.model, feature_schema=dict(loaded.manifest.feature_schema), threshold=0.5
        )
    monitored_traffic.log_day(day(0), rows=300)
    monitored_traffic.log_day(day(0), rows=300, version=2)
    with Workspace.open(monitored_traffic.root) as opened:
        result = run_monitor(opened, until=day(1))
        versions = {row.model_version for row in opened.metadata.metrics(MODEL, metric="psi")}
    assert versions == {1}
    assert any(
        "version 2 skipped" in note and "no reference profile" in note for note in result.notes
    )


def test_an_until_before_the_watermark_changes_nothing(monitored_traffic: Any) -> None:
    monitored_traffic.log_day(day(0), rows=300)
    with Workspace.open(monitored_traffic.root) as opened:
        run_monitor(opened, until=day(30))
        rows = opened.metadata.metrics(MODEL)
        earlier = run_monitor(opened, until=day(2))
        assert opened.metadata.metrics(MODEL) == rows
    assert earlier.rows_written == 0 and earlier.watermark_after == day(30)
    assert "before the watermark" in earlier.notes[-1]


def test_estimated_precision_misses_concept_drift_that_labels_reveal(
    monitored_traffic: Any,
) -> None:
    for index in range(2):
        monitored_traffic.log_day(day(index), rows=4_000, concept_drift=True)
    with Workspace.open(monitored_traffic.root) as opened:
        run_monitor(opened, until=day(62))
        rows = {(row.metric, row.window_start): row.value for row in opened.metadata.metrics(MODEL)}
    for index in range(2):
        realized, estimated = rows["precision", day(index)], rows["estimated_precision", day(index)]
        assert realized is not None and estimated is not None
        assert realized > 1.8 * estimated  # fraud tripled at the same scores: CBPE cannot see it
