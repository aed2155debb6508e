"""A whole attempt from a built window to a recorded decision; refusals leave the champion be."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from watchkeeper.config import ProvisionalLabelsConfig, RetrainingConfig, WorkspaceConfig
from watchkeeper.errors import TrainingDataError
from watchkeeper.registry.registry import CHALLENGER, REJECTED, ModelRegistry
from watchkeeper.training import retrain_attempt
from watchkeeper.training.attempt_budget import new_evidence_wait
from watchkeeper.training.attempts import recorded_attempts
from watchkeeper.training.label_supply import SeriesLabelSupply
from watchkeeper.training.retrain_attempt import (
    AttemptInputs,
    refuse_attempt,
    run_retrain_attempt,
)
from watchkeeper.training.window import TrainingWindow, training_window

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = DAY0 + timedelta(days=200)
WEAK = ["amount", "night"]
STRONG = ["amount", "night", "new_device"]


def traffic(seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = 200 * 120
    fraud = rng.random(rows) < 0.05
    events = pl.DataFrame(
        {
            "event_id": [f"t{index}" for index in range(rows)],
            "ts": [DAY0 + timedelta(minutes=12 * index) for index in range(rows)],
            "amount": rng.lognormal(3.5, 1, rows) * np.where(fraud, 1.3, 1.0),
            "night": (rng.random(rows) < np.where(fraud, 0.4, 0.2)).astype(np.float64),
            "new_device": (rng.random(rows) < np.where(fraud, 0.8, 0.05)).astype(np.float64),
        }
    )
    frauds = events.filter(pl.Series(fraud))
    outcomes = frauds.select(
        "event_id",
        outcome=pl.lit("chargeback"),
        received_at=pl.col("ts") + pl.duration(days=12),
    )
    return events, outcomes


def config(**sections: Any) -> WorkspaceConfig:
    document: dict[str, Any] = {
        "model": {"name": "fraud"},
        "owner": {"name": "Dana Reyes", "contact": "dana@example.com"},
        "training": {"parameters": {"n_estimators": 40, "num_threads": 1}},
        "retraining": {"min_positives": 20, "bootstrap_samples": 200},
    }
    for name, values in sections.items():
        document[name] = {**document.get(name, {}), **values}
    return WorkspaceConfig.model_validate(document)


def window(
    outcomes: pl.DataFrame | None = None, holdout_days: int = 14, **settings: Any
) -> TrainingWindow:
    events, chargebacks = traffic()
    return training_window(
        events,
        chargebacks if outcomes is None else outcomes,
        as_of=AS_OF,
        maturity_horizon=timedelta(days=60),
        window=timedelta(days=90),
        validation=timedelta(days=14),
        holdout=timedelta(days=holdout_days),
        **settings,
    )


def attempt(
    registry: ModelRegistry,
    features: list[str],
    settings: WorkspaceConfig | None = None,
    found: TrainingWindow | None = None,
) -> Any:
    inputs = AttemptInputs(
        window=found or window(),
        feature_names=features,
        feature_spec=b'{"features": %d}' % len(features),
        table_versions={"transactions": 3, "outcomes": 5},
    )
    return run_retrain_attempt(
        registry,
        inputs,
        settings or config(),
        trigger="PSI 0.31 on new_device in week 2026-06-01",
        workspace_root=Path.cwd(),
    )


@pytest.fixture
def with_champion(registry: ModelRegistry) -> ModelRegistry:
    first = attempt(registry, WEAK)
    assert first.accepted and first.challenger_version == 1
    assert registry.aliases() == {"champion": 1}
    return registry


def test_first_version_becomes_champion_and_a_better_one_challenger(
    with_champion: ModelRegistry,
) -> None:
    registry = with_champion
    second = attempt(registry, STRONG)
    assert second.accepted, second.reason
    assert (second.champion_version, second.challenger_version) == (1, 2)
    assert registry.aliases() == {"champion": 1, "challenger": 2}
    assert registry.record(2).status == CHALLENGER
    assert second.challenger_metrics["pr_auc"] > second.champion_metrics["pr_auc"]
    assert second.evidence["bootstrap"]["excludes_zero"]

    lineage = registry.lineage(2)
    assert lineage is not None
    assert lineage.parent_version == 1
    assert lineage.trigger == "PSI 0.31 on new_device in week 2026-06-01"
    assert lineage.data.table_versions == {"transactions": 3, "outcomes": 5}
    assert lineage.data.maturity_cutoff == (AS_OF - timedelta(days=60)).isoformat()
    assert lineage.data.rows == 90 * 120 + 1 and len(lineage.data.frame_sha256) == 64
    assert lineage.threshold["policy"] == "flag_rate"
    assert lineage.code.feature_spec_sha256 == registry.manifest(2).feature_spec_sha256

    loaded = registry.load("challenger")
    assert loaded.manifest.feature_names == tuple(STRONG)
    assert loaded.calibrator is not None
    assert [item.accepted for item in recorded_attempts(registry.metadata, "fraud")] == [
        True,
        True,
    ]


def test_an_attempt_that_does_not_win_is_rejected_and_recorded(
    with_champion: ModelRegistry,
) -> None:
    registry = with_champion
    same = attempt(registry, WEAK)
    assert not same.accepted
    assert registry.aliases() == {"champion": 1}
    assert registry.record(2).status == REJECTED
    assert same.champion_metrics and same.challenger_metrics
    latest = registry.metadata.decisions("fraud", kind="retrain_attempt")[0]
    assert latest.summary.startswith("retraining attempt refused at validation")


def assert_refused(registry: ModelRegistry, result: Any, stage: str, message: str) -> None:
    assert not result.accepted
    assert result.stage == stage
    assert message in result.reason
    assert registry.aliases() == {"champion": 1}
    assert [record.version for record in registry.versions()] == [1]
    latest = recorded_attempts(registry.metadata, "fraud")[0]
    assert (latest.accepted, latest.stage, latest.champion_version) == (False, stage, 1)


def test_too_few_positives_is_an_undecided_attempt_with_a_date(
    with_champion: ModelRegistry,
) -> None:
    result = attempt(with_champion, STRONG, config(retraining={"min_positives": 5000}))
    assert not result.accepted and result.undecided and result.outcome == "undecided"
    assert result.stage == "data"
    assert with_champion.aliases() == {"champion": 1}
    assert [record.version for record in with_champion.versions()] == [1]  # nothing trained
    holdout = result.evidence["holdout"]
    have = holdout["count"]
    assert holdout["end"] == (AS_OF - timedelta(days=60)).isoformat()
    # at the holdout's own rate (its positives over its 14 days) the 5000 arrive by
    rate = have / 14
    ready = AS_OF + timedelta(days=math.ceil((5000 - have) / rate))
    slices = window().counts()
    holds = sum(part["positives"] for part in slices.values())
    assert have < holds < 5000
    assert result.reason.startswith(
        f"not enough matured positives until {ready.date().isoformat()} (the holdout holds "
        f"{have:g}, needs 5000, more than the whole training window holds: {holds:g}): the "
        f"holdout holds {have:g} positive(s)"
    )
    assert "fewer than retraining.min_positives (5000)" in result.reason
    assert result.evidence["undecided"] == {
        "have": have,
        "needed": 5000.0,
        "unit": "positives",
        "ready_at": ready.isoformat(),
        # so far off that the next attempt is due one maturity horizon later, not then
        "retry_at": (AS_OF + timedelta(days=60)).isoformat(),
        "window_holds": holds,
        "out_of_reach": True,
    }
    latest = recorded_attempts(with_champion.metadata, "fraud")[0]
    assert (latest.outcome, latest.stage) == ("undecided", "data")
    entry = with_champion.metadata.decisions("fraud", kind="retrain_attempt")[0]
    assert entry.summary.startswith("retraining attempt undecided at data: not enough matured")
    assert entry.evidence["outcome"] == "undecided"
    # what the policy reads of it: the positives it lacked, after the end of its holdout
    entries = with_champion.metadata.decisions("fraud", kind="retrain_attempt")
    later = entry.at + timedelta(days=1)
    wait = new_evidence_wait(
        entries, RetrainingConfig(), SeriesLabelSupply([], later), as_of=later, minimum=5000
    )
    assert wait is not None
    # it lacked 5000 - have; it asks no more than a refusal would (half of min_positives)
    assert (wait.outcome, wait.needed, wait.holdout_count) == ("undecided", 2500, have)
    assert wait.since == AS_OF - timedelta(days=60)
    assert wait.retry_at == AS_OF + timedelta(days=60) and not wait.retry_due
    due = new_evidence_wait(
        entries, RetrainingConfig(), SeriesLabelSupply([], later), as_of=wait.retry_at,
        minimum=5000,
    )  # fmt: skip
    assert due is not None and due.retry_due and not due.waiting  # no longer blocking


def test_a_gate_without_power_leaves_the_version_a_candidate(
    with_champion: ModelRegistry,
) -> None:
    short = window(holdout_days=3)  # some 17 positives
    # asked to see a gain of half a percent of the champion's room: far below its noise
    settings = config(retraining={"min_positives": 10, "detectable_effect": 0.005})
    result = attempt(with_champion, WEAK, settings, found=short)
    assert result.outcome == "undecided" and result.stage == "validation"
    assert result.challenger_version == 2
    assert with_champion.record(2).status == "candidate"  # neither challenger nor rejected
    assert with_champion.aliases() == {"champion": 1}
    power = result.evidence["power"]
    assert power["sufficient"] is False and power["positives_needed"] > power["positives"]
    have, needed = power["positives"], power["positives_needed"]
    ready = AS_OF + timedelta(days=math.ceil((needed - have) / (have / 3)))
    assert result.reason.startswith(
        f"not enough matured positives until {ready.date().isoformat()} (the holdout holds "
        f"{have:g}, needs {needed:g}): the gate cannot decide on {have:g} positives"
    )
    # a better estimate plugs in
    told = datetime(2026, 6, 9, tzinfo=UTC)
    inputs = AttemptInputs(short, WEAK, labels_ready_at=lambda wanted: told)
    plugged = run_retrain_attempt(
        with_champion, inputs, settings, trigger="drift", workspace_root=Path.cwd()
    )
    assert plugged.reason.startswith("not enough matured positives until 2026-06-09")


def test_a_trainer_that_raises_is_a_failed_attempt(with_champion: ModelRegistry) -> None:
    result = attempt(with_champion, STRONG, config(training={"trainer": "json:loads"}))
    assert_refused(with_champion, result, "training", "trainer 'json:loads' failed: TypeError")


def test_a_schema_change_is_a_failed_attempt(with_champion: ModelRegistry) -> None:
    found = window()
    changed = TrainingWindow(
        **{
            **found.__dict__,
            "holdout": found.holdout.with_columns(pl.col("night").cast(pl.String)),
        }
    )
    result = attempt(with_champion, STRONG, found=changed)
    assert_refused(with_champion, result, "data", "night: Float64 -> String")


def test_missing_outcome_data_is_a_failed_attempt(with_champion: ModelRegistry) -> None:
    events, outcomes = traffic()
    with pytest.raises(TrainingDataError) as refused:
        training_window(
            events,
            outcomes.head(0),
            as_of=AS_OF,
            maturity_horizon=timedelta(days=60),
            window=timedelta(days=90),
            validation=timedelta(days=14),
            holdout=timedelta(days=14),
        )
    result = refuse_attempt(with_champion, refused.value, trigger="manual: check")
    assert_refused(with_champion, result, "data", "missing outcome data")


def test_training_by_hand_registers_a_candidate_without_the_gate(
    with_champion: ModelRegistry,
) -> None:
    registry = with_champion
    inputs = AttemptInputs(window=window(), feature_names=WEAK)
    result = run_retrain_attempt(
        registry,
        inputs,
        config(),
        trigger="manual: watchkeeper train",
        workspace_root=Path.cwd(),
        validate=False,
    )
    assert result.accepted and result.reason.startswith("trained by hand")
    assert registry.record(2).status == "candidate"
    assert registry.aliases() == {"champion": 1}


def test_provisional_labels_train_weighted_and_are_on_record(
    registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, outcomes = traffic()
    # chargebacks spread over 1 to 40 days: young frauds are only partly known at as-of
    lags = pl.Series(np.random.default_rng(1).uniform(1, 40, outcomes.height) * 86400)
    outcomes = outcomes.with_columns(
        received_at=pl.col("received_at") + pl.duration(days=-12, seconds=lags.cast(pl.Int64))
    )
    found = window(outcomes, provisional=ProvisionalLabelsConfig(), min_positives=20)
    assert found.provisional is not None and found.provisional.active
    given: dict[str, Any] = {}
    real_train, real_threshold = retrain_attempt.train_model, retrain_attempt.choose_threshold

    def train_spy(*args: Any) -> Any:
        given["train"] = args[3]
        return real_train(*args)

    def threshold_spy(*args: Any) -> Any:
        given["threshold"] = args[3]
        return real_threshold(*args)

    monkeypatch.setattr(retrain_attempt, "train_model", train_spy)
    monkeypatch.setattr(retrain_attempt, "choose_threshold", threshold_spy)
    result = attempt(registry, STRONG, found=found)
    assert result.accepted, result.reason
    assert np.array_equal(given["train"], found.train["weight"].to_numpy())
    assert np.array_equal(given["threshold"], found.validation["weight"].to_numpy())
    assert given["threshold"].max() > 1.0  # the validation slice is all provisional here
    lineage = registry.lineage(1)
    assert lineage is not None and lineage.data.provisional_labels is not None
    assert lineage.data.provisional_labels["used"] is True
    assert lineage.data.window_end == found.window_end.isoformat() > lineage.data.maturity_cutoff
    holdout = lineage.data.slices["holdout"]
    assert holdout["provisional_rows"] == holdout["rows"]
    assert holdout["weighted_positives"] > holdout["positives"]
    metrics = registry.record(1).metrics
    assert metrics["weighted_positives"] == pytest.approx(holdout["weighted_positives"], abs=1e-3)
