"""``import watchkeeper`` makes OpenMP's idle threads wait passively unless the user chose."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "import os, watchkeeper, lightgbm; print(os.environ.get('OMP_WAIT_POLICY'))"


@pytest.mark.parametrize(("given", "seen"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_the_wait_policy_is_passive_unless_the_user_set_one(given: str | None, seen: str) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    if given is not None:
        environment["OMP_WAIT_POLICY"] = given
    probe = [sys.executable, "-c", PROBE]
    printed = subprocess.run(probe, env=environment, capture_output=True, text=True, check=True)
    assert printed.stdout.strip() == seen
