"""The weekly multivariate check: ``domain_auc`` from the version's reference sample."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from typing import Any

from watchkeeper.monitoring.job.monitor_job import run_monitor
from watchkeeper.monitoring.profiles.profile_builder import build_reference_profile
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind
from watchkeeper.monitoring.profiles.reference_sample import with_reference_sample
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.workspace import Workspace

MODEL = "card-fraud"
DAY = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday
KINDS: dict[str, FeatureKind] = {
    "amount": "numeric",
    "hour": "numeric",
    "merchant_category": "categorical",
}


def day(index: int) -> datetime:
    return DAY + timedelta(days=index)


def champion_with_reference_sample(traffic: Any) -> None:
    """Register version 2, whose reference profile keeps a sample of its holdout rows."""
    holdout = traffic.frame(4_000)
    features = holdout.select(*KINDS)
    profile = build_reference_profile(holdout, {**KINDS, "score": "numeric"})
    with Workspace.open(traffic.root) as opened:
        profile = with_reference_sample(profile, opened.artifacts, features, rows=1_500)
        registry = ModelRegistry.for_workspace(opened)
        loaded = registry.load(1)
        registry.register(
            loaded.model,
            feature_schema=dict(loaded.manifest.feature_schema),
            threshold=traffic.threshold,
            reference_profile_sha256=opened.artifacts.put_bytes(profile.to_bytes()).sha256,
        )
        registry.set_status(2, CHAMPION, reason="test")


def test_domain_auc_is_quiet_on_a_stable_week_and_alerts_on_a_shifted_one(
    monitored_traffic: Any,
) -> None:
    champion_with_reference_sample(monitored_traffic)
    for index in range(14):
        monitored_traffic.log_day(day(index), rows=220, shift=1.5 if index >= 7 else 0.0, version=2)
    twin = monitored_traffic.root.parent / "twin"  # another host, the same data
    shutil.copytree(monitored_traffic.root, twin, ignore=shutil.ignore_patterns("events.spool*"))
    with Workspace.open(twin) as opened:
        run_monitor(opened, until=day(14))
        on_twin = [row.value for row in opened.metadata.metrics(MODEL, metric="domain_auc")]
    with Workspace.open(monitored_traffic.root) as opened:
        result = run_monitor(opened, until=day(14))
        rows = {
            row.window_start: row for row in opened.metadata.metrics(MODEL, metric="domain_auc")
        }
        again = run_monitor(opened, until=day(14))
    stable, shifted = rows[day(0)], rows[day(7)]
    assert (stable.window_end, stable.model_version, stable.threshold) == (day(7), 2, 0.65)
    assert stable.value is not None and stable.value < 0.6 and stable.status == "ok"
    assert shifted.value is not None and shifted.value > 0.8 and shifted.status == "alert"
    assert not any("domain_auc" in note for note in result.notes)
    assert again.rows_written == 0
    assert on_twin == [stable.value, shifted.value]  # seeded: every run agrees


def test_a_version_without_a_reference_sample_is_skipped_with_a_note(
    monitored_traffic: Any,
) -> None:
    for index in range(7):
        monitored_traffic.log_day(day(index), rows=150)
    with Workspace.open(monitored_traffic.root) as opened:
        result = run_monitor(opened, until=day(7))
        assert opened.metadata.metrics(MODEL, metric="domain_auc") == []
    assert any("keeps no sample" in note for note in result.notes)
