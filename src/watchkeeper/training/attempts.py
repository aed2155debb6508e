"""Retraining attempts in the audit log: every attempt, passed or not, with its evidence.

An attempt ends in one of three outcomes (:attr:`RetrainAttempt.outcome`):

- ``accepted`` — the gate's verdict for the challenger (:func:`attempt_from_gate`), or a
  version nobody judged (:func:`unjudged_attempt`);
- ``refused`` — the gate's verdict against it, or a refusal on the way — missing outcomes,
  a schema change, a trainer that raised — turned into a failed attempt by
  :func:`failed_attempt`;
- ``undecided`` — the holdout could not decide: fewer positives than
  ``retraining.min_positives``, or a gate whose power is below ``retraining.min_power``
  (:func:`undecided_attempt`). Its reason says "not enough matured positives until DATE";
  it is no failure: the retrain policy neither counts it against the attempt budget nor
  starts the cooldown from it, and waits instead for the labels it named.

:func:`record_attempt` writes it to the audit log as a ``retrain_attempt`` decision, whose
evidence holds ``accepted``, ``undecided``, ``outcome``, the stage reached, the trigger, both
models' metrics, the gate's statistics and power, and the holdout's span and positives
(``holdout``: what the policy counts new evidence from). The retrain policy reads these
entries for its budget, new-evidence rule and cooldown.

>>> from datetime import UTC, datetime
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.errors import TrainingDataError
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> store = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC)))
>>> refused = failed_attempt(TrainingDataError("the holdout holds 3 positive(s)"),
...                         trigger="manual: test", stage=DATA_STAGE, champion_version=1)
>>> entry = record_attempt(store, "fraud", refused)
>>> entry.summary
'retraining attempt refused at data: the holdout holds 3 positive(s)'
>>> [(attempt.accepted, attempt.stage) for attempt in recorded_attempts(store, "fraud")]
[(False, 'data')]
>>> store.close()
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from watchkeeper.storage.metadata.decision_kinds import RETRAIN_ATTEMPT, RETRAIN_REQUEST
from watchkeeper.storage.metadata.records import AuditEntry
from watchkeeper.storage.metadata.store import MetadataStore
from watchkeeper.training.label_supply import LabelShortage
from watchkeeper.training.task_validation import TaskGateResult
from watchkeeper.training.validation import GateResult

ATTEMPT_KINDS = frozenset({RETRAIN_ATTEMPT, RETRAIN_REQUEST})
"""The audit kinds the retrain policy counts as attempts (cooldown, attempt budget)."""

ACCEPTED = "accepted"
REFUSED = "refused"
UNDECIDED = "undecided"
OUTCOMES = (ACCEPTED, REFUSED, UNDECIDED)

DATA_STAGE = "data"
TRAINING_STAGE = "training"
VALIDATION_STAGE = "validation"
REGISTRATION_STAGE = "registration"
STAGES = (DATA_STAGE, TRAINING_STAGE, VALIDATION_STAGE, REGISTRATION_STAGE)
"""Where an attempt can stop: reading data, fitting, the gate, registering the result."""


@dataclass(frozen=True)
class RetrainAttempt:
    """One retraining attempt and its outcome.

    ``stage`` is where it ended (``validation`` once the gate decided). ``challenger_version``
    is the registered version of the new model, when it got that far. ``undecided`` (never
    with ``accepted``): the holdout could not decide.
    """

    accepted: bool
    reason: str
    trigger: str
    stage: str
    champion_version: int | None = None
    challenger_version: int | None = None
    champion_metrics: dict[str, Any] = field(default_factory=dict)
    challenger_metrics: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    undecided: bool = False

    @property
    def outcome(self) -> str:
        """``accepted``, ``refused`` or ``undecided``."""
        return ACCEPTED if self.accepted else UNDECIDED if self.undecided else REFUSED

    @property
    def summary(self) -> str:
        """One line for the audit log."""
        if self.accepted:
            return f"retraining attempt accepted: {self.reason}"
        return f"retraining attempt {self.outcome} at {self.stage}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the audit entry's evidence, and ``watchkeeper retrain --json``)."""
        return {**asdict(self), "outcome": self.outcome}

    @classmethod
    def from_audit(cls, entry: AuditEntry) -> RetrainAttempt:
        """Rebuild an attempt from its audit-log entry."""
        values = dict(entry.evidence)
        return cls(**{name: values[name] for name in cls.__dataclass_fields__ if name in values})


def attempt_from_gate(
    result: GateResult | TaskGateResult,
    *,
    trigger: str,
    champion_version: int | None,
    challenger_version: int | None,
    degraded: str | None = None,
) -> RetrainAttempt:
    """The attempt whose outcome the validation gate decided (``undecided`` as the gate
    says: :func:`undecided_attempt` then tells what the holdout lacked, until when).

    With ``degraded`` (why the champion counts as degraded: a drift or performance trigger
    fired) an undecided gate whose challenger leads on
    the point estimate by more than the margin accepts it for a canary (the workspace's
    ``retraining.when_undecided: fresher_if_degraded``): waiting for the labels that would
    decide costs a champion that is losing money weeks, and a challenger trained on newer
    labels that scores better on the newest holdout is the better bet. The canary's guards
    still judge it live, and the next attempt judges it again. The evidence says so
    (``accepted_by: degraded_champion``).
    """
    attempt = RetrainAttempt(
        accepted=result.accepted,
        reason=result.reason,
        trigger=trigger,
        stage=VALIDATION_STAGE,
        champion_version=champion_version,
        challenger_version=challenger_version,
        champion_metrics=result.champion.to_dict(),
        challenger_metrics=result.challenger.to_dict(),
        evidence=result.evidence(),
        undecided=result.undecided,
    )
    if degraded is None or not result.undecided or result.interval.difference <= result.margin:
        return attempt
    return replace(
        attempt,
        accepted=True,
        undecided=False,
        reason=(
            f"challenger accepted for a canary on its lead, the champion being degraded "
            f"({degraded}): {result.reason}"
        ),
        evidence={
            **attempt.evidence,
            "outcome": ACCEPTED,
            "accepted_by": DEGRADED_CHAMPION,
            "champion_degraded": degraded,
        },
    )


DEGRADED_CHAMPION = "degraded_champion"
"""``accepted_by`` of an undecided gate's challenger taken for a degraded champion."""


def undecided_attempt(shortage: LabelShortage, attempt: RetrainAttempt) -> RetrainAttempt:
    """``attempt`` made undecided for want of labels: the shortage's reason, and its figures
    in the evidence (``undecided``).

    >>> from datetime import UTC, datetime
    >>> short = LabelShortage(12, 25, "positives", datetime(2026, 7, 3, tzinfo=UTC), "too few")
    >>> found = undecided_attempt(short, RetrainAttempt(False, "", "drift", DATA_STAGE))
    >>> found.summary
    'retraining attempt undecided at data: not enough matured positives until 2026-07-03 (the holdout holds 12, needs 25): too few'
    """
    return replace(
        attempt,
        accepted=False,
        undecided=True,
        reason=shortage.reason,
        evidence={**attempt.evidence, "undecided": shortage.to_dict()},
    )


def unjudged_attempt(
    evaluation: dict[str, Any], *, trigger: str, champion_version: int | None
) -> RetrainAttempt:
    """The accepted attempt of a version the gate did not judge: the first one (no
    champion), or one trained by hand, with its holdout ``evaluation`` alone.

    >>> unjudged_attempt({"rows": 10}, trigger="manual", champion_version=None).reason
    'first version: no champion to compare with'
    """
    return RetrainAttempt(
        accepted=True,
        reason=(
            "first version: no champion to compare with"
            if champion_version is None
            else "trained by hand: registered as a candidate, without the gate"
        ),
        trigger=trigger,
        stage=VALIDATION_STAGE,
        champion_version=champion_version,
        challenger_metrics=evaluation,
    )


def failed_attempt(
    error: Exception,
    *,
    trigger: str,
    stage: str,
    champion_version: int | None,
    challenger_version: int | None = None,
    champion_metrics: dict[str, Any] | None = None,
    challenger_metrics: dict[str, Any] | None = None,
) -> RetrainAttempt:
    """The attempt refused by ``error`` at ``stage``; the champion stays as it was."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: expected one of {', '.join(STAGES)}")
    return RetrainAttempt(
        accepted=False,
        reason=str(error),
        trigger=trigger,
        stage=stage,
        champion_version=champion_version,
        challenger_version=challenger_version,
        champion_metrics=dict(champion_metrics or {}),
        challenger_metrics=dict(challenger_metrics or {}),
        evidence={"error": type(error).__name__},
    )


def record_attempt(
    metadata: MetadataStore,
    model: str,
    attempt: RetrainAttempt,
    *,
    at: datetime | None = None,
    actor: str = "watchkeeper",
) -> AuditEntry:
    """Write ``attempt`` to the audit log as a ``retrain_attempt`` decision."""
    return metadata.record_decision(
        model=model,
        kind=RETRAIN_ATTEMPT,
        summary=attempt.summary,
        evidence=attempt.to_dict(),
        actor=actor,
        at=at,
    )


def recorded_attempts(
    metadata: MetadataStore, model: str, *, limit: int = 1000
) -> list[RetrainAttempt]:
    """The recorded attempts of ``model``, newest first."""
    entries = metadata.decisions(model, kind=RETRAIN_ATTEMPT, limit=limit)
    return [RetrainAttempt.from_audit(entry) for entry in entries]


__all__ = [
    "ACCEPTED",
    "ATTEMPT_KINDS",
    "DATA_STAGE",
    "DEGRADED_CHAMPION",
    "OUTCOMES",
    "REFUSED",
    "REGISTRATION_STAGE",
    "RETRAIN_ATTEMPT",
    "RETRAIN_REQUEST",
    "STAGES",
    "TRAINING_STAGE",
    "UNDECIDED",
    "VALIDATION_STAGE",
    "RetrainAttempt",
    "attempt_from_gate",
    "failed_attempt",
    "record_attempt",
    "recorded_attempts",
    "undecided_attempt",
    "unjudged_attempt",
]
