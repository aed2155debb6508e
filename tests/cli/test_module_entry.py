"""``python -m watchkeeper`` runs the same command line as the installed script."""

import subprocess
import sys


def test_python_dash_m_shows_the_command_list() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "watchkeeper", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout
    assert "drift" in result.stdout
