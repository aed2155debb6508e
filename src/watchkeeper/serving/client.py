"""A small Python client of the scoring service (httpx).

Errors the service answers with (4xx/5xx) raise :class:`ServiceError` carrying the status,
the field at fault and the message. Any httpx transport can be passed, so tests run the
client against an app in process:

>>> import httpx
>>> def handler(request: httpx.Request) -> httpx.Response:
...     return httpx.Response(200, json={"status": "ok"})
>>> with Client("http://service", transport=httpx.MockTransport(handler)) as client:
...     client.health()
{'status': 'ok'}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from watchkeeper.errors import WatchkeeperError


class ServiceError(WatchkeeperError):
    """The service refused a request: HTTP ``status``, the ``field`` at fault, the message."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(f"HTTP {status}: {field}: {message}")
        self.status = status
        self.field = field
        self.message = message


class Client:
    """Calls a watchkeeper service at ``base_url``; ``admin_token`` for the rollout actions,
    ``read_token`` (or the admin token) for the reads a service protects by default."""

    def __init__(
        self,
        base_url: str,
        *,
        admin_token: str | None = None,
        read_token: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._admin_token = admin_token
        self._read_token = read_token or admin_token
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"Client({str(self._http.base_url)!r})"

    def score(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Score one raw event: event_id, the prediction of the model's task (binary
        ``score`` and ``decision``; multiclass ``probabilities``, ``decision`` and ``score``;
        regression ``prediction``), model_version, route, latency_ms."""
        return self._call("POST", "/v1/score", json=dict(event))

    def score_batch(self, events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Score events in order; one bad event rejects the batch."""
        body = self._call("POST", "/v1/score/batch", json={"events": [dict(e) for e in events]})
        results: list[dict[str, Any]] = body["results"]
        return results

    def record_outcomes(self, outcomes: Sequence[Mapping[str, Any]]) -> int:
        """Send outcomes (event_id, outcome, outcome_ts, amount); returns how many were accepted."""
        body = self._call("POST", "/v1/outcomes", json={"outcomes": [dict(o) for o in outcomes]})
        return int(body["accepted"])

    def models(self) -> dict[str, Any]:
        """The registered versions and aliases."""
        return self._call("GET", "/v1/models", token=self._read_token)

    def rollout(self) -> dict[str, Any]:
        """The rollout state."""
        return self._call("GET", "/v1/rollout", token=self._read_token)

    def start_rollout(
        self, version: int | str, reason: str | None = None, *, force: bool = False
    ) -> dict[str, Any]:
        """Start a canary of ``version`` (needs the admin token); ``force`` (with a
        ``reason``) starts a version the validation gate did not accept."""
        body: dict[str, Any] = {"version": version}
        if reason:
            body["reason"] = reason
        if force:
            body["force"] = True
        return self._call("POST", "/v1/rollout/start", json=body, token=self._admin_token)

    def promote(self) -> dict[str, Any]:
        """Promote the running canary (needs the admin token)."""
        return self._call("POST", "/v1/rollout/promote", token=self._admin_token)

    def rollback(self) -> dict[str, Any]:
        """Roll the running canary back (needs the admin token)."""
        return self._call("POST", "/v1/rollout/rollback", token=self._admin_token)

    def health(self) -> dict[str, Any]:
        """The liveness answer."""
        return self._call("GET", "/healthz")

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    def _call(
        self, method: str, path: str, *, json: Any = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self._http.request(method, path, json=json, headers=headers)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                raise ServiceError(response.status_code, error["field"], error["message"])
            except (ValueError, KeyError, TypeError):
                raise ServiceError(response.status_code, "response", response.text[:200]) from None
        document: dict[str, Any] = response.json()
        return document


__all__ = ["Client", "ServiceError"]
