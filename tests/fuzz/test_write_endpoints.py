"""Hostile values in every field of the write endpoints: the invariants of
:mod:`tests.fuzz.harness` hold for each (never a 5xx, nothing acknowledged lost, every refusal
logged, the spool drained, short error answers, plausible event times, ...)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from tests.fuzz.harness import Harness
from tests.fuzz.targets import TARGETS

EXAMPLES_PER_TARGET = 8
FUZZ = settings(
    max_examples=EXAMPLES_PER_TARGET,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples every run: no flaky suite
    phases=(Phase.explicit, Phase.generate),  # the failing example as drawn: shrinking is slow
    suppress_health_check=list(HealthCheck),
)

LONG_RUN_ONLY = {"score.anything", "batch.anything", "outcomes.anything"}
"""Targets drawing from every family at once: left to ``benchmarks/fuzz_long.py``, as the
families one by one cover the same values here in less time."""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", [name for name in TARGETS if name not in LONG_RUN_ONLY])
def test_no_input_breaks_an_invariant(harness: Harness, name: str) -> None:
    target = TARGETS[name]

    @FUZZ
    @given(target.strategy)
    def fuzz(drawn: object) -> None:
        target.run(harness, drawn)

    for found in target.found:  # what broke once is tried first, every run
        fuzz = example(found)(fuzz)
    fuzz()
