"""How the report and the demo's summary state a figure: a count with its noun, the span of
data behind a number, and retraining attempts counted one way everywhere.

A figure that appears twice must be the same figure, or say which events and which period it
covers; these helpers are that rule written once.

>>> from datetime import date
>>> plural(1, "alert"), plural(2, "day"), plural(0, "rollback")
('1 alert', '2 days', '0 rollbacks')
>>> print(span_text(date(2026, 4, 1), date(2026, 4, 15)))
1 Apr 2026 to 14 Apr 2026 (14 days)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from watchkeeper.storage.metadata.decision_kinds import (
    ALERT,
    RETRAIN_ATTEMPT,
    ROLLOUT_PROMOTE,
    ROLLOUT_ROLLBACK,
)
from watchkeeper.storage.metadata.records import AuditEntry
from watchkeeper.training.attempt_budget import attempt_outcome
from watchkeeper.training.attempts import ACCEPTED, REFUSED, UNDECIDED


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is one (``many``: an
    irregular plural; the default adds ``s``).

    >>> plural(1, "day"), plural(3, "retraining attempt"), plural(2, "canary", "canaries")
    ('1 day', '3 retraining attempts', '2 canaries')
    """
    if count == 1:
        return f"{count:,} {noun}"
    return f"{count:,} {many or noun + 's'}"


def span_text(start: date | datetime, end: date | datetime) -> str:
    """The period ``[start, end)`` as a reader checks it: its first and last day, and how
    many days (a window ending after midnight covers its last day).

    >>> print(span_text(date(2026, 4, 1), date(2026, 4, 2)))
    1 Apr 2026 to 1 Apr 2026 (1 day)
    >>> print(span_text(datetime(2026, 4, 1, 12), datetime(2026, 4, 3, 6)))
    1 Apr 2026 to 3 Apr 2026 (3 days)
    """
    first = start.date() if isinstance(start, datetime) else start
    stop = end.date() if isinstance(end, datetime) else end
    if isinstance(end, datetime) and end.time() != datetime.min.time():
        stop += timedelta(days=1)
    stop = max(stop, first + timedelta(days=1))
    days = (stop - first).days
    return f"{_day(first)} to {_day(stop - timedelta(days=1))} ({plural(days, 'day')})"


def _day(moment: date) -> str:
    return f"{moment.day} {moment:%b %Y}"


@dataclass(frozen=True)
class AlertCounts:
    """Alerts fired, as the audit log records them: by the monitoring's rules (what the
    demo's summary lists) and owner notices (a retraining budget spent, a rollback, a
    request sent to a team). Reminders of an alert still firing are not counted.

    >>> from datetime import UTC
    >>> at = datetime(2026, 7, 1, tzinfo=UTC)
    >>> def entry(summary, **evidence):
    ...     return AuditEntry(0, "fraud", ALERT, at, "agent", summary, evidence, at)
    >>> counts = alert_counts([entry("fired: psi", windows=[]), entry("reminded: psi", windows=[]),
    ...                        entry("fired: budget spent")])
    >>> counts.rules, counts.notices, counts.text()
    (1, 1, '1 alert fired by the monitoring rules, 1 owner notice')
    """

    rules: int
    notices: int

    def text(self) -> str:
        """The counts as one phrase."""
        found = f"{plural(self.rules, 'alert')} fired by the monitoring rules"
        return found + (f", {plural(self.notices, 'owner notice')}" if self.notices else "")


def alert_counts(decisions: Iterable[AuditEntry]) -> AlertCounts:
    """Count the alerts fired in the audit log's ``decisions`` (see :class:`AlertCounts`): a
    rule's alert carries the windows it judged in its evidence, an owner notice does not."""
    fired = [
        entry for entry in decisions if entry.kind == ALERT and entry.summary.startswith("fired:")
    ]
    rules = sum(1 for entry in fired if "windows" in entry.evidence)
    return AlertCounts(rules, len(fired) - rules)


def is_first_model(entry: AuditEntry) -> bool:
    """Whether a ``retrain_attempt`` entry trained the first model (no champion to beat):
    the report and the summary count retraining attempts after it."""
    return entry.kind == RETRAIN_ATTEMPT and entry.evidence.get("champion_version") is None


@dataclass(frozen=True)
class AttemptCounts:
    """Retraining attempts after the first model, by outcome, and the rollouts' endings —
    counted by :func:`attempt_counts` for the report, the summary and the printed lines.

    >>> AttemptCounts(4, 1, 2, 1, 1, 0).text()
    '4 retraining attempts (1 accepted, 2 refused, 1 undecided); 1 promotion, 0 rollbacks'
    """

    attempts: int
    accepted: int
    refused: int
    undecided: int
    promotions: int
    rollbacks: int

    @classmethod
    def of(cls, outcomes: Sequence[str], promotions: int, rollbacks: int) -> AttemptCounts:
        """The counts of attempts' ``outcomes`` (accepted, refused, undecided).

        >>> AttemptCounts.of(["refused", "accepted", "refused"], 1, 0).refused
        2
        """
        return cls(
            attempts=len(outcomes),
            accepted=list(outcomes).count(ACCEPTED),
            refused=list(outcomes).count(REFUSED),
            undecided=list(outcomes).count(UNDECIDED),
            promotions=promotions,
            rollbacks=rollbacks,
        )

    def text(self) -> str:
        """The counts as one phrase (what the timeline, the comparison and the CLI print)."""
        outcomes = ", ".join(
            f"{count} {name}"
            for count, name in (
                (self.accepted, ACCEPTED),
                (self.refused, REFUSED),
                (self.undecided, UNDECIDED),
            )
            if count or name != UNDECIDED
        )
        return (
            f"{plural(self.attempts, 'retraining attempt')} ({outcomes}); "
            f"{plural(self.promotions, 'promotion')}, {plural(self.rollbacks, 'rollback')}"
        )

    def to_dict(self) -> dict[str, int]:
        """JSON-ready, for ``summary.json``."""
        return asdict(self)


def attempt_counts(decisions: Iterable[AuditEntry]) -> AttemptCounts:
    """Count the audit log's ``decisions``: retraining attempts after the first model by
    outcome, promotions and rollbacks.

    >>> from datetime import UTC
    >>> at = datetime(2026, 7, 1, tzinfo=UTC)
    >>> def entry(kind, **evidence):
    ...     return AuditEntry(0, "fraud", kind, at, "agent", "", evidence, at)
    >>> counts = attempt_counts([entry(RETRAIN_ATTEMPT, accepted=True, champion_version=None),
    ...                          entry(RETRAIN_ATTEMPT, accepted=True, champion_version=1),
    ...                          entry(RETRAIN_ATTEMPT, accepted=False, champion_version=1),
    ...                          entry(ROLLOUT_PROMOTE)])
    >>> counts.attempts, counts.accepted, counts.refused, counts.promotions
    (2, 1, 1, 1)
    """
    outcomes: list[str] = []
    promotions = rollbacks = 0
    for entry in decisions:
        if entry.kind == RETRAIN_ATTEMPT and not is_first_model(entry):
            outcomes.append(attempt_outcome(entry))
        promotions += entry.kind == ROLLOUT_PROMOTE
        rollbacks += entry.kind == ROLLOUT_ROLLBACK
    return AttemptCounts.of(outcomes, promotions, rollbacks)


__all__ = [
    "AlertCounts",
    "AttemptCounts",
    "alert_counts",
    "attempt_counts",
    "is_first_model",
    "plural",
    "span_text",
]
