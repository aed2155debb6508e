"""What holds the retraining loop back after attempts that did not succeed: new evidence, and
a budget of refusals.

Both rules read the audit log's attempts, oldest first, and are pure, like the policy that
applies them (:func:`~watchkeeper.training.retrain_policy.decide_retrain`).

**New evidence.** Training and validating on the same matured labels again gives the same
answer. So after a refused attempt the next one waits until the traffic holds at least
``ceil(retraining.new_evidence * retraining.min_positives)`` matured positives of events
newer than the refused attempt's holdout — half the minimum by default, so that at least a
third of a holdout of the minimum size is new (for a multiclass or regression model:
labelled rows and ``retraining.min_holdout_rows``). After an *undecided* attempt it waits for
the labels that attempt said were missing, but never for more than a refusal asks, and until
the ``retry_at`` it recorded at the latest (one maturity horizon after it, sooner when it
expected the labels sooner). An undecided verdict is no stronger than a refusal: the labels it
lacked size a holdout that could judge *that* challenger, while new labels also train the next
one — after a drift, the new traffic's labels are what the challenger was short of. Waiting
for a holdout of 1,200 positives (years of fraud) would stop the loop for a maturity horizon
while the champion degrades. An attempt made
before the current drift episode began asks nothing of the attempts after the onset. The labels are counted by a
:class:`~watchkeeper.training.label_supply.LabelSupply` (by default the ``positive_labels``
of matured monitoring windows); with nothing to count on (no such series) the rule cannot
be applied, the decision's evidence says so, and the cooldown alone spaces attempts.

An undecided attempt is no failure: it does not start the cooldown — the wait for the labels
it named takes its place — and does not count against the budget.

**The budget.** At most ``retraining.max_attempts`` refused attempts (refused by the gate or
on the way: a schema change, a trainer that raised; for a model its team retrains, requests
that reached nobody) count, from the latest of: the last accepted attempt, the last attempt
started by hand (a trigger ``manual: ...``: the owner acted), the start of the current drift
episode, and ``retraining.budget_period`` ago. Once spent, the policy does not train and says
when the budget frees again (when the oldest counted refusal leaves the period); the agent
alerts the owner (:mod:`~watchkeeper.training.budget_notice`). The loop keeps running: it
resumes when the budget frees, when a new drift episode begins, or when the owner acts —
retrains by hand, promotes a version, or raises ``retraining.max_attempts``.

>>> from datetime import UTC, datetime
>>> from watchkeeper.config import RetrainingConfig
>>> from watchkeeper.storage.metadata.decision_kinds import RETRAIN_ATTEMPT
>>> def refused(day):
...     at = datetime(2026, 7, day, tzinfo=UTC)
...     return AuditEntry(0, "fraud", RETRAIN_ATTEMPT, at, "agent", "", {"accepted": False}, at)
>>> budget = attempt_budget([refused(1), refused(8), refused(15)],
...     RetrainingConfig(max_attempts=3), as_of=datetime(2026, 7, 20, tzinfo=UTC))
>>> budget.exhausted, budget.resumes_at.date().isoformat()
(True, '2026-09-29')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchkeeper.clock import as_utc, utc_from_iso
from watchkeeper.config import RetrainingConfig
from watchkeeper.durations import format_duration
from watchkeeper.storage.metadata.decision_kinds import RETRAIN_ATTEMPT
from watchkeeper.storage.metadata.records import AuditEntry
from watchkeeper.training.attempts import ACCEPTED, ATTEMPT_KINDS, OUTCOMES, REFUSED, UNDECIDED
from watchkeeper.training.label_supply import LabelSupply

MANUAL_PREFIX = "manual:"
"""The trigger of an attempt started by hand: the owner acted, the budget starts afresh."""


def attempt_outcome(entry: AuditEntry) -> str:
    """An audited attempt's outcome: ``accepted``, ``refused`` or ``undecided`` (entries
    written before the outcome was recorded read as accepted or refused).

    >>> from datetime import UTC
    >>> at = datetime(2026, 7, 1, tzinfo=UTC)
    >>> attempt_outcome(AuditEntry(0, "m", "retrain_attempt", at, "a", "", {"accepted": 0}, at))
    'refused'
    """
    found = entry.evidence.get("outcome")
    if found in OUTCOMES:
        return str(found)
    if entry.evidence.get("accepted"):
        return ACCEPTED
    return UNDECIDED if entry.evidence.get("undecided") else REFUSED


def attempt_details(entry: AuditEntry) -> dict[str, Any]:
    """The attempt's own evidence — the gate's figures, its holdout (``holdout``), what an
    undecided one lacked (``undecided``) — nested in the audit entry's evidence, which is
    the whole :meth:`~watchkeeper.training.attempts.RetrainAttempt.to_dict`.

    >>> from datetime import UTC
    >>> at = datetime(2026, 7, 1, tzinfo=UTC)
    >>> record = {"accepted": False, "undecided": True, "evidence": {"undecided": {"needed": 9}}}
    >>> attempt_details(AuditEntry(0, "m", "retrain_attempt", at, "a", "", record, at))
    {'undecided': {'needed': 9}}
    """
    details = entry.evidence.get("evidence")
    return dict(details) if isinstance(details, dict) else {}


@dataclass(frozen=True)
class AttemptBudget:
    """Refused attempts counted since ``since`` against ``limit``; ``resumes_at``: when the
    oldest counted one leaves the period, once the budget is spent."""

    used: int
    limit: int
    since: datetime
    period: timedelta
    resumes_at: datetime | None

    @property
    def exhausted(self) -> bool:
        """Whether no refused attempt is left to spend."""
        return self.used >= self.limit

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the decision's evidence."""
        return {
            "used": self.used,
            "limit": self.limit,
            "since": self.since.isoformat(),
            "period": format_duration(self.period),
            "exhausted": self.exhausted,
            "resumes_at": None if self.resumes_at is None else self.resumes_at.isoformat(),
        }

    def describe(self) -> str:
        """Why the policy stops, and until when."""
        resumes = "" if self.resumes_at is None else f" on {self.resumes_at.date().isoformat()}"
        return (
            f"attempt budget spent: {self.used} refused attempt(s) since "
            f"{self.since.date().isoformat()} (retraining.max_attempts {self.limit} per drift "
            f"episode, within {format_duration(self.period)}); the owner is alerted, and "
            f"retraining resumes{resumes} or when the owner acts (retrains by hand, promotes a "
            f"version or raises retraining.max_attempts)"
        )


def attempt_budget(
    attempts: Sequence[AuditEntry],
    config: RetrainingConfig,
    *,
    as_of: datetime,
    episode_start: datetime | None = None,
) -> AttemptBudget:
    """The budget at ``as_of`` (see the module's notes) over ``attempts`` (any order;
    other kinds and later entries are ignored); ``episode_start``: the drift episode's."""
    moment = as_utc(as_of)
    past = _attempts(attempts, moment, ATTEMPT_KINDS)
    starts = [moment - config.budget_period]
    if episode_start is not None:
        starts.append(as_utc(episode_start))
    for entry in past:
        manual = str(entry.evidence.get("trigger") or "").startswith(MANUAL_PREFIX)
        if manual or attempt_outcome(entry) == ACCEPTED:
            starts.append(as_utc(entry.at))
    since = max(starts)
    counted = [
        as_utc(entry.at)
        for entry in past
        if as_utc(entry.at) > since and attempt_outcome(entry) == REFUSED
    ]
    resumes = None
    if len(counted) >= config.max_attempts:
        resumes = counted[len(counted) - config.max_attempts] + config.budget_period
    return AttemptBudget(len(counted), config.max_attempts, since, config.budget_period, resumes)


@dataclass(frozen=True)
class EvidenceWait:
    """What the last refused or undecided attempt asks of the next one: ``needed`` new
    labels (``unit``) of events after ``since`` (its holdout's end); ``have`` of them so far
    (None: not countable); ``ready_at`` the estimate of when."""

    outcome: str
    at: datetime
    holdout_count: float | None
    since: datetime
    needed: float
    have: float | None
    unit: str
    ready_at: datetime | None
    retry_at: datetime | None = None
    """An undecided attempt's latest moment to wait until, whatever the count."""
    retry_due: bool = False
    """Whether ``retry_at`` has come: the wait is over."""

    @property
    def waiting(self) -> bool:
        """Whether the new labels are still short (never when they cannot be counted, nor
        once an undecided attempt's ``retry_at`` has come)."""
        return not self.retry_due and self.have is not None and self.have < self.needed

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the decision's evidence."""
        return {
            "last_attempt": self.outcome,
            "last_attempt_at": self.at.isoformat(),
            "holdout_count": self.holdout_count,
            "since": self.since.isoformat(),
            "needed": self.needed,
            "have": self.have,
            "unit": self.unit,
            "ready_at": None if self.ready_at is None else self.ready_at.isoformat(),
            "retry_at": None if self.retry_at is None else self.retry_at.isoformat(),
        }

    def describe(self) -> str:
        """The policy's reason while waiting.

        >>> from datetime import UTC
        >>> day = datetime(2026, 7, 1, tzinfo=UTC)
        >>> EvidenceWait("refused", day, 31, day, 13, 5, "positives", None).describe()
        'waiting for new labels: the last attempt was refused on 31 positives, needs 8 more (13 new matured positives of events after its holdout ended 2026-07-01, 5 so far; no rate to estimate a date from)'
        """
        on = "" if self.holdout_count is None else f" on {self.holdout_count:g} {self.unit}"
        have = self.have or 0.0
        expected = (
            f"expected by {self.ready_at.date().isoformat()}"
            if self.ready_at is not None
            else "no rate to estimate a date from"
        )
        if self.retry_at is not None:
            expected += f"; retried on {self.retry_at.date().isoformat()} at the latest"
        return (
            f"waiting for new labels: the last attempt was {self.outcome}{on}, needs "
            f"{self.needed - have:g} more ({self.needed:g} new matured {self.unit} of events "
            f"after its holdout ended {self.since.date().isoformat()}, {have:g} so far; "
            f"{expected})"
        )


def new_evidence_wait(
    attempts: Sequence[AuditEntry],
    config: RetrainingConfig,
    supply: LabelSupply,
    *,
    as_of: datetime,
    minimum: int,
    label_horizon: timedelta | None = None,
    episode_start: datetime | None = None,
) -> EvidenceWait | None:
    """What the last retraining attempt asks of the next, if it was refused or undecided
    (None after an accepted one, or with none); ``minimum`` is ``retraining.min_positives``
    (``min_holdout_rows`` for another task). An attempt without a recorded holdout is taken
    to have ended its holdout one ``label_horizon`` before it ran.

    An attempt made before ``episode_start`` (the current drift episode's onset) asks
    nothing of the attempts after it (None): it was judged on the world before the drift,
    and the labels that matter now are the drifted traffic's, which the wait for labels of
    the drifted traffic covers (see the retrain policy). An undecided attempt asks for its
    missing labels, at most what a refused one asks, until its ``retry_at`` (one
    ``label_horizon`` after it at the latest, when none was recorded), then no longer.

    >>> from datetime import UTC
    >>> from watchkeeper.config import RetrainingConfig
    >>> from watchkeeper.storage.metadata.decision_kinds import RETRAIN_ATTEMPT
    >>> from watchkeeper.training.label_supply import SeriesLabelSupply
    >>> at = datetime(2026, 7, 1, tzinfo=UTC)
    >>> entry = AuditEntry(0, "fraud", RETRAIN_ATTEMPT, at, "agent", "", {"accepted": False}, at)
    >>> wait = new_evidence_wait([entry], RetrainingConfig(), SeriesLabelSupply([], at),
    ...                          as_of=at, minimum=25)
    >>> wait.needed, wait.have, wait.waiting  # no series to count on: the rule cannot apply
    (13, None, False)
    """
    last = latest_attempt(attempts, as_of)
    if last is None:
        return None
    outcome = attempt_outcome(last)
    if outcome == ACCEPTED or before_episode(last, episode_start, as_of):
        return None
    details = attempt_details(last)
    holdout = details.get("holdout") or {}
    end = holdout.get("end")
    if end is not None:
        since = utc_from_iso(str(end))
    else:
        since = as_utc(last.at) - (label_horizon or timedelta(0))
    count = holdout.get("count", details.get("holdout_positives"))
    needed: float = math.ceil(config.new_evidence * minimum)
    short = details.get("undecided") or {}
    retry_at = None
    if outcome == UNDECIDED:
        if short.get("needed") is not None:
            missing = max(1.0, float(short["needed"]) - float(short.get("have") or 0.0))
            needed = min(needed, missing)
        retry_at = _retry_at(last, short, label_horizon)
    return EvidenceWait(
        outcome=outcome,
        at=as_utc(last.at),
        holdout_count=None if count is None else float(count),
        since=since,
        needed=needed,
        have=supply.since(since),
        unit=supply.unit,
        ready_at=supply.ready_at(since, needed),
        retry_at=retry_at,
        retry_due=retry_at is not None and as_utc(as_of) >= retry_at,
    )


def latest_attempt(attempts: Sequence[AuditEntry], as_of: datetime) -> AuditEntry | None:
    """The latest retraining attempt at or before ``as_of`` (None without any)."""
    past = _attempts(attempts, as_utc(as_of), frozenset({RETRAIN_ATTEMPT}))
    return past[-1] if past else None


def before_episode(entry: AuditEntry, episode_start: datetime | None, as_of: datetime) -> bool:
    """Whether ``entry`` came before the drift episode that began at ``episode_start``
    (and has begun by ``as_of``).

    >>> from datetime import UTC
    >>> at = datetime(2026, 5, 1, tzinfo=UTC)
    >>> entry = AuditEntry(0, "fraud", RETRAIN_ATTEMPT, at, "agent", "", {}, at)
    >>> onset = datetime(2026, 6, 25, tzinfo=UTC)
    >>> before_episode(entry, onset, onset), before_episode(entry, None, onset)
    (True, False)
    """
    if episode_start is None:
        return False
    start = as_utc(episode_start)
    return as_utc(entry.at) < start <= as_utc(as_of)


def _retry_at(
    entry: AuditEntry, short: dict[str, Any], label_horizon: timedelta | None
) -> datetime | None:
    """The undecided attempt's recorded ``retry_at``, else one ``label_horizon`` after it."""
    recorded = short.get("retry_at")
    if recorded is not None:
        return utc_from_iso(str(recorded))
    return None if label_horizon is None else as_utc(entry.at) + label_horizon


def decided_attempts(attempts: Sequence[AuditEntry], as_of: datetime) -> list[AuditEntry]:
    """The attempts (and requests) at or before ``as_of`` that were not undecided, oldest
    first."""
    return [
        entry
        for entry in _attempts(attempts, as_utc(as_of), ATTEMPT_KINDS)
        if attempt_outcome(entry) != UNDECIDED
    ]


def last_decided(attempts: Sequence[AuditEntry], as_of: datetime) -> AuditEntry | None:
    """The latest attempt (or request) at or before ``as_of`` that was not undecided: the
    one the cooldown counts from."""
    decided = decided_attempts(attempts, as_of)
    return decided[-1] if decided else None


def _attempts(
    attempts: Sequence[AuditEntry], moment: datetime, kinds: frozenset[str]
) -> list[AuditEntry]:
    return sorted(
        (entry for entry in attempts if entry.kind in kinds and as_utc(entry.at) <= moment),
        key=_order,
    )


def _order(entry: AuditEntry) -> tuple[datetime, int]:
    """Oldest first; entries of the same moment in the order they were written."""
    return as_utc(entry.at), entry.id


__all__ = [
    "MANUAL_PREFIX",
    "AttemptBudget",
    "EvidenceWait",
    "attempt_budget",
    "attempt_details",
    "attempt_outcome",
    "before_episode",
    "decided_attempts",
    "last_decided",
    "latest_attempt",
    "new_evidence_wait",
]
