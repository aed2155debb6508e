"""Model failures as rows of the ``rejections`` table, and their count per version.

When a model fails to score an event (it raises, or returns a score that is not finite), the
service appends a ``rejections`` row with the reason :data:`MODEL_ERROR` and a ``detail`` that
starts with the version and the route (:func:`model_error_detail`). Every worker writes to the
same table, so the canary's error-rate guard counts the challenger's failures from there
(:func:`model_errors_by_version`), not from one process's memory.

>>> import polars as pl
>>> detail = model_error_detail(2, "canary", "ValueError: returned nan")
>>> detail, model_error_version(detail), model_error_version("amount: required")
('version=2 route=canary: ValueError: returned nan', 2, None)
>>> rows = pl.DataFrame({"reason": [MODEL_ERROR, MODEL_ERROR, "missing_field"],
...                      "detail": [detail, detail, "amount: required"]})
>>> model_errors_by_version(rows)
{2: 2}
"""

from __future__ import annotations

import re

import polars as pl

MODEL_ERROR = "model_error"
"""The reason code of an event a model failed to score."""

_DETAIL = re.compile(r"^version=(?P<version>\d+) ")


def model_error_detail(version: int, route: str, message: str) -> str:
    """The ``detail`` of a model error row: the version and route first, then the message."""
    return f"version={version} route={route}: {message}"


def model_error_version(detail: str | None) -> int | None:
    """The version a model error's ``detail`` names (None for any other detail)."""
    found = _DETAIL.match(detail or "")
    return int(found["version"]) if found else None


def model_errors_by_version(rejections: pl.DataFrame) -> dict[int, int]:
    """Model error rows (``reason``, ``detail``) counted per version."""
    if rejections.is_empty():
        return {}
    counts: dict[int, int] = {}
    errors = rejections.filter(pl.col("reason") == MODEL_ERROR)
    for detail in errors["detail"].to_list():
        version = model_error_version(detail)
        if version is not None:
            counts[version] = counts.get(version, 0) + 1
    return counts


__all__ = ["MODEL_ERROR", "model_error_detail", "model_error_version", "model_errors_by_version"]
