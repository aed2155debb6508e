"""Asking a team to retrain the model it serves itself (``model.serving: external``).

watchkeeper never trains an external model. When the retrain policy decides an attempt is
due, it sends a *request* instead: the owner is told on the alert channels, and a configured
command or webhook receives the decision and the training window — the most recent
``training.window`` of events whose labels have matured — so the team's own pipeline can
retrain. A request is recorded in the audit log (kind ``retrain_request``) with every
delivery; the policy's cooldown spaces requests as it spaces attempts, and requests that
reached nobody count against the attempt budget (``retraining.max_attempts``): once it is
spent the owner is alerted, and requests resume when it frees or the owner acts.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.training.retrain_policy import RetrainDecision
>>> request = retrain_request(
...     "churn", RetrainDecision(True, "drift", "psi above 0.25 on plan for 2 windows"),
...     as_of=datetime(2026, 6, 30, tzinfo=UTC), window=timedelta(days=90),
...     maturity_horizon=timedelta(days=30))
>>> request.window_start.date(), request.window_end.date()
(datetime.date(2026, 3, 2), datetime.date(2026, 5, 31))
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from watchkeeper.clock import as_utc
from watchkeeper.storage.metadata.decision_kinds import RETRAIN_REQUEST
from watchkeeper.training.retrain_policy import RetrainDecision

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace


REQUEST_RULE = "retraining requested"
REQUEST_METRIC = "retrain_requested"

CommandRunner = Callable[..., "subprocess.CompletedProcess[bytes]"]
Poster = Callable[..., Any]


@dataclass(frozen=True)
class RetrainRequest:
    """What the team is asked: retrain on ``[window_start, window_end)``, and why."""

    model: str
    as_of: datetime
    trigger: str | None
    reason: str
    window_start: datetime
    window_end: datetime
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document the command and the webhook receive."""
        return {
            "model": self.model,
            "as_of": self.as_of.isoformat(),
            "decision": {"trigger": self.trigger, "reason": self.reason},
            "training_window": {
                "start": self.window_start.isoformat(),
                "end": self.window_end.isoformat(),
                "labels": "matured: every event in the window is past the maturity horizon",
            },
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class RequestDelivery:
    """How one destination took the request."""

    target: str
    delivered: bool
    detail: str


def retrain_request(
    model: str,
    decision: RetrainDecision,
    *,
    as_of: datetime,
    window: timedelta,
    maturity_horizon: timedelta,
) -> RetrainRequest:
    """The request for ``decision`` at ``as_of``: the latest ``window`` of matured events."""
    end = as_utc(as_of) - maturity_horizon
    return RetrainRequest(
        model=model,
        as_of=as_utc(as_of),
        trigger=decision.trigger,
        reason=decision.reason,
        window_start=end - window,
        window_end=end,
        evidence=dict(decision.evidence),
    )


def run_request_command(
    command: Sequence[str] | str,
    request: RetrainRequest,
    timeout: timedelta,
    run: CommandRunner = subprocess.run,
) -> RequestDelivery:
    """Run ``command`` (no shell) with the request as JSON on its standard input.

    >>> import sys
    >>> from datetime import UTC
    >>> request = RetrainRequest("m", datetime(2026, 1, 1, tzinfo=UTC), "drift", "r",
    ...     datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), {})
    >>> read = [sys.executable, "-c", "import json,sys; print(json.load(sys.stdin)['model'])"]
    >>> run_request_command(read, request, timedelta(seconds=20))
    RequestDelivery(target='command', delivered=True, detail='exit 0: m')
    """
    arguments = shlex.split(command) if isinstance(command, str) else list(command)
    payload = json.dumps(request.to_dict()).encode()
    try:
        finished = run(
            arguments,
            input=payload,
            capture_output=True,
            timeout=timeout.total_seconds(),
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return RequestDelivery("command", False, f"{type(error).__name__}: {error}")
    output = (finished.stdout or finished.stderr or b"").decode(errors="replace").strip()
    return RequestDelivery(
        "command", finished.returncode == 0, f"exit {finished.returncode}: {output[:300]}"
    )


def post_request_webhook(
    url: str, request: RetrainRequest, timeout: timedelta, post: Poster | None = None
) -> RequestDelivery:
    """POST the request as JSON to ``url``; a 2xx answer counts as delivered."""
    import httpx

    sender = post if post is not None else httpx.post
    try:
        answer = sender(url, json=request.to_dict(), timeout=timeout.total_seconds())
    except httpx.HTTPError as error:
        return RequestDelivery("webhook", False, f"{type(error).__name__}: {error}")
    status = int(answer.status_code)
    return RequestDelivery("webhook", 200 <= status < 300, f"HTTP {status}")


def send_retrain_request(
    workspace: Workspace,
    request: RetrainRequest,
    *,
    run: CommandRunner = subprocess.run,
    post: Poster | None = None,
) -> tuple[RequestDelivery, ...]:
    """Tell the owner, run the command and call the webhook the workspace names; record the
    request and its deliveries in the audit log."""
    from watchkeeper.alerts.owner_notice import OwnerNotice, notify_owner

    config = workspace.config
    settings = config.retraining.request
    window = f"{request.window_start.date()} to {request.window_end.date()}"
    notice = OwnerNotice(
        rule=REQUEST_RULE,
        metric=REQUEST_METRIC,
        severity="warning",
        value=1.0,
        summary=f"retrain {request.model!r} on {window}: {request.reason}",
        evidence=request.to_dict(),
    )
    owner = notify_owner(
        workspace.metadata, request.model, config.owner, config.alerts, workspace.clock, notice
    )
    deliveries = [
        RequestDelivery(
            f"owner ({delivery.channel})", delivery.delivered, delivery.error or "delivered"
        )
        for delivery in owner
    ]
    if settings.command is not None:
        deliveries.append(run_request_command(settings.command, request, settings.timeout, run))
    if settings.webhook is not None:
        deliveries.append(post_request_webhook(settings.webhook, request, settings.timeout, post))
    workspace.metadata.record_decision(
        model=request.model,
        kind=RETRAIN_REQUEST,
        summary=f"retraining requested on {window}: {request.reason}",
        evidence={
            **request.to_dict(),
            # the retrain policy counts a request that reached someone as a success
            "accepted": any(delivery.delivered for delivery in deliveries),
            "deliveries": [vars(delivery) for delivery in deliveries],
        },
        at=request.as_of,
    )
    return tuple(deliveries)


__all__ = [
    "REQUEST_METRIC",
    "REQUEST_RULE",
    "RETRAIN_REQUEST",
    "RequestDelivery",
    "RetrainRequest",
    "post_request_webhook",
    "retrain_request",
    "run_request_command",
    "send_retrain_request",
]
