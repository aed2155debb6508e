"""An undecided gate and a degraded champion: the challenger that leads goes to a canary.

The holdout below holds about 30 positives: too few for the gate to refuse or accept with
the power it asks (``retraining.min_power``), so it is undecided. With the retrain policy's
word that the champion is degraded, a challenger leading on the point estimate is accepted
(``accepted_by: degraded_champion``); without it, or with a challenger behind, or with
``when_undecided: wait``, the attempt stays undecided.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from watchkeeper.config import BusinessValueConfig, RetrainingConfig, WorkspaceConfig
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.training.attempts import DEGRADED_CHAMPION, attempt_from_gate
from watchkeeper.training.evaluation import Holdout
from watchkeeper.training.retrain_policy import decide_retrain
from watchkeeper.training.validation import Contender, GateResult, validation_gate

ROWS = 3000


class NoisyScores:
    """Scores that follow the label through ``noise``: the less noise, the better the model."""

    def __init__(self, noise: float, seed: int) -> None:
        self.noise, self.seed = noise, seed

    def predict_scores(self, features: pl.DataFrame) -> np.ndarray:
        signal = features["signal"].to_numpy()
        noise = np.random.default_rng(self.seed).normal(0, self.noise, signal.size)
        return 1 / (1 + np.exp(-(signal + noise)))


def gate(champion_noise: float, challenger_noise: float) -> GateResult:
    rng = np.random.default_rng(11)
    labels = (rng.random(ROWS) < 0.01).astype(np.int8)
    holdout = Holdout(
        pl.DataFrame({"signal": 2.0 * labels + rng.normal(0, 1, ROWS)}),
        labels,
        amounts=rng.lognormal(4, 1, ROWS),
    )
    return validation_gate(
        Contender(NoisyScores(champion_noise, 1), 0.9),
        Contender(NoisyScores(challenger_noise, 2), 0.9),
        holdout,
        retraining=RetrainingConfig(min_positives=20, bootstrap_samples=300),
        business=BusinessValueConfig(),
    )


@pytest.fixture(scope="module")
def leading() -> GateResult:
    result = gate(champion_noise=1.5, challenger_noise=1.2)
    assert result.undecided and result.interval.difference > 0, result.reason
    return result


def test_a_degraded_champion_lets_the_leading_challenger_go_to_a_canary(
    leading: GateResult,
) -> None:
    attempt = attempt_from_gate(
        leading, trigger="drift", champion_version=1, challenger_version=None,
        degraded="PSI above the alert level on mcc",
    )  # fmt: skip
    assert attempt.accepted and not attempt.undecided and attempt.outcome == "accepted"
    assert attempt.evidence["accepted_by"] == DEGRADED_CHAMPION
    assert attempt.evidence["outcome"] == "accepted"
    assert "champion being degraded (PSI above the alert level on mcc)" in attempt.reason
    assert "cannot decide" in attempt.reason  # the gate's own words are kept


def test_without_a_degraded_champion_the_attempt_stays_undecided(leading: GateResult) -> None:
    attempt = attempt_from_gate(leading, trigger="schedule", champion_version=1,
                                challenger_version=None)  # fmt: skip
    assert attempt.undecided and not attempt.accepted
    assert "accepted_by" not in attempt.evidence


def test_a_challenger_behind_the_champion_is_never_taken() -> None:
    behind = gate(champion_noise=1.2, challenger_noise=1.3)
    assert behind.undecided and behind.interval.difference < 0, behind.reason
    attempt = attempt_from_gate(behind, trigger="drift", champion_version=1,
                                challenger_version=None, degraded="drift")  # fmt: skip
    assert attempt.undecided and not attempt.accepted


def test_a_decided_gate_is_never_overruled() -> None:
    refused = gate(champion_noise=0.3, challenger_noise=3.0)
    assert not refused.undecided and not refused.accepted, refused.reason
    attempt = attempt_from_gate(refused, trigger="drift", champion_version=1,
                                challenger_version=None, degraded="drift")  # fmt: skip
    assert attempt.outcome == "refused"


def test_the_workspace_can_keep_waiting_instead() -> None:
    config = WorkspaceConfig.model_validate(
        {
            "model": {"name": "fraud"},
            "owner": {"name": "Dana Reyes", "contact": "dana@example.com"},
            "retraining": {"when_undecided": "wait"},
        }
    )
    assert config.retraining.when_undecided == "wait"
    assert RetrainingConfig().when_undecided == "fresher_if_degraded"


DAY = datetime(2026, 6, 1, tzinfo=UTC)


def psi_alerts(days: range, status: str = "alert") -> list[MetricRow]:
    return [
        MetricRow("fraud", "psi", DAY + timedelta(days=day), DAY + timedelta(days=day + 1),
                  value=0.4 if status == "alert" else 0.01, status=status, feature="mcc")
        for day in days
    ]  # fmt: skip


def test_the_policy_says_why_the_champion_is_degraded() -> None:
    drifting = decide_retrain(psi_alerts(range(2)), [], config=RetrainingConfig(),
                              as_of=DAY + timedelta(days=2))  # fmt: skip
    assert drifting.evidence["champion_degraded"].startswith("PSI above the alert level on mcc")
    # a scheduled attempt after one window's alert: no drift trigger, no degraded champion
    scheduled = decide_retrain(
        psi_alerts(range(20, 21)) + psi_alerts(range(21, 39), "ok"),
        [],
        config=RetrainingConfig.model_validate({"triggers": {"schedule": "30d"}}),
        as_of=DAY + timedelta(days=40),
        last_trained_at=DAY - timedelta(days=40),
    )
    assert scheduled.trigger == "schedule"
    assert "champion_degraded" not in scheduled.evidence
    quiet = decide_retrain([], [], config=RetrainingConfig(), as_of=DAY,
                           last_trained_at=DAY - timedelta(days=40))  # fmt: skip
    assert "champion_degraded" not in quiet.evidence


def test_after_a_challenger_won_for_a_degraded_champion_the_schedule_is_shorter() -> None:
    """The audit log keeps the whole attempt (:meth:`RetrainAttempt.to_dict`), its own evidence
    nested: the recovery schedule must read it there, as the agent writes it."""
    from watchkeeper.storage.metadata.records import AuditEntry
    from watchkeeper.training.attempts import RetrainAttempt
    from watchkeeper.training.retrain_policy import schedule_period

    config = RetrainingConfig.model_validate(
        {"triggers": {"schedule": "30d", "schedule_in_recovery": "14d"}}
    )

    def audited(evidence: dict[str, str], accepted: bool = True) -> AuditEntry:
        attempt = RetrainAttempt(accepted, "gate", "drift", "validation", evidence=evidence)
        return AuditEntry(1, "fraud", "retrain_attempt", DAY, "agent", attempt.summary,
                          attempt.to_dict(), created_at=DAY)  # fmt: skip

    later = DAY + timedelta(days=1)
    won = audited({"champion_degraded": "PSI above the alert level on mcc"})
    assert schedule_period(config, [won], later) == timedelta(days=14)
    assert schedule_period(config, [audited({})], later) == timedelta(days=30)
    refused = audited({"champion_degraded": "PSI above the alert level on mcc"}, False)
    assert schedule_period(config, [refused], later) == timedelta(days=30)
    assert schedule_period(config, [won, audited({})], later) == timedelta(days=14)
    assert schedule_period(config, [won, refused, audited({})], later) == timedelta(days=30)


def test_a_scheduled_attempt_in_recovery_finds_the_champion_degraded() -> None:
    """After a challenger won for a degraded champion, the next scheduled attempt may also
    send a leading challenger to a canary when its gate is undecided: the world is still
    moving. A refusal ends the recovery."""
    from watchkeeper.storage.metadata.records import AuditEntry
    from watchkeeper.training.attempts import RetrainAttempt

    config = RetrainingConfig.model_validate({"triggers": {"schedule": "30d"}})

    def audited(at: datetime, evidence: dict[str, str], accepted: bool = True) -> AuditEntry:
        attempt = RetrainAttempt(accepted, "gate", "t", "validation", evidence=evidence)
        return AuditEntry(1, "fraud", "retrain_attempt", at, "agent", attempt.summary,
                          attempt.to_dict(), created_at=at)  # fmt: skip

    first = audited(DAY - timedelta(days=60), {})  # the first model: nothing degraded
    won = audited(DAY, {"champion_degraded": "PSI above the alert level on mcc"})
    later = DAY + timedelta(days=15)
    scheduled = decide_retrain([], [first, won], config=config, as_of=later,
                               last_trained_at=DAY)  # fmt: skip
    assert scheduled.retrain and scheduled.trigger == "schedule"
    assert scheduled.evidence["champion_degraded"].startswith(
        "recovering from a degraded champion: every attempt since 2026-06-01 beat its champion"
    )
    refused = audited(DAY + timedelta(days=1), {}, accepted=False)
    held = decide_retrain([], [first, won, refused], config=config,
                          as_of=DAY + timedelta(days=40), last_trained_at=DAY)  # fmt: skip
    assert held.trigger == "schedule" and "champion_degraded" not in held.evidence
