"""Offending values quoted in error messages: at most a short prefix of each.

A refused value may be a megabyte long (an id, a timestamp); an error that names it quotes
only its beginning, so no answer, log line or rejection row grows with what a client sent.

>>> quoted("yesterday")
"'yesterday'"
>>> quoted("x" * 1_000_000)
"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (1000000 characters)"
>>> quoted(-5.0)
'-5.0'
"""

from __future__ import annotations

from typing import Any

QUOTE_LIMIT = 40
"""How many characters of an offending value an error message quotes."""


def quoted(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)``, of a string's first ``limit`` characters only (its length said after).

    >>> quoted([1, 2, 3], limit=5)
    '[1, 2...'
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


__all__ = ["QUOTE_LIMIT", "quoted"]
