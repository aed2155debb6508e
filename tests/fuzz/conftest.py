"""The fuzz suite's fixtures: the trained models of the serving tests, and a harness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fuzz.harness import Harness
from tests.serving.conftest import TrainedModels, trained

__all__ = ["trained"]  # the serving tests' session fixture, shared


@pytest.fixture
def harness(tmp_path: Path, trained: TrainedModels) -> Iterator[Harness]:
    opened = Harness(trained, tmp_path)
    yield opened
    opened.close()
