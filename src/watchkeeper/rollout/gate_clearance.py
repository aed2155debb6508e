"""Whether the validation gate cleared a version for a canary, and which versions went past it.

The gate's verdict is the retraining attempt that registered the version
(:mod:`watchkeeper.training.attempts`), when the gate compared it with the champion
(its evidence names the ``primary_metric``): accepted or refused. A version trained by hand,
registered as the first one or through the API was never judged. Only an accepted version starts a canary as it is; any other
needs an override with a reason, which the ``rollout_start`` audit entry records as
``forced`` with the gate's verdict, so :mod:`watchkeeper.readiness` can report a champion or
canary that went live past the gate.

>>> from datetime import UTC, datetime
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> from watchkeeper.training.attempts import RetrainAttempt, record_attempt
>>> store = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC)))
>>> _ = record_attempt(store, "fraud", RetrainAttempt(
...     accepted=False, reason="no better than the champion", trigger="drift",
...     stage="validation", challenger_version=3, evidence={"primary_metric": "pr_auc"}))
>>> gate_verdict(store, "fraud", 3).describe()
'refused by the validation gate: no better than the champion'
>>> gate_verdict(store, "fraud", 4).cleared
False
>>> store.close()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeeper.storage.metadata.decision_kinds import ROLLOUT_START
from watchkeeper.storage.metadata.records import AuditEntry
from watchkeeper.storage.metadata.store import MetadataStore
from watchkeeper.training.attempts import recorded_attempts


@dataclass(frozen=True)
class GateVerdict:
    """What the validation gate said of ``version``: ``accepted`` True, False, or None (never
    judged), with the gate's reason; ``undecided``: not accepted because the holdout could
    not decide."""

    version: int
    accepted: bool | None
    reason: str = ""
    undecided: bool = False

    @property
    def cleared(self) -> bool:
        """True when the gate accepted the version: a canary needs no override."""
        return self.accepted is True

    def describe(self) -> str:
        """One phrase for messages and the audit log."""
        if self.accepted is None:
            return "never validated by the gate"
        verb = "accepted" if self.accepted else "left undecided" if self.undecided else "refused"
        return f"{verb} by the validation gate: {self.reason}"


def gate_verdict(metadata: MetadataStore, model: str, version: int) -> GateVerdict:
    """The gate's latest verdict on ``version`` of ``model`` (from the recorded attempts)."""
    for attempt in recorded_attempts(metadata, model):  # newest first
        if attempt.challenger_version == version:
            if attempt.accepted and "primary_metric" not in attempt.evidence:
                break  # accepted without a comparison: the first version, or trained by hand
            return GateVerdict(version, attempt.accepted, attempt.reason, attempt.undecided)
    return GateVerdict(version, None)


def override_evidence(verdict: GateVerdict, reason: str) -> dict[str, Any]:
    """The audit evidence of a canary started past the gate."""
    return {"forced": True, "gate": verdict.describe(), "force_reason": reason}


def forced_starts(
    metadata: MetadataStore, model: str, *, limit: int = 1000
) -> dict[int, AuditEntry]:
    """The latest forced canary start of each version (newest wins), by version."""
    found: dict[int, AuditEntry] = {}
    for entry in metadata.decisions(model, kind=ROLLOUT_START, limit=limit):
        evidence = dict(entry.evidence)
        version = evidence.get("challenger")
        if evidence.get("forced") and isinstance(version, int):
            found.setdefault(version, entry)
    return found


__all__ = ["GateVerdict", "forced_starts", "gate_verdict", "override_evidence"]
