"""Short reason codes of refusals, read from their field, message and HTTP status.

Every refusal (a request the service refused, a logged row refused) is stored with one of a
few codes (:data:`~watchkeeper.storage.events.tables.REJECTION_REASONS`), so data quality can
count them per window and reason.

>>> rejection_reason("amount", "below the minimum 0 (got -5.0)")
'out_of_range'
>>> rejection_reason("body", "malformed JSON (Expecting value)")
'malformed_json'
>>> rejection_reason("events[2].ts", "not an ISO-8601 timestamp (got 'soon')")
'bad_timestamp'
>>> rejection_reason("plan", "not among the allowed values basic, premium (got 'gold')")
'not_allowed'
>>> rejection_reason("amount", "not a finite number (got inf)")
'not_finite'
"""

from __future__ import annotations

_STATUS_REASONS = {408: "too_slow", 413: "too_large", 415: "not_json"}
"""Reason codes given by the HTTP status alone."""

# (reason code, fragments of the message that mean it), first match wins
_REASONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("too_large", ("exceed the limit",)),
    ("not_finite", ("not finite", "not a finite", "is not a valid JSON number")),
    ("malformed_json", ("malformed JSON", "empty; expected a JSON object")),
    ("unknown_field", ("unknown field",)),
    ("unknown_version", ("unknown or not serving", "the query names")),
    ("unstorable_text", ("not valid text",)),
    ("too_long", ("characters (got",)),
    ("missing_field", ("required", "empty; expected at least one item")),
    ("bad_timestamp", ("timestamp", "representable range", "the service's clock")),
    ("not_allowed", ("not among the allowed",)),
    ("out_of_range", ("below the minimum", "above the maximum")),
    ("wrong_type", ("expected ", "not a number", "not an integer", "not true or false")),
)


def rejection_reason(field: str, message: str, status: int = 422) -> str:
    """The short reason code of a refusal, from its field, message and HTTP status.

    >>> rejection_reason("amount", "expected a number (got 'lots')")
    'wrong_type'
    >>> rejection_reason("body", "2000000 bytes exceed the limit of 1048576", 413)
    'too_large'
    >>> rejection_reason("content-type", "'text/plain' is not JSON", 415)
    'not_json'
    """
    by_status = _STATUS_REASONS.get(status)
    if by_status is not None:
        return by_status
    for reason, fragments in _REASONS:
        if any(fragment in message for fragment in fragments):
            if reason == "wrong_type" and field == "body":
                return "malformed_json"
            return reason
    return "invalid"


__all__ = ["rejection_reason"]
