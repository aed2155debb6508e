"""The statuses of a model version and the rules for moving between them.

``registered`` and ``candidate`` (trained, not yet validated), ``challenger`` (passed the
gate, ready for a canary), ``champion`` (serving), ``retired``, ``rejected``,
``rolled_back``. The aliases ``champion`` and ``challenger`` follow the statuses of the same
name. :func:`status_plan` turns one requested change into the full transition — the alias
move, the demotion of the version that held the alias — decided on the state read inside
the registry's transaction.

>>> from watchkeeper.storage.metadata.version_status import RegistryState
>>> plan = status_plan("fraud", 2, CHAMPION, reason="canary passed")
>>> transition = plan(RegistryState(aliases={"champion": 1, "challenger": 2},
...                                 statuses={1: CHAMPION, 2: CHALLENGER}))
>>> [(change.version, change.status) for change in transition.changes]
[(2, 'champion'), (1, 'retired')]
>>> dict(transition.aliases)
{'champion': 2, 'challenger': None}
"""

from __future__ import annotations

from watchkeeper.errors import RegistryError
from watchkeeper.storage.metadata.version_status import (
    Plan,
    RegistryState,
    StatusChange,
    Transition,
)

REGISTERED = "registered"
CANDIDATE = "candidate"
CHALLENGER = "challenger"
CHAMPION = "champion"
RETIRED = "retired"
REJECTED = "rejected"
ROLLED_BACK = "rolled_back"
STATUSES = (REGISTERED, CANDIDATE, CHALLENGER, CHAMPION, RETIRED, REJECTED, ROLLED_BACK)
ALIASES = (CHAMPION, CHALLENGER)
"""Aliases that follow the status of the same name."""
DEMOTED_STATUSES = (RETIRED, ROLLED_BACK, REJECTED, CANDIDATE)
"""What a version can become when another one takes its alias."""


def status_plan(
    model: str, version: int, status: str, *, reason: str, demote_previous_to: str = RETIRED
) -> Plan:
    """The plan that makes ``version`` ``status`` (raise :class:`RegistryError` to refuse).

    Making a version ``champion`` or ``challenger`` points that alias at it and sets the
    version the alias named before to ``demote_previous_to``; a new champion also stops being
    the challenger. Any other status removes the aliases naming the version — except
    ``champion``: promote another version instead, so a champion, once there, always is.
    """
    if status not in STATUSES:
        raise RegistryError(f"unknown status {status!r}: expected one of {', '.join(STATUSES)}")
    if demote_previous_to not in DEMOTED_STATUSES:
        raise RegistryError(
            f"a replaced version can become {', '.join(DEMOTED_STATUSES)}, "
            f"not {demote_previous_to!r}"
        )

    def plan(state: RegistryState) -> Transition:
        if version not in state.statuses:
            raise RegistryError(f"model {model!r} has no version {version}")
        changes = [StatusChange(version, status, reason)]
        moves: dict[str, int | None] = {}
        champion = state.aliases.get(CHAMPION)
        if status in ALIASES:
            if status == CHALLENGER and champion == version:
                raise RegistryError(
                    f"version {version} of {model!r} is the champion; it cannot be challenger"
                )
            previous = state.aliases.get(status)
            if previous is not None and previous != version:
                replaced = f"replaced as {status} by version {version}: {reason}"
                changes.append(StatusChange(previous, demote_previous_to, replaced))
            moves[status] = version
            if status == CHAMPION and state.aliases.get(CHALLENGER) == version:
                moves[CHALLENGER] = None
        else:
            if champion == version:
                raise RegistryError(
                    f"version {version} of {model!r} is the champion; promote another "
                    f"version to champion instead of making it {status}"
                )
            moves.update(
                {alias: None for alias, named in state.aliases.items() if named == version}
            )
        return Transition(tuple(changes), moves)

    return plan


__all__ = [
    "ALIASES",
    "CANDIDATE",
    "CHALLENGER",
    "CHAMPION",
    "DEMOTED_STATUSES",
    "REGISTERED",
    "REJECTED",
    "RETIRED",
    "ROLLED_BACK",
    "STATUSES",
    "status_plan",
]
