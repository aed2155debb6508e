"""Canonical JSON and content hashes: one text, and one sha256, for one specification.

Keys are sorted, separators fixed, floats written by ``repr`` (they read back exactly), and
NaN or infinity refused, so equal specifications always give equal bytes.

>>> canonical_json({"b": 1.5, "a": [1, "x"]})
'{"a":[1,"x"],"b":1.5}'
>>> content_hash('{"a":1}')[:12]
'015abd7f5cc5'
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """Write ``value`` (plain JSON types) as canonical JSON text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def content_hash(text: str) -> str:
    """The sha256 of ``text`` encoded as UTF-8, in hexadecimal."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = ["canonical_json", "content_hash"]
