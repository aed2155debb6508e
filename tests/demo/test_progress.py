"""``watchkeeper demo`` in a log or a CI job: a progress line per simulated month on stderr."""

from __future__ import annotations

import pytest

from watchkeeper.cli.demo_command import _progress


def test_without_a_terminal_the_progress_is_a_line_per_phase_and_month(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with _progress() as say:
        for step, done in [
            ("simulating the case study", 0.0),
            ("without: 2026-04-01", 0.05),
            ("without: 2026-04-30", 0.08),
            ("with: 2026-04-03", 0.15),
            ("with: 2026-05-02", 0.3),
            ("done", 1.0),
        ]:
            say(step, done)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == [
        "simulating the case study",
        "without: 2026-04",
        "with: 2026-04",
        "with: 2026-05",
        "done",
    ]
    assert lines[-1].startswith("[100%") and captured.out == ""
