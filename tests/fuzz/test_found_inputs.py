"""Each input the fuzzers found, replayed alone against every invariant.

Each found input broke an invariant once (lone surrogates, times centuries away, whole values
echoed in errors, overlong ids, duplicate ids, non-JSON content types, the batch's pin, integers
past a float's range); the others guard classes of input that held (NaN, deep nesting, NUL).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.fuzz.harness import Harness
from tests.fuzz.targets import FOUND, TARGETS


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("name", "drawn"),
    [pytest.param(name, drawn, id=f"{index}-{name}") for index, (name, drawn) in enumerate(FOUND)],
)
def test_a_found_input_keeps_every_invariant(harness: Harness, name: str, drawn: Any) -> None:
    TARGETS[name].run(harness, drawn)
