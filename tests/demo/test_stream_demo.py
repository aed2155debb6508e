"""``watchkeeper demo --via stream``: the watched run scored through Redis Streams and a stream
consumer gives the default path's predictions, event for event, and its summary.

A small replay (450 transactions a day, 15 days watched). The history holds cards idle for
longer than the micro-batches' 30-day warm-up: their ``card_secs_since_last`` is where the two
paths first differed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from watchkeeper.cli import main
from watchkeeper.demo import DemoSettings, run_demo
from watchkeeper.demo.stream_scoring import StreamVia
from watchkeeper.workspace import Workspace

SMALL = DemoSettings(seed=3, scale=0.3, days=145, shift_day=140, history_days=130)


def predictions(out: Path) -> pl.DataFrame:
    with Workspace.open(out / "workspace") as workspace:
        logged = workspace.events.read("predictions")
    return logged.select("event_id", "score", "decision", "model_version", "route", "features")


@pytest.mark.slow
@pytest.mark.redis
def test_a_replay_through_the_stream_equals_the_default_path(
    tmp_path: Path, redis_url: str
) -> None:
    import redis

    default = run_demo(SMALL, tmp_path / "default")
    prefix = f"t{uuid.uuid4().hex[:8]}"
    streamed = run_demo(
        replace(SMALL, via=StreamVia(redis_url, prefix=prefix)), tmp_path / "stream"
    )

    first, second = default.to_dict(), streamed.to_dict()
    first.pop("runtime_s")
    second.pop("runtime_s")
    assert first == second
    assert second["with"]["false_positives"] > 0 and second["with"]["fraud_prevented"] > 0

    by_default = predictions(tmp_path / "default").sort("event_id")
    by_stream = predictions(tmp_path / "stream").sort("event_id")
    assert by_default.height == by_stream.height > 1_000
    assert by_default.select("event_id", "decision", "model_version", "route").equals(
        by_stream.select("event_id", "decision", "model_version", "route")
    )
    assert (by_default["score"] - by_stream["score"]).abs().max() == 0.0
    served = zip(by_default["features"], by_stream["features"], strict=True)
    assert all(json.loads(first) == json.loads(second) for first, second in served)

    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"{prefix}:*")) == []  # the run's streams are gone
    finally:
        client.close()


def test_an_unreachable_redis_is_one_line_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["demo", "--via", "stream", "--redis-url", "redis://127.0.0.1:1/0"]
    assert main([*arguments, "--out", str(tmp_path)]) == 2
    printed = capsys.readouterr()
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in printed.err
    assert "Traceback" not in printed.err + printed.out
    assert not (tmp_path / "workspace").exists()


def test_via_names_its_choices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--via", "http", "--out", str(tmp_path)]) == 2
    assert "--via http: choose replay or stream" in capsys.readouterr().err
