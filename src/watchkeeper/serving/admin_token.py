"""The bearer token of admin endpoints, from ``WATCHKEEPER_ADMIN_TOKEN``, compared in constant time.

The token is never logged nor echoed: messages say only whether it was missing or wrong.

>>> check = AdminToken("s3cret")
>>> check.verify("Bearer s3cret") is None
True
>>> check.verify("Bearer nope")
(403, 'the bearer token is wrong')
>>> check.verify(None)
(401, 'this endpoint needs an Authorization: Bearer token')
>>> AdminToken(None).verify("Bearer x")
(403, 'admin endpoints are disabled: set WATCHKEEPER_ADMIN_TOKEN on the server')
"""

from __future__ import annotations

import hmac
import os

TOKEN_VARIABLE = "WATCHKEEPER_ADMIN_TOKEN"
READ_TOKEN_VARIABLE = "WATCHKEEPER_READ_TOKEN"
"""The token of the read endpoints when ``serving.protect_reads`` is on (the admin token
opens them too)."""
LOG_TOKEN_VARIABLE = "WATCHKEEPER_LOG_TOKEN"
"""The token of ``POST /v1/predictions``, what an external model's service logs with (the
admin token opens it too)."""


class AdminToken:
    """Checks ``Authorization`` headers against the configured token (None: admin disabled)."""

    def __init__(self, token: str | None) -> None:
        self._token = token.encode("utf-8") if token else None

    @classmethod
    def from_environment(cls, variable: str = TOKEN_VARIABLE) -> AdminToken:
        """The token in ``variable`` (unset or empty: the endpoints it opens are disabled)."""
        return cls(os.environ.get(variable))

    @property
    def configured(self) -> bool:
        """Whether a token is set."""
        return self._token is not None

    def __repr__(self) -> str:
        return f"AdminToken(configured={self._token is not None})"

    def verify(self, authorization: str | None) -> tuple[int, str] | None:
        """None when the header carries the token, else the HTTP status and the reason."""
        if self._token is None:
            return 403, f"admin endpoints are disabled: set {TOKEN_VARIABLE} on the server"
        if not authorization:
            return 401, "this endpoint needs an Authorization: Bearer token"
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return 401, "this endpoint needs an Authorization: Bearer token"
        if not hmac.compare_digest(presented.strip().encode("utf-8"), self._token):
            return 403, "the bearer token is wrong"
        return None


__all__ = ["LOG_TOKEN_VARIABLE", "READ_TOKEN_VARIABLE", "TOKEN_VARIABLE", "AdminToken"]
