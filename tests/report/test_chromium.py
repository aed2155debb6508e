"""The report file and the served ``/dashboard`` opened in headless Chromium (Debian's
``chromium``): the DOM it loads holds every section, and its screenshot is a real page.

Without Chromium these tests skip locally; under ``CI=true`` they fail instead, so a CI run can
never pass by skipping them (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchkeeper.report import write_report
from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace

WIDTH, HEIGHT = 1400, 3000
SECTION_IDS = ("scores", "psi", "flag-rate", "performance", "money", "timeline", "lineage")


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is not None:
        return found
    message = "headless Chromium is needed: apt-get install -y --no-install-recommends chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def run_chromium(chromium: str, profile: Path, *arguments: str) -> str:
    """Run headless Chromium with a fresh profile folder; return its standard output."""
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def png_summary(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the (filtered) pixel data.

    A page of one colour filters to a stream of a handful of values; a drawn page uses most
    of the 256.
    """
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    position, width, height, pixels = 8, 0, 0, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            pixels += body
        position += 12 + length
    return width, height, len(set(zlib.decompress(pixels)))


def screenshot(chromium: str, url: str, folder: Path) -> Path:
    target = folder / "screenshot.png"
    run_chromium(
        chromium,
        folder / "profile",
        f"--screenshot={target}",
        f"--window-size={WIDTH},{HEIGHT}",
        url,
    )
    assert target.exists()
    return target


def assert_a_real_page(png: Path) -> None:
    width, height, distinct = png_summary(png)
    assert (width, height) == (WIDTH, HEIGHT)
    assert png.stat().st_size > 60_000, png.stat().st_size
    assert distinct > 150, distinct


def test_the_report_file_renders_offline(
    chromium: str, report_workspace: Path, tmp_path: Path
) -> None:
    with Workspace.open(report_workspace) as workspace:
        page = write_report(workspace, tmp_path / "report.html")
    dom = run_chromium(chromium, tmp_path / "dom-profile", "--dump-dom", page.as_uri())
    for anchor in SECTION_IDS:
        assert f'<section id="{anchor}">' in dom
    assert_a_real_page(screenshot(chromium, page.as_uri(), tmp_path))


@pytest.fixture
def served_dashboard(report_workspace: Path) -> Iterator[str]:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Workspace.open(report_workspace) as workspace:
        serving = workspace.config.serving.model_copy(update={"protect_reads": False})
        workspace.config = workspace.config.model_copy(update={"serving": serving})  # no token
        app = create_app(workspace, admin_token="token", flush_seconds=None)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            for _ in range(200):
                if server.started:
                    break
                thread.join(0.05)
            assert server.started, "the service did not start"
            yield f"http://127.0.0.1:{port}/dashboard"
        finally:
            server.should_exit = True
            thread.join(10)


def test_the_served_dashboard_renders(chromium: str, served_dashboard: str, tmp_path: Path) -> None:
    dom = run_chromium(chromium, tmp_path / "dom-profile", "--dump-dom", served_dashboard)
    for anchor in SECTION_IDS:
        assert f'<section id="{anchor}">' in dom
    assert "model health report" in dom
    assert_a_real_page(screenshot(chromium, served_dashboard, tmp_path))
