"""Events per second through ``watchkeeper consume``, against the batch HTTP endpoint and a
bare consumer, and the event-to-decision latency at half the consumer's peak rate.

One run, side by side, Redis Streams on loopback (``--redis-url``, a database this script
may fill; each measurement uses a stream prefix of its own, deleted afterwards):

* **consume**: one ``watchkeeper consume`` process (8 partitions, batches of at most
  ``--batch-size``, its flusher process) is running; ``--events`` events are published to it as
  fast as this process can (:func:`watchkeeper.stream.publish`, 1,000 per round trip), timed
  from before the first is published to the last decision's stream id;
* **http batch**: the same number of events posted to ``watchkeeper serve`` (one worker) as
  ``POST /v1/score/batch`` bodies of ``--batch-size`` events, one after the other;
* **bare**: a loop that only reads and acknowledges the same entries (the floor);
* **latency**: ``watchkeeper consume`` in a process of its own while this one publishes at half
  the consume median, in small chunks, for ``--latency-seconds``; an event's latency is the
  time between its entry's and its decision's stream ids (both Redis's clock, milliseconds).

The events come from 1,000 cards in turn, a second apart (``serve_load.card_event``); the model
is the example's LightGBM (``--trees``). Each throughput is measured ``--repeats`` times, the
median printed with the worst, and the ratios of the medians; also the events per CPU
second of the consumer's and the server's process (their flusher processes not counted), a
figure a loaded machine changes less than the wall-clock rates.

    .venv/bin/python benchmarks/stream_consume.py --events 10000 [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.serve_load import build_workspace, card_event, start_server

CARDS = 1000
PARTITIONS = 8


def publish_events(client: Any, prefix: str, start: int, count: int) -> None:
    from watchkeeper.stream import publish

    for first in range(start, start + count, 1000):
        chunk = [
            card_event(index, CARDS) for index in range(first, min(first + 1000, start + count))
        ]
        publish(client, chunk, key="card_id", prefix=prefix, partitions=PARTITIONS)


def drop(client: Any, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def start_consumer(
    root: Path, redis_url: str, prefix: str, batch_size: int
) -> subprocess.Popen[bytes]:
    """``watchkeeper consume`` in a process of its own, once it has decided a first event."""
    command = [sys.executable, "-m", "watchkeeper", "consume", "-w", str(root)]
    command += ["--redis-url", redis_url, "--stream", prefix, "--partitions", str(PARTITIONS)]
    command += ["--consumer", "bench", "--batch-size", str(batch_size)]
    consumer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import redis

    client = redis.Redis.from_url(redis_url)
    publish_events(client, prefix, 10**8, 1)
    deadline = time.monotonic() + 120
    while client.xlen(f"{prefix}:decisions") < 1:
        if time.monotonic() > deadline or consumer.poll() is not None:
            consumer.kill()
            raise RuntimeError(f"the consumer did not start: {consumer.communicate()[1]!r}")
        time.sleep(0.05)
    client.close()
    return consumer


def stop_consumer(consumer: subprocess.Popen[bytes]) -> None:
    consumer.terminate()  # SIGTERM: the batch in hand, then a last flush
    consumer.wait(timeout=60)


def stream_millis(entry_id: bytes | str) -> int:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("/", 1)[-1].split("-", 1)[0])


def consume_rate(client: Any, prefix: str, start: int, events: int) -> float:
    """Events per second through the running consumer: ``events`` published as fast as this
    process can, from the first entry's id to the last decision's (Redis's clock)."""
    decisions = f"{prefix}:decisions"
    before = client.xlen(decisions)
    first = int(time.time() * 1000)
    publish_events(client, prefix, start, events)
    deadline = time.monotonic() + 600
    while client.xlen(decisions) < before + events:
        if time.monotonic() > deadline:
            raise RuntimeError("the consumer fell silent")
        time.sleep(0.01)
    last = client.xrevrange(decisions, count=1)[0][0]
    return events / ((stream_millis(last) - first) / 1000.0)


def bare_rate(client: Any, events: int, batch_size: int) -> float:
    """Events per second of a loop that only reads and acknowledges."""
    from watchkeeper.stream.partitions import StreamNames
    from watchkeeper.stream.redis_streams import RedisStreams

    prefix = f"bare-{uuid.uuid4().hex[:8]}"
    publish_events(client, prefix, 0, events)
    streams = RedisStreams(client, StreamNames(prefix), "bench", "bare")
    partitions = list(range(PARTITIONS))
    done = 0
    began = time.perf_counter()
    while done < events:
        entries = streams.read_batch(partitions, batch_size, 100)
        streams.ack(entries)
        done += len(entries)
    elapsed = time.perf_counter() - began
    drop(client, prefix)
    return events / elapsed


def http_batch_rate(port: int, start: int, events: int, batch_size: int) -> float:
    """Events per second posted as ``/v1/score/batch`` bodies, one after the other."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0) as client:
        bodies = [
            json.dumps(
                {
                    "events": [
                        card_event(index, CARDS)
                        for index in range(first, min(first + batch_size, start + events))
                    ]
                }
            )
            for first in range(start, start + events, batch_size)
        ]
        began = time.perf_counter()
        for body in bodies:
            answer = client.post(
                "/v1/score/batch", content=body, headers={"content-type": "application/json"}
            )
            answer.raise_for_status()
        return events / (time.perf_counter() - began)


def paced_latency(
    root: Path, redis_url: str, client: Any, rate: float, seconds: float, batch_size: int
) -> list[float]:
    """Event-to-decision latencies (ms) of ``watchkeeper consume`` fed at ``rate`` events/s."""
    prefix = f"paced-{uuid.uuid4().hex[:8]}"
    consumer = start_consumer(root, redis_url, prefix, batch_size)
    try:
        sent, began, tick = 0, time.perf_counter(), 0.005
        while (elapsed := time.perf_counter() - began) < seconds:
            due = int(elapsed * rate) - sent
            if due > 0:
                publish_events(client, prefix, 10**7 + sent, due)
                sent += due
            time.sleep(tick)
        deadline = time.monotonic() + 60
        while client.xlen(f"{prefix}:decisions") < sent + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        latencies = [
            float(stream_millis(entry_id) - stream_millis(fields[b"source"]))
            for entry_id, fields in client.xrange(f"{prefix}:decisions")
        ]
        return latencies[1:]  # not the first, decided as the consumer started
    finally:
        stop_consumer(consumer)
        drop(client, prefix)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--quick", action="store_true", help="tiny settings: the script runs")
    options = parser.parse_args()
    if options.quick:
        options.events, options.repeats, options.trees, options.latency_seconds = 1000, 1, 20, 2.0
    import redis

    client = redis.Redis.from_url(options.redis_url)
    client.ping()
    folder = Path(tempfile.mkdtemp(prefix="stream-bench-"))
    try:
        built = build_workspace(folder, options.trees)
        served = folder / "served"
        paced = folder / "paced"
        shutil.copytree(built, served)
        shutil.copytree(built, paced)
        rates: dict[str, list[float]] = {"consume": [], "http batch": [], "bare": []}
        cpu: dict[str, list[float]] = {"consume": [], "http batch": []}
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        consumer = start_consumer(built, options.redis_url, prefix, options.batch_size)
        server, port = start_server("watchkeeper", served, 1, folder)
        try:
            for repeat in range(options.repeats):
                start = repeat * options.events
                used = cpu_seconds(consumer.pid)
                rates["consume"].append(consume_rate(client, prefix, start, options.events))
                cpu["consume"].append(options.events / (cpu_seconds(consumer.pid) - used))
                used = cpu_seconds(server.pid)
                rates["http batch"].append(
                    http_batch_rate(port, start, options.events, options.batch_size)
                )
                cpu["http batch"].append(options.events / (cpu_seconds(server.pid) - used))
                rates["bare"].append(bare_rate(client, options.events, options.batch_size))
                print(
                    f"repeat {repeat + 1}: "
                    + ", ".join(f"{name} {values[-1]:,.0f} ev/s" for name, values in rates.items()),
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
            stop_consumer(consumer)
            drop(client, prefix)
        medians = {name: statistics.median(values) for name, values in rates.items()}
        rate = medians["consume"] / 2
        latencies = paced_latency(
            paced, options.redis_url, client, rate, options.latency_seconds, options.batch_size
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\n{options.events:,} events, batches of {options.batch_size}, {options.repeats} repeats"
    )
    for name, values in rates.items():
        print(f"  {name:<10} median {medians[name]:>9,.0f} ev/s  worst {min(values):>9,.0f} ev/s")
    print(f"  consume / http batch: {medians['consume'] / medians['http batch']:.2f}")
    print(f"  consume / bare:       {medians['consume'] / medians['bare']:.3f}")
    for name, values in cpu.items():  # what one idle core would give, whatever the load
        print(
            f"  {name:<10} {statistics.median(values):>9,.0f} events per CPU second of its process"
        )
    print(
        f"  latency at {rate:,.0f} ev/s (half the consume median), {len(latencies):,} events: "
        f"p50 {percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
        f"max {max(latencies):.0f} ms"
    )


if __name__ == "__main__":
    main()
