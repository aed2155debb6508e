"""The retrain policy on synthetic metric series: triggers, K windows, cooldown, the attempt
budget and the new-evidence rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from watchkeeper.config import RetrainingConfig
from watchkeeper.storage.metadata.decision_kinds import RETRAIN_ATTEMPT
from watchkeeper.storage.metadata.records import AuditEntry, MetricRow
from watchkeeper.training.attempts import RetrainAttempt
from watchkeeper.training.retrain_policy import decide_retrain

DAY0 = datetime(2026, 6, 1, tzinfo=UTC)
CHAMPION = {"recall": 0.8, "precision": 0.5, "pr_auc": 0.6, "business_value": 9000.0}


def day(index: int) -> datetime:
    return DAY0 + timedelta(days=index)


def psi(window: int, feature: str, value: float) -> MetricRow:
    status = "alert" if value > 0.25 else "warn" if value > 0.1 else "ok"
    return MetricRow(
        "fraud", "psi", day(window), day(window + 1), value=value, status=status, feature=feature
    )


def drift_series(alerting: list[list[str]]) -> list[MetricRow]:
    """One window per item; the named features alert, the others stay calm."""
    rows = []
    for window, features in enumerate(alerting):
        for feature in ("amount", "merchant_category", "hour"):
            rows.append(psi(window, feature, 0.31 if feature in features else 0.05))
    return rows


def attempt(at: datetime, accepted: bool = False, **evidence: object) -> AuditEntry:
    """An entry as older audit logs hold it: ``accepted`` and a few fields, no outcome."""
    return AuditEntry(
        0, "fraud", RETRAIN_ATTEMPT, at, "watchkeeper", "", {"accepted": accepted, **evidence}, at
    )


def recorded(at: datetime, found: RetrainAttempt) -> AuditEntry:
    """An entry as :func:`record_attempt` writes it."""
    return AuditEntry(0, "fraud", RETRAIN_ATTEMPT, at, "watchkeeper", "", found.to_dict(), at)


def undecided(at: datetime, have: float, needed: float, holdout_end: datetime) -> AuditEntry:
    shortage = {"have": have, "needed": needed, "unit": "positives", "ready_at": None}
    holdout = {"start": None, "end": holdout_end.isoformat(), "count": have}
    details = {"undecided": shortage, "holdout": holdout}
    return recorded(
        at, RetrainAttempt(False, "", "drift", "data", evidence=details, undecided=True)
    )


def refused(at: datetime, count: float, holdout_end: datetime) -> AuditEntry:
    holdout = {"start": None, "end": holdout_end.isoformat(), "count": count}
    return recorded(
        at, RetrainAttempt(False, "", "drift", "validation", evidence={"holdout": holdout})
    )


def positives(first: int, last: int, per_day: float = 2.0) -> list[MetricRow]:
    """Matured daily windows from ``first`` to ``last`` (included), ``per_day`` positives each."""
    return [
        MetricRow(
            "fraud", "positive_labels", day(index), day(index + 1), per_day, "ok", model_version=1
        )
        for index in range(first, last + 1)
    ]


def config(**settings: object) -> RetrainingConfig:
    return RetrainingConfig.model_validate(settings)


def test_drift_needs_k_consecutive_windows_with_n_features() -> None:
    two_windows = config(triggers={"psi_windows": 2, "psi_features": 1})
    series = drift_series([["amount"], [], ["amount"]])
    assert not decide_retrain(series, [], config=two_windows, as_of=day(3)).retrain
    series = drift_series([[], ["amount"], ["amount", "merchant_category"]])
    decision = decide_retrain(series, [], config=two_windows, as_of=day(3))
    assert decision.retrain and decision.trigger == "drift"
    assert decision.reason.startswith(
        "PSI above the alert level on amount (0.31), merchant_category (0.31) in each of the "
        "last 2 windows, the latest 2026-06-03 to 2026-06-04"
    )
    two_features = config(triggers={"psi_windows": 2, "psi_features": 2})
    assert not decide_retrain(series, [], config=two_features, as_of=day(3)).retrain
    series = drift_series([["amount", "hour"], ["amount", "hour"]])
    assert decide_retrain(series, [], config=two_features, as_of=day(2)).retrain


def test_windows_after_as_of_are_not_seen() -> None:
    series = drift_series([[], ["amount"], ["amount"]])
    assert not decide_retrain(series, [], config=config(), as_of=day(2)).retrain
    assert decide_retrain(series, [], config=config(), as_of=day(3)).retrain


def test_too_few_windows_do_not_fire() -> None:
    series = drift_series([["amount"]])
    assert not decide_retrain(series, [], config=config(), as_of=day(5)).retrain


def test_cooldown_holds_a_trigger_back() -> None:
    series = drift_series([["amount"], ["amount"]])
    cooling = decide_retrain(series, [attempt(day(-3))], config=config(), as_of=day(2))
    assert not cooling.retrain and cooling.trigger == "drift"
    assert cooling.reason.startswith("cooling down until 2026-06-05T00:00:00+00:00 (7d after")
    cooled = decide_retrain(series, [attempt(day(-6))], config=config(), as_of=day(2))
    assert cooled.retrain


def test_the_budget_counts_refusals_of_the_drift_episode() -> None:
    series = drift_series([["amount"], ["amount"]])  # the episode began on day 0
    capped = config(max_attempts=3, cooldown="1h")
    earlier = [attempt(day(-30 + index)) for index in range(3)]  # another episode's
    decision = decide_retrain(series, earlier, config=capped, as_of=day(2))
    assert decision.retrain and decision.evidence["attempt_budget"]["used"] == 0
    failures = [attempt(day(0) + timedelta(hours=hour)) for hour in (1, 2, 3)]
    decision = decide_retrain(series, failures, config=capped, as_of=day(2))
    assert not decision.retrain and decision.trigger == "drift"
    assert decision.reason.startswith(
        "attempt budget spent: 3 refused attempt(s) since 2026-06-01 (retraining.max_attempts 3 "
        "per drift episode, within 90d); the owner is alerted, and retraining resumes on "
        "2026-08-30 or when the owner acts"
    )
    budget = decision.evidence["attempt_budget"]
    assert (
        budget["exhausted"]
        and budget["resumes_at"] == (failures[0].at + timedelta(days=90)).isoformat()
    )
    # an accepted attempt, or one the owner started by hand, starts the count afresh
    accepted = [*failures, attempt(day(1), accepted=True), attempt(day(1) + timedelta(hours=1))]
    decision = decide_retrain(series, accepted, config=capped, as_of=day(2))
    assert decision.retrain and decision.evidence["attempt_budget"]["used"] == 1
    by_hand = [*failures, attempt(day(1), trigger="manual: look again")]
    decision = decide_retrain(series, by_hand, config=capped, as_of=day(2))
    assert decision.retrain and decision.evidence["attempt_budget"]["used"] == 0
    # undecided attempts are no failures
    waits = [undecided(day(0) + timedelta(hours=hour), 10, 25, day(-60)) for hour in (1, 2, 3)]
    decision = decide_retrain(series, waits, config=capped, as_of=day(2))
    assert decision.retrain and decision.evidence["attempt_budget"]["used"] == 0
    other_kinds = [
        AuditEntry(0, "fraud", "alert", day(1), "watchkeeper", "", {}, day(1)) for _ in range(5)
    ]
    assert decide_retrain(series, other_kinds, config=capped, as_of=day(2)).retrain


def test_a_long_episode_frees_its_budget_with_the_period() -> None:
    series = drift_series([["amount"]] * 40)  # one drift episode of 40 days
    settings = config(max_attempts=3, budget_period="30d", cooldown="1d")
    failures = [attempt(day(index)) for index in (5, 15, 25)]
    spent = decide_retrain(series, failures, config=settings, as_of=day(30))
    assert not spent.retrain and spent.reason.startswith("attempt budget spent")
    assert spent.evidence["attempt_budget"]["resumes_at"] == day(35).isoformat()
    # the loop was never stopped: once the oldest refusal leaves the period, it resumes
    assert decide_retrain(series, failures, config=settings, as_of=day(36)).retrain


def test_a_refused_attempt_waits_for_new_positives() -> None:
    series = drift_series([["amount"], ["amount"]])
    settings = config(min_positives=25, cooldown="1h")  # new_evidence 0.5: 13 positives
    last = [refused(day(1), 31, holdout_end=day(-40))]  # matured windows follow its holdout
    rows = series + positives(-40, -35)  # 6 windows, 12 positives after the holdout
    decision = decide_retrain(rows, last, config=settings, as_of=day(2))
    assert not decision.retrain and decision.trigger == "drift"
    assert decision.reason.startswith(
        "waiting for new labels: the last attempt was refused on 31 positives, needs 1 more "
        "(13 new matured positives of events after its holdout ended 2026-04-22, 12 so far; "
        "expected by 2026-06-04)"  # 2 a day: one more day
    )
    wait = decision.evidence["new_evidence"]
    assert (wait["needed"], wait["have"], wait["last_attempt"]) == (13, 12.0, "refused")
    # positives of windows before the holdout's end, or not matured yet, are no new evidence
    older = (
        rows
        + positives(-50, -41)
        + [
            MetricRow(
                "fraud", "positive_labels", day(-34), day(-33), 9.0, "immature", model_version=1
            )
        ]
    )
    assert not decide_retrain(older, last, config=settings, as_of=day(2)).retrain
    enough = rows + positives(-34, -34)
    assert decide_retrain(enough, last, config=settings, as_of=day(2)).retrain
    # without a recorded holdout, the attempt's holdout ended a maturity horizon before it
    bare = [attempt(day(1))]
    waiting = decide_retrain(
        rows, bare, config=settings, as_of=day(2), label_horizon=timedelta(days=41)
    )
    assert waiting.evidence["new_evidence"]["since"] == day(-40).isoformat()


def test_an_undecided_attempt_starts_no_cooldown_and_waits_for_what_it_lacked() -> None:
    series = drift_series([["amount"], ["amount"]])
    settings = config(min_positives=25)  # cooldown 7d
    last = [undecided(day(1), 20, 30, holdout_end=day(-40))]  # 10 more positives needed
    short = series + positives(-40, -37)  # 8 of them
    decision = decide_retrain(short, last, config=settings, as_of=day(2))
    assert not decision.retrain
    assert decision.reason.startswith(
        "waiting for new labels: the last attempt was undecided on 20 positives, needs 2 more"
    )
    ready = series + positives(-40, -36)
    decision = decide_retrain(ready, last, config=settings, as_of=day(2))
    assert decision.retrain  # a day after the attempt: no cooldown for an undecided one
    # the cooldown still runs from the last decided attempt
    both = [attempt(day(0) + timedelta(hours=12)), *last]
    decision = decide_retrain(ready, both, config=settings, as_of=day(2))
    assert not decision.retrain and decision.reason.startswith("cooling down until 2026-06-08")


def test_other_tasks_count_labelled_rows_as_new_evidence() -> None:
    series = drift_series([["amount"], ["amount"]])
    settings = config(min_holdout_rows=200, cooldown="1h")  # 100 new labelled rows
    last = [refused(day(1), 300, holdout_end=day(-40))]
    labelled = [
        MetricRow("fraud", "labelled_events", day(i), day(i + 1), 30.0, "ok", model_version=1)
        for i in range(-40, -37)
    ]
    positives_only = series + positives(-40, -30, per_day=50.0)
    decision = decide_retrain(
        series + labelled, last, config=settings, as_of=day(2), task="regression"
    )
    assert not decision.retrain and "needs 10 more" in decision.reason
    assert "labelled rows" in decision.reason
    # positives say nothing of a regression model's labels: with no labelled_events series
    # the rule cannot be applied (the cooldown alone spaces attempts), and the evidence says so
    blind = decide_retrain(positives_only, last, config=settings, as_of=day(2), task="regression")
    assert blind.retrain and blind.evidence["new_evidence"]["have"] is None
    last_window = MetricRow(
        "fraud", "labelled_events", day(-37), day(-36), 10.0, "ok", model_version=1
    )
    more = [*labelled, last_window]
    assert decide_retrain(
        series + more, last, config=settings, as_of=day(2), task="regression"
    ).retrain


def daily(metric: str, values: list[float], status: str = "ok", **extra: object) -> list[MetricRow]:
    return [
        MetricRow("fraud", metric, day(index), day(index + 1), value, status, **extra)  # type: ignore[arg-type]
        for index, value in enumerate(values)
    ]


def test_a_performance_drop_against_the_champion_holdout_fires() -> None:
    settings = config(
        triggers={"performance_drop": 0.1, "performance_metrics": ["recall", "pr_auc"]}
    )
    realized = daily("recall", [0.8] * 7 + [0.52] * 7)
    decision = decide_retrain(
        realized, [], config=settings, as_of=day(20), champion_metrics=CHAMPION
    )
    assert decision.retrain and decision.trigger == "performance"
    assert decision.reason.startswith(
        "recall 0.52 (pooled over 7 windows to 2026-06-15) is 35% below the champion's "
        "holdout recall 0.8"
    )
    # an estimate is judged against its own first week, not against the holdout's realized
    dropped = daily("estimated_recall", [0.65] * 7 + [0.45] * 7)
    decision = decide_retrain(
        dropped, [], config=settings, as_of=day(20), champion_metrics=CHAMPION
    )
    assert decision.retrain and decision.reason.startswith(
        "estimated_recall 0.45 (pooled over 7 windows to 2026-06-15) is 31% below its estimate in "
        "the first 7d served 0.65"
    )
    # three days after its first week, the drop is not measured yet: a pool of the last 7
    # windows would share four with the reference (0.46 against 0.65, a 30% "drop")
    young = daily("estimated_recall", [0.65] * 7 + [0.2] * 3)
    assert not decide_retrain(
        young, [], config=settings, as_of=day(20), champion_metrics=CHAMPION
    ).retrain
    served = daily("estimated_recall", [0.65] * 7 + [0.2] * 5)  # five windows after it
    decision = decide_retrain(served, [], config=settings, as_of=day(20), champion_metrics=CHAMPION)
    assert decision.retrain and decision.reason.startswith(
        "estimated_recall 0.2 (pooled over 5 windows to 2026-06-13) is 69% below"
    )
    steady = daily("estimated_recall", [0.65] * 14)  # below the holdout, but as it always was
    assert not decide_retrain(
        steady, [], config=settings, as_of=day(20), champion_metrics=CHAMPION
    ).retrain
    small = daily("recall", [0.75] * 7) + daily("pr_auc", [0.58] * 7)
    assert not decide_retrain(
        small, [], config=settings, as_of=day(20), champion_metrics=CHAMPION
    ).retrain
    immature = daily("recall", [0.2] * 7, status="immature")
    assert not decide_retrain(
        immature, [], config=settings, as_of=day(20), champion_metrics=CHAMPION
    ).retrain
    other_version = daily("recall", [0.2] * 7, model_version=2)
    assert not decide_retrain(
        other_version,
        [],
        config=settings,
        as_of=day(20),
        champion_metrics=CHAMPION,
        champion_version=1,
    ).retrain
    off = config(triggers={"performance_drop": None})
    assert not decide_retrain(
        dropped, [], config=off, as_of=day(20), champion_metrics=CHAMPION
    ).retrain


def test_one_noisy_window_or_a_short_series_does_not_fire() -> None:
    settings = config(triggers={"performance_drop": 0.1})
    noisy = daily("recall", [0.8, 0.82, 0.79, 0.81, 0.8, 0.78, 0.3])  # mean 0.73
    assert (
        decide_retrain(noisy, [], config=settings, as_of=day(20), champion_metrics=CHAMPION).retrain
        is False
    )
    # a day with one fraud missed weighs one twentieth of a day with twenty frauds caught
    bursty = daily("recall", [1.0, 0.0] * 4) + daily("positive_labels", [20.0, 1.0] * 4)
    assert not decide_retrain(
        bursty, [], config=settings, as_of=day(20), champion_metrics=CHAMPION
    ).retrain
    short = daily("recall", [0.2] * 4)  # fewer than performance_min_windows (5)
    assert not decide_retrain(
        short, [], config=settings, as_of=day(20), champion_metrics=CHAMPION
    ).retrain
    # precision follows the fraud rate at a fixed flag rate: not a trigger unless asked for
    precision = daily("precision", [0.1] * 7)
    assert not decide_retrain(
        precision, [], config=settings, as_of=day(20), champion_metrics=CHAMPION
    ).retrain
    asked = config(triggers={"performance_metrics": ["precision"]})
    assert decide_retrain(
        precision, [], config=asked, as_of=day(20), champion_metrics=CHAMPION
    ).retrain


def test_the_schedule_is_a_fallback() -> None:
    settings = config(triggers={"schedule": "30d"})
    early = decide_retrain([], [], config=settings, as_of=day(20), last_trained_at=day(0))
    assert not early.retrain and early.reason == "no trigger fired"
    due = decide_retrain([], [], config=settings, as_of=day(30), last_trained_at=day(0))
    assert due.retrain and due.reason == "scheduled: 30d since the last training on 2026-06-01"
    series = drift_series([["amount"], ["amount"]])
    both = decide_retrain(series, [], config=settings, as_of=day(30), last_trained_at=day(0))
    assert both.trigger == "drift" and set(both.evidence["triggers"]) == {"drift", "schedule"}


def test_disabled_retraining_never_fires() -> None:
    series = drift_series([["amount"], ["amount"]])
    decision = decide_retrain(series, [], config=config(enabled=False), as_of=day(2))
    assert not decision.retrain and "disabled" in decision.reason


def test_drift_waits_for_a_holdout_of_matured_post_drift_labels() -> None:
    two_windows = config(triggers={"psi_windows": 2, "psi_features": 1})
    series = drift_series([[], ["amount"], ["amount"]])  # drift begins on day 1
    waits = {"label_horizon": timedelta(days=60), "holdout": timedelta(days=14)}
    early = decide_retrain(series, [], config=two_windows, as_of=day(3), **waits)
    assert not early.retrain and early.trigger == "drift"
    assert early.reason.startswith("waiting for labels: drift began 2026-06-02")
    assert early.evidence["labels_ready_at"] == day(1 + 74).isoformat()
    assert not decide_retrain(series, [], config=two_windows, as_of=day(74), **waits).retrain
    assert decide_retrain(series, [], config=two_windows, as_of=day(75), **waits).retrain
    # without the label settings the trigger starts at once, as before
    assert decide_retrain(series, [], config=two_windows, as_of=day(3)).retrain


def test_a_refused_scheduled_attempt_waits_a_whole_period_again() -> None:
    settings = config(triggers={"schedule": "30d"})
    refused = [attempt(day(30), accepted=False)]
    assert not decide_retrain(
        [], refused, config=settings, as_of=day(45), last_trained_at=day(0)
    ).retrain
    due = decide_retrain([], refused, config=settings, as_of=day(60), last_trained_at=day(0))
    assert due.retrain and due.reason == "scheduled: 30d since the last training on 2026-07-01"


def test_drift_waits_until_the_drifted_traffic_holds_positives_with_provisional_labels() -> None:
    two_windows = config(triggers={"psi_windows": 2, "psi_features": 1})
    series = drift_series([[], ["amount"], ["amount"]])  # drift begins on day 1
    spans = {"label_horizon": timedelta(days=60), "holdout": timedelta(days=14)}
    asked: list[datetime] = []

    def ready_on(found: datetime | None) -> Callable[[datetime], datetime | None]:
        def labels_ready(onset: datetime) -> datetime | None:
            asked.append(onset)
            return found

        return labels_ready

    early = ready_on(day(20))
    waiting = decide_retrain(series, [], config=two_windows, as_of=day(19), labels_ready=early,
                             **spans)  # fmt: skip
    assert not waiting.retrain and asked == [day(1)]
    assert waiting.evidence["labels_ready_at"] == day(20).isoformat()
    assert waiting.evidence["labels_ready_by"] == "provisional"
    assert decide_retrain(series, [], config=two_windows, as_of=day(20), labels_ready=early,
                          **spans).retrain  # fmt: skip
    # never later than the matured rule's date: a holdout of matured labels from the drift
    for late in (ready_on(day(90)), ready_on(None)):
        decision = decide_retrain(series, [], config=two_windows, as_of=day(74),
                                  labels_ready=late, **spans)  # fmt: skip
        assert not decision.retrain and decision.evidence["labels_ready_by"] == "matured"
        assert decision.evidence["labels_ready_at"] == day(75).isoformat()
        assert decide_retrain(series, [], config=two_windows, as_of=day(75),
                              labels_ready=late, **spans).retrain  # fmt: skip


def test_an_undecided_attempt_waits_for_its_labels_until_its_retry_at_and_no_longer() -> None:
    series = drift_series([["amount"], ["amount"]])
    settings = config(min_positives=25)
    short = undecided(day(1), 20, 3000, holdout_end=day(-40))  # 2980 more: years away
    details = short.evidence["evidence"]
    details["undecided"]["retry_at"] = day(30).isoformat()
    rows = series + positives(-40, -37)
    decision = decide_retrain(rows, [short], config=settings, as_of=day(29))
    assert not decision.retrain and "retried on 2026-07-01 at the latest" in decision.reason
    due = decide_retrain(rows, [short], config=settings, as_of=day(30))
    assert due.retrain and due.evidence["new_evidence"]["retry_at"] == day(30).isoformat()
    # an entry that recorded none is retried one maturity horizon after it
    del details["undecided"]["retry_at"]
    horizon = {"label_horizon": timedelta(days=60)}
    assert not decide_retrain(rows, [short], config=settings, as_of=day(60), **horizon).retrain
    assert decide_retrain(rows, [short], config=settings, as_of=day(61), **horizon).retrain


def test_an_undecided_attempt_asks_no_more_new_labels_than_a_refused_one() -> None:
    series = drift_series([["amount"], ["amount"]])
    settings = config(min_positives=25)  # a refusal asks ceil(0.5 * 25) = 13 new positives
    hopeless = undecided(day(1), 20, 3000, holdout_end=day(-40))  # 2980 more: years away
    few = series + positives(-40, -35)  # 12 new positives
    decision = decide_retrain(few, [hopeless], config=settings, as_of=day(5))
    assert not decision.retrain and decision.evidence["new_evidence"]["needed"] == 13
    assert "needs 1 more" in decision.reason
    enough = series + positives(-40, -34)  # 14: the next challenger learns from them too
    assert decide_retrain(enough, [hopeless], config=settings, as_of=day(5)).retrain
    # what an undecided attempt lacked, when less, is still what it waits for
    close = undecided(day(1), 20, 24, holdout_end=day(-40))
    waiting = decide_retrain(series + positives(-40, -40), [close], config=settings, as_of=day(5))
    assert waiting.evidence["new_evidence"]["needed"] == 4 and not waiting.retrain


def test_an_attempt_before_the_drift_onset_asks_no_new_evidence_of_those_after_it() -> None:
    settings = config(min_positives=25, triggers={"psi_windows": 2, "psi_features": 1})
    quiet = [[] for _ in range(30)]
    series = drift_series([*quiet, ["amount"], ["amount"]])  # drift begins on day 30
    few = series + positives(-40, -37)  # 8 new matured positives, 13 asked after a refusal
    before = [refused(day(10), 31, holdout_end=day(-40))]
    decision = decide_retrain(few, before, config=settings, as_of=day(32))
    assert decision.retrain, decision.reason
    assert decision.evidence["new_evidence"] == (
        "none asked: the last attempt (2026-06-11) came before the drift began (2026-07-01)"
    )
    # an attempt within the episode still waits for labels it did not have
    within = [refused(day(31), 31, holdout_end=day(-40))]
    decision = decide_retrain(few, within, config=settings.model_copy(update={"cooldown":
                              timedelta(hours=1)}), as_of=day(32))  # fmt: skip
    assert not decision.retrain and decision.reason.startswith("waiting for new labels")
