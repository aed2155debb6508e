"""Judgement pools over stored daily profiles: warm-up by rows, pooled small windows, whole
cycles, and a real shift still caught within days.

Traffic is simulated per day and profiled as the monitor job does (profiles stored in an
artifact folder, indexed in SQLite): ``amount`` (numeric), ``merchant`` (50 categories with a
long tail, plus other and missing), ``weekday`` (one value a day, by nature) and a ``score``
that reads the weekday: Mondays and Tuesdays score higher, so one day's scores are lopsided
while a week's match the reference. Each day's rows go through ``profile_rows`` and the alert
rules of the fraud example (2 breaches of 0.25 in the last 3 windows).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from watchkeeper.alerts.rules import evaluate_rule
from watchkeeper.clock import EventTimeClock
from watchkeeper.config import AlertRuleConfig, MonitoringConfig, TransformConfig
from watchkeeper.monitoring.job.judgement_pools import JudgementPools
from watchkeeper.monitoring.job.window_metrics import WindowKey, profile_rows
from watchkeeper.monitoring.job.window_profile_store import WindowProfileStore
from watchkeeper.monitoring.job.windows import Window
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.statistics.drift import feature_drift
from watchkeeper.storage.artifacts.folder import FolderArtifactStore
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.storage.metadata.store import MetadataStore, open_metadata_store

MONDAY = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)
AMOUNT_EDGES = tuple(float(edge) for edge in np.linspace(-1.5, 1.5, 9))
WEEKDAY_EDGES = (0.5, 1.5, 2.5, 3.5, 4.5, 5.5)
SCORE_EDGES = tuple(float(edge) for edge in np.linspace(-1.0, 2.0, 9))
MERCHANTS = tuple(f"m{index}" for index in range(50))
TAIL = 1 / np.arange(1, 51) ** 1.1
MERCHANT_SHARES = np.append(TAIL / TAIL.sum() * 0.97, [0.02, 0.01])  # categories, other, missing
RULES = {
    "psi": AlertRuleConfig(name="input drift", metric="psi", threshold=0.25),
    "score_psi": AlertRuleConfig(name="score drift", metric="score_psi", threshold=0.25),
}
WEEKDAY = [TransformConfig(name="weekday", op="day_of_week", input="ts")]


def profile(
    generator: np.random.Generator, weekdays: np.ndarray, shift: float = 0.0
) -> DatasetProfile:
    """The profile of events on ``weekdays`` (one per event); ``shift`` moves amount and score."""
    rows = len(weekdays)
    merchants = generator.multinomial(rows, MERCHANT_SHARES)
    score = generator.normal(0.0, 0.5, rows) + 0.8 * (weekdays <= 1) + shift
    features = {
        "amount": NumericProfile.from_values(generator.normal(shift, 1.0, rows), AMOUNT_EDGES),
        "merchant": CategoricalProfile(
            MERCHANTS,
            tuple(int(count) for count in merchants[:50]),
            other=int(merchants[50]),
            unseen=None,
            missing=int(merchants[51]),
        ),
        "weekday": NumericProfile.from_values(weekdays.astype(float), WEEKDAY_EDGES),
        "score": NumericProfile.from_values(score, SCORE_EDGES),
    }
    return DatasetProfile(features, rows)


class Traffic:
    """One model's versions serving day by day, judged as the monitor job judges them;
    ``weekdays`` are those with traffic (the reference's too)."""

    def __init__(
        self, root: Path, config: MonitoringConfig, seed: int = 0, weekdays: int = 7
    ) -> None:
        self.generator = np.random.default_rng(seed)
        self.metadata: MetadataStore = open_metadata_store("sqlite://", EventTimeClock(MONDAY))
        store = WindowProfileStore(
            FolderArtifactStore(root / "artifacts"), self.metadata.window_profiles, "fraud"
        )
        self.config = config
        self.pools = JudgementPools(store, config, WEEKDAY, ("score",))
        self.reference = profile(self.generator, np.arange(21_000) % weekdays)
        self.rows: list[MetricRow] = []
        self.own: dict[tuple[int, str], float] = {}
        """Each day's PSI of each feature on the day alone, by (day, feature)."""

    def serve(self, version: int, day: int, rows: int, shift: float = 0.0) -> None:
        window = Window(MONDAY + day * DAY, MONDAY + (day + 1) * DAY)
        current = profile(self.generator, np.full(rows, day % 7), shift)
        self.pools.profiles.put(version, window, current)
        self.pools.remember(version, window, current)
        judgement = self.pools.judgement(version, self.reference, window, current)
        key = WindowKey("fraud", version, window.start, window.end)
        self.rows += profile_rows(
            key, self.reference, current, self.config, threshold=1.0, flags=0,
            judgement=judgement,
        )  # fmt: skip
        for name, own in current.features.items():
            self.own[(day, name)] = feature_drift(name, self.reference.features[name], own).psi

    def status(self, day: int, feature: str, version: int = 1) -> str:
        metric, name = ("score_psi", None) if feature == "score" else ("psi", feature)
        return next(
            row.status
            for row in self.rows
            if (row.metric, row.feature, row.model_version) == (metric, name, version)
            and row.window_start == MONDAY + day * DAY
        )

    def judged(self, metric: str) -> list[MetricRow]:
        """The rows of ``metric`` that got a verdict."""
        return [
            row
            for row in self.rows
            if row.metric == metric and row.status in ("ok", "warn", "alert")
        ]

    def fired(self) -> list[tuple[str, str | None, datetime]]:
        """Each (metric, feature, day) at which a rule fired, evaluating day after day."""
        found = []
        for day in sorted({row.window_end for row in self.rows}):
            seen = [row for row in self.rows if row.window_end <= day]
            for metric, rule in RULES.items():
                for evaluation in evaluate_rule(rule, seen):
                    if evaluation.firing:
                        found.append((metric, evaluation.feature, day - DAY))
        return found


@pytest.fixture
def traffic(tmp_path: Path) -> Iterator[Traffic]:
    made = Traffic(tmp_path, MonitoringConfig())
    yield made
    made.metadata.close()


def test_a_version_warms_up_on_rows_served_before_the_window(tmp_path: Path) -> None:
    traffic = Traffic(tmp_path, MonitoringConfig())
    for day in range(6):
        traffic.serve(1, day, rows=300)  # before: 0, 300, 600, 900, then 1,200
    assert [traffic.status(day, "amount") for day in range(6)] == ["warming_up"] * 4 + ["ok"] * 2
    for day in range(6, 9):  # promoted: a new version, a full day's traffic
        traffic.serve(2, day, rows=1_500)
    assert [traffic.status(day, "amount", 2) for day in range(6, 9)] == [
        "warming_up", "ok", "ok",
    ]  # fmt: skip
    traffic.metadata.close()
    without = Traffic(tmp_path / "without", MonitoringConfig(warm_up_rows=0))
    without.serve(1, 0, rows=1_500)
    assert without.status(0, "amount") == "ok"
    without.metadata.close()


@pytest.mark.parametrize("rows", [100, 150, 400, 1_500])
def test_identical_traffic_never_alerts_at_any_window_size(tmp_path: Path, rows: int) -> None:
    traffic = Traffic(tmp_path, MonitoringConfig(), seed=rows)
    for day in range(56):
        traffic.serve(1, day, rows=rows)
    assert traffic.fired() == []
    judged = traffic.judged("psi") + traffic.judged("score_psi")
    assert all(row.value is not None and row.value < 0.1 for row in judged)
    # judged once 1,000 events were served before the day: amount on pools of at least 500
    # events, merchant (52 cells) of at least 919, the weekday and the score on weeks
    amounts = [row for row in judged if row.feature == "amount"]
    assert len(amounts) == 56 - math.ceil(1_000 / rows)  # every day once warmed up
    if rows == 100:
        assert {traffic.status(day, "merchant") for day in range(56)} <= {"warming_up", "few_rows"}


def test_judged_alone_small_and_cyclic_windows_would_alert(tmp_path: Path) -> None:
    traffic = Traffic(tmp_path, MonitoringConfig(), seed=1)
    for day in range(28):
        traffic.serve(1, day, rows=100)
    alone = {name: [traffic.own[(day, name)] for day in range(28)] for name in ("merchant",)}
    assert np.mean(np.array(alone["merchant"]) >= 0.25) > 0.5  # 52 cells, 100 events
    assert min(traffic.own[(day, "weekday")] for day in range(28)) > 1.0  # one weekday
    mondays = [traffic.own[(day, "score")] for day in range(28) if day % 7 in (0, 1)]
    assert min(mondays) > 0.25  # the score reads the weekday
    assert traffic.fired() == []
    traffic.metadata.close()


def test_cyclic_features_are_judged_on_whole_weeks_the_version_served(traffic: Traffic) -> None:
    for day in range(2, 20):  # launched on a Wednesday
        traffic.serve(1, day, rows=1_500)
    # the first window warms up; a week's pool must start after it: judged from day 9
    assert [traffic.status(day, "weekday") for day in range(2, 11)] == (
        ["warming_up"] + ["short_window"] * 6 + ["ok"] * 2
    )
    assert [traffic.status(day, "score") for day in (8, 9)] == ["short_window", "ok"]
    assert traffic.status(3, "amount") == "ok"  # not cyclic: judged from the second day
    for day in range(20, 30):  # promoted on a Saturday: version 2 from then on
        traffic.serve(2, day, rows=1_500)
    assert [traffic.status(day, "weekday", 2) for day in (21, 26, 27)] == [
        "short_window", "short_window", "ok",
    ]  # fmt: skip
    for day in range(31, 38):  # day 30: an outage, no traffic at all: that week lacks a day
        traffic.serve(2, day, rows=1_500)
    assert [traffic.status(day, "weekday", 2) for day in (31, 36, 37)] == [
        "short_window", "short_window", "ok",
    ]  # fmt: skip
    for day in range(38, 46):  # rolled back: version 1 again, after days it did not serve
        traffic.serve(1, day, rows=1_500)
    assert [traffic.status(day, "weekday") for day in (38, 43, 44)] == [
        "short_window", "short_window", "ok",
    ]  # fmt: skip
    assert traffic.fired() == []
    assert all(row.value is not None and row.value < 0.1 for row in traffic.judged("psi"))


def test_a_canary_promoted_does_not_tilt_its_week(traffic: Traffic) -> None:
    for day in range(14):
        traffic.serve(1, day, rows=1_350 if day >= 6 else 1_500)
        if day >= 6:  # a canary takes a tenth of the traffic from a Sunday on
            traffic.serve(2, day, rows=150)
    for day in range(14, 22):  # promoted on a Monday: all the traffic
        traffic.serve(2, day, rows=1_500)
    # judged once it served 1,000 events, on weeks of its own; each day weighs the same, so
    # the Monday of the promotion (1,500 events) does not outweigh six canary days (900)
    statuses = {traffic.status(day, "weekday", 2) for day in range(14, 22)}
    assert statuses == {"ok"}
    assert traffic.fired() == []
    pools = traffic.pools
    days = [Window(MONDAY + day * DAY, MONDAY + (day + 1) * DAY) for day in range(8, 15)]
    summed = DatasetProfile.merge_all(
        profile for day in days if (profile := pools.profile(2, day)) is not None
    )
    weekday = traffic.reference.features["weekday"]
    assert feature_drift("weekday", weekday, summed.features["weekday"]).psi > 0.25


def test_a_weekly_closed_day_is_the_traffics_rhythm(tmp_path: Path) -> None:
    traffic = Traffic(tmp_path, MonitoringConfig(), weekdays=6)  # closed on Sundays
    for day in range(35):
        if day % 7 != 6:
            traffic.serve(1, day, rows=1_500)
    # the first Sunday follows days without traffic a week earlier (before the launch)
    assert [traffic.status(day, "weekday") for day in (7, 8, 28)] == ["ok"] * 3
    assert traffic.fired() == []
    traffic.metadata.close()


@pytest.mark.parametrize("rows", [400, 1_500])
def test_a_real_shift_is_caught_within_days(tmp_path: Path, rows: int) -> None:
    traffic = Traffic(tmp_path, MonitoringConfig(), seed=rows)
    for day in range(28):
        traffic.serve(1, day, rows=rows)
    for day in range(28, 35):  # amount and score move by one standard deviation
        traffic.serve(1, day, rows=rows, shift=1.0)
    first: dict[tuple[str, str | None], int] = {}
    for metric, feature, moment in traffic.fired():
        first.setdefault((metric, feature), (moment - MONDAY).days)
    # the input on the second shifted day (2 breaches of 3; at 400 a day its pools of two
    # days are half shifted on the first); the score, judged on rolling weeks, on the third
    assert first[("psi", "amount")] == 29
    assert first[("score_psi", None)] == 30
    assert set(first) == {("psi", "amount"), ("score_psi", None)}
    traffic.metadata.close()


def test_a_week_is_judged_whole_or_its_cyclic_features_are_not(traffic: Traffic) -> None:
    for day in range(2, 19):  # launched on a Wednesday; replaced on a Saturday (day 19)
        traffic.serve(1, day, rows=1_500)
    for day in (19, 20):
        traffic.serve(2, day, rows=1_500)
    pools, reference = traffic.pools, traffic.reference

    def week(start: int) -> dict[str, str]:
        span = Window(MONDAY + start * DAY, MONDAY + (start + 7) * DAY)
        days = [day for day in range(start, start + 7) if (day, "amount") in traffic.own]
        merged = pools.profiles.merged(
            1, [Window(MONDAY + d * DAY, MONDAY + (d + 1) * DAY) for d in days]
        )
        judgement = pools.week_judgement(1, reference, span, merged)
        return {name: judgement.status(name, "ok") for name in ("amount", "weekday", "score")}

    assert week(0) == {"amount": "warming_up", "weekday": "warming_up", "score": "warming_up"}
    assert week(7) == {"amount": "ok", "weekday": "ok", "score": "ok"}
    assert week(14) == {"amount": "ok", "weekday": "short_window", "score": "short_window"}
