"""The README's Python examples run as written (in a fresh folder) and are formatted as
``ruff format`` formats the project's code (its ``pyproject.toml``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def python_blocks() -> list[str]:
    return PYTHON_BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_examples() -> None:
    assert python_blocks()


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_a_readme_python_example_runs(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(python_blocks()[index], f"README.md python block {index}", "exec"), {})


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_a_readme_python_example_is_ruff_formatted(index: int) -> None:
    formatted = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--diff",
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--stdin-filename",
            f"readme_block_{index}.py",
            "-",
        ],
        input=python_blocks()[index],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert formatted.returncode == 0, (
        f"README.md python block {index} is not as `ruff format` writes it:\n"
        f"{formatted.stdout}{formatted.stderr}"
    )
