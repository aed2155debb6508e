"""Throughput and latency of ``/v1/score`` against a bare FastAPI endpoint on the same model.

One run, side by side, load from separate processes on loopback:

* ``watchkeeper serve`` with the example workspace's features and a LightGBM model (200 trees,
  the example's training parameters), every prediction logged through the spool, 1 and 2
  workers (1: online state in memory; 2: in LMDB, which the workers share, or as
  ``--shared-state`` says);
* the same app with the prediction log off (``create_app(log_predictions=False)``), for the
  cost of logging;
* a bare FastAPI endpoint (uvicorn, same worker count and HTTP protocol) that parses the same JSON events and
  calls the same booster on a float64 row: no validation, features, routing or logging.

The events (:func:`card_event`) come from ``--cards`` cards in turn, a second apart, so every
card's windowed features read a history that grows through the run, as a card's does.

For each server: the peak, the best throughput of closed loops with each of ``--connections``
keep-alive connections in all (from ``--clients`` processes of ``benchmarks/load_client.py``,
``--seconds`` each; a server that makes each request wait for a group commit needs more requests
in flight than one that answers at once, so one fixed count would measure its latency rather
than its capacity), with p50/p99 latency there; then p50/p99 in an open loop at 80% of the peak
rate over ``--paced-connections`` connections (enough that no request waits for a free one). ``--quick`` uses tiny settings to check the script runs.
``--baseline-src DIR`` adds ``watchkeeper-baseline``: the service run from another copy of
``src`` (an earlier version), for before/after figures in one run on the same machine state.

    .venv/bin/python benchmarks/serve_load.py [--quick] [--workers 1 2] [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# the test helpers import Starlette's TestClient, which warns once per load process
warnings.filterwarnings("ignore", message=".*starlette.testclient.*")

from tests.serving.conftest import live_event, synthetic_events  # noqa: E402

BARE_APP = """
import json, os
import numpy as np
from fastapi import FastAPI, Request
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.workspace import Workspace

workspace = Workspace.open(__import__("pathlib").Path(os.environ["WATCHKEEPER_WORKSPACE"]))
loaded = ModelRegistry.for_workspace(workspace).load("champion")
names = loaded.manifest.feature_names
app = FastAPI()

@app.post("/v1/score")
async def score(request: Request) -> dict:
    event = json.loads(await request.body())
    row = np.zeros((1, len(names)), dtype=np.float64)
    row[0, 0] = float(event["amount"])
    value = float(loaded.model.predict_scores(row)[0])
    return {"event_id": event["event_id"], "score": value, "decision": value >= loaded.threshold}
"""


NO_LOG_APP = """
import os
from pathlib import Path
from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace


def factory():
    workspace = Workspace.open(Path(os.environ["WATCHKEEPER_WORKSPACE"]))
    return create_app(workspace, log_predictions=False, freeze_startup_heap=True)
"""

NO_DELAY_PROTOCOL = "watchkeeper.serving.no_delay_protocol:NoDelayH11Protocol"
"""What ``watchkeeper serve`` runs uvicorn with: TCP_NODELAY on every connection."""

KINDS = ("bare", "watchkeeper", "watchkeeper-no-log")
REDIS_URL = "redis://127.0.0.1:6379/15"
"""The shared online state with ``--shared-state redis`` (this database is emptied)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


SYNTHETIC_TIMES = "\nserving:\n  event_time:\n    max_age: 10000w\n    max_future: 10000w\n"
"""The load's events lie a second apart from a fixed day on (:func:`card_event`), not around
the server's wall clock: its plausible range of event times is opened wide for them."""


def build_workspace(
    folder: Path, trees: int, online_state: str = "memory", *, synthetic_times: bool = True
) -> Path:
    """A workspace with one LightGBM champion trained on synthetic events.

    Several workers need a shared online state: ``lmdb``, ``sqlite`` or ``redis``.
    ``synthetic_times``: accept the load's event times (:data:`SYNTHETIC_TIMES`; an earlier
    version without the setting must not see it).
    """
    import numpy as np

    from watchkeeper.features.batch_engine import compute_batch
    from watchkeeper.features.fit import fit
    from watchkeeper.features.spec import FeatureSpec
    from watchkeeper.registry.registry import CHAMPION, ModelRegistry
    from watchkeeper.training.trainers import train_lightgbm
    from watchkeeper.workspace import Workspace

    root = Workspace.create(folder / f"ws-{online_state}")
    config = root / "watchkeeper.yaml"
    state_config = f"type: {online_state}"
    if online_state == "redis":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()  # no state left from an earlier run
        state_config += f"\n    url: {REDIS_URL}"
    text = config.read_text().replace("type: memory", state_config, 1)
    config.write_text(text + SYNTHETIC_TIMES if synthetic_times else text)
    with Workspace.open(root) as workspace:
        frame = synthetic_events(20_000, seed=3)
        fitted = fit(FeatureSpec.from_workspace_config(workspace.config), frame)
        features = compute_batch(fitted, frame).features.drop("event_id")
        amount = frame["amount"].to_numpy()
        labels = (amount > np.quantile(amount, 0.97)).astype(np.int8)
        parameters = {"n_estimators": trees, "learning_rate": 0.05, "num_leaves": 31, "verbose": -1}
        model = train_lightgbm(features, labels, sample_weight=None, parameters=parameters, seed=0)
        registry = ModelRegistry.for_workspace(workspace)
        version = registry.register(
            model,
            feature_schema=features.schema,
            threshold=0.5,
            feature_spec=fitted.to_json().encode("utf-8"),
        ).version
        registry.set_status(version, CHAMPION, reason="benchmark")
    return root


def baseline_workspace(folder: Path, trees: int, workers: int) -> Path:
    """A workspace of its own for the earlier version, without a spool file yet: an earlier
    version may not read the spool format this one writes."""
    root = build_workspace(
        folder, trees, "memory" if workers == 1 else "sqlite", synthetic_times=False
    )
    for spool in (root / ".watchkeeper").glob("events.spool*"):
        spool.unlink()
    return root


def start_server(
    kind: str, root: Path, workers: int, folder: Path, baseline_src: Path | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    environment = {**os.environ, "WATCHKEEPER_WORKSPACE": str(root), "PYTHONPATH": str(folder)}
    if kind == "watchkeeper-baseline":
        assert baseline_src is not None
        environment["PYTHONPATH"] = os.pathsep.join([str(baseline_src), str(folder)])
    if kind in ("watchkeeper", "watchkeeper-baseline"):
        command = [
            sys.executable,
            "-c",
            "from watchkeeper.cli import main; main()",
            "serve",
            "-w",
            str(root),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
    elif kind == "watchkeeper-no-log":
        (folder / "no_log_app.py").write_text(NO_LOG_APP)
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "no_log_app:factory",
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
            "--http",
            NO_DELAY_PROTOCOL,
        ]
    else:
        (folder / "bare_app.py").write_text(BARE_APP)
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
            "--http",
            NO_DELAY_PROTOCOL,
        ]
    process = subprocess.Popen(
        command, env=environment, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}/v1/score", json=live_event(10**9), timeout=2.0)
            return process, port
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{kind} server did not start")


def card_event(index: int, cards: int) -> dict[str, Any]:
    """Live event ``index``, one second after the one before, of one of ``cards`` cards (each
    with two devices); the cards take turns, so each one's history grows by one event every
    ``cards`` events.

    >>> card_event(3, cards=1000)["card_id"], card_event(1003, cards=1000)["card_id"]
    ('c3', 'c3')
    """
    card = index % cards
    return live_event(index, card_id=f"c{card}", device_id=f"d{card}-{index // cards % 2}")


def _client(
    arguments: tuple[int, int, float, float | None, int, int],
) -> tuple[list[float], int]:
    """One load process: ``connections`` keep-alive connections, closed loop or paced at
    ``rate`` per second; each request a new live event of one of ``cards`` cards."""
    import asyncio

    from benchmarks.load_client import run_load

    port, connections, seconds, rate, offset, cards = arguments
    counter = iter(range(offset, offset + 10**9))

    def next_body() -> bytes:
        return json.dumps(card_event(next(counter), cards)).encode()

    result = asyncio.run(run_load(port, connections, seconds, rate, next_body))
    return result.latencies, result.failed


def load(
    port: int,
    clients: int,
    connections: int,
    seconds: float,
    rate: float | None,
    offset: int,
    cards: int,
) -> dict[str, float]:
    """Throughput and p50/p99 latency of ``connections`` connections spread over ``clients``
    processes (closed loop, or open loop at ``rate`` per second in all)."""
    per_client_rate = rate / clients if rate else None
    shares = [connections // clients + (n < connections % clients) for n in range(clients)]
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.map(
            _client,
            [
                (port, share, seconds, per_client_rate, offset + n * 100_000_000, cards)
                for n, share in enumerate(shares)
            ],
        )
    latencies = sorted(value for result, _ in results for value in result)
    failed = sum(count for _, count in results)
    if failed:
        print(f"  {failed} answers were not 200", flush=True)
    if not latencies:
        return {"throughput": 0.0, "p50_ms": float("nan"), "p99_ms": float("nan")}
    return {
        "throughput": len(latencies) / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--paced-connections", type=int, default=64)
    parser.add_argument(
        "--cards",
        type=int,
        default=5000,
        help="cards the events take turns between (a card's 30-day history grows by one "
        "event every CARDS events: with 5,000, some 20 to 60 events in a run)",
    )
    parser.add_argument(
        "--shared-state",
        choices=["lmdb", "sqlite", "redis"],
        default="lmdb",
        help="the online state of several workers (redis: database 15 at 127.0.0.1:6379)",
    )
    parser.add_argument("--baseline-src", type=Path, default=None)
    arguments = parser.parse_args()
    kinds = KINDS if arguments.baseline_src is None else (*KINDS, "watchkeeper-baseline")
    seconds = 2.0 if arguments.quick else arguments.seconds
    if arguments.quick:
        arguments.connections = arguments.connections[:1]
    trees = 20 if arguments.quick else 200
    folder = Path(tempfile.mkdtemp(prefix="serve_load_"))
    rows = []
    offset = 0
    for workers in arguments.workers:
        root = build_workspace(folder, trees, "memory" if workers == 1 else arguments.shared_state)
        for kind in kinds:
            served = root
            if kind == "watchkeeper-baseline":
                served = baseline_workspace(folder / f"baseline-{workers}", trees, workers)
            process, port = start_server(kind, served, workers, folder, arguments.baseline_src)
            try:
                peak: dict[str, float] = {"throughput": -1.0}
                for connections in arguments.connections:
                    offset += 10**9
                    found = load(
                        port, arguments.clients, connections, seconds, None, offset, arguments.cards
                    )
                    if found["throughput"] > peak["throughput"]:
                        peak = {**found, "connections": connections}
                offset += 10**9
                paced = load(
                    port,
                    arguments.clients,
                    arguments.paced_connections,
                    seconds,
                    0.8 * peak["throughput"],
                    offset,
                    arguments.cards,
                )
            finally:
                process.terminate()
                process.wait(timeout=30)
            rows.append((kind, workers, peak, paced))
            print(
                f"{kind:20s} workers={workers} peak {peak['throughput']:8.0f}/s "
                f"({peak['connections']:.0f} conn.) "
                f"p50 {peak['p50_ms']:6.2f} ms p99 {peak['p99_ms']:6.2f} ms | at 80%: "
                f"p50 {paced['p50_ms']:6.2f} ms p99 {paced['p99_ms']:6.2f} ms",
                flush=True,
            )
    for workers in arguments.workers:
        bare = next(row for row in rows if row[0] == "bare" and row[1] == workers)[2]
        ours = next(row for row in rows if row[0] == "watchkeeper" and row[1] == workers)[2]
        share = ours["throughput"] / bare["throughput"] if bare["throughput"] else float("nan")
        quiet = next(row for row in rows if row[0] == "watchkeeper-no-log" and row[1] == workers)[2]
        logging_cost = (
            ours["throughput"] / quiet["throughput"] if quiet["throughput"] else float("nan")
        )
        print(
            f"workers={workers}: watchkeeper at {share:.0%} of the bare endpoint's throughput; "
            f"with logging at {logging_cost:.0%} of its own throughput without logging"
        )
        baseline = [row for row in rows if row[0] == "watchkeeper-baseline" and row[1] == workers]
        if baseline and baseline[0][2]["throughput"]:
            before = baseline[0][2]["throughput"]
            print(
                f"workers={workers}: baseline at {before / bare['throughput']:.0%} of the bare "
                f"endpoint; this version at {ours['throughput'] / before:.2f}x the baseline"
            )
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
