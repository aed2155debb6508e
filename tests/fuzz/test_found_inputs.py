"""Each input the fuzzers found, replayed alone: which invariant it breaks, and why.

An entry marked ``xfail`` breaks an invariant today; the mark goes once its cause is fixed.
The unmarked entries guard classes of input that hold (huge numbers, NaN, deep nesting, NUL).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.fuzz.harness import Harness
from tests.fuzz.targets import FOUND, TARGETS
from tests.fuzz.test_write_endpoints import (
    BATCH_PIN,
    CONTENT_TYPE,
    DUPLICATES,
    ECHOED,
    FAR_TIMES,
    HUGE_AMOUNT,
    OVERSIZED,
    SURROGATES,
)


def _reason(name: str, drawn: Any) -> str | None:
    text = repr(drawn)
    if name == "content_type":
        return CONTENT_TYPE
    if name == "model_version":
        return BATCH_PIN if drawn[0] == "/v1/score/batch" else None
    if name == "duplicate_id":
        return DUPLICATES
    if "1" * 400 in text:
        return HUGE_AMOUNT
    if "\\ud800" in text:
        return SURROGATES
    if "x" * 100_000 in text:
        return OVERSIZED if "event_id" in text else ECHOED
    if any(year in text for year in ("0001-", "1900-", "2999-", "9999-")):
        return FAR_TIMES
    return None


def _params() -> list[Any]:
    params = []
    for index, (name, drawn) in enumerate(FOUND):
        reason = _reason(name, drawn)
        marks = [] if reason is None else [pytest.mark.xfail(strict=True, reason=reason)]
        params.append(pytest.param(name, drawn, id=f"{index}-{name}", marks=marks))
    return params


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("name", "drawn"), _params())
def test_a_found_input_keeps_every_invariant(harness: Harness, name: str, drawn: Any) -> None:
    TARGETS[name].run(harness, drawn)
