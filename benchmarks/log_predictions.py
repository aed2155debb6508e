"""How fast ``watchkeeper log predictions`` takes a team's prediction file, and how much memory.

Builds a Parquet file of ``--rows`` binary predictions of the external (churn) example: the
inputs, a version label, score and decision, as a team's service would log them. Then, each
in a fresh workspace, times ``log_file`` (read in batches, check every row, encode the raw
input, write to Delta) against its floor, a bare ``write_deltalake`` of the same frame read
whole. Prints median seconds over the repeats, rows per second, the ratio to the floor, and
the peak resident memory of a run in a child process at two file sizes (streamed reading
keeps it flat in the file's size).

    .venv/bin/python benchmarks/log_predictions.py              # 1M rows, 3 repeats
    .venv/bin/python benchmarks/log_predictions.py --quick      # 100k rows, 1 repeat

Target: at least 500,000 rows a second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

TARGET_ROWS_PER_SECOND = 500_000


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100,000 rows, one repeat")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "FOLDER"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def prediction_file(rows: int, folder: Path) -> Path:
    """A Parquet file of ``rows`` logged churn predictions."""
    from watchkeeper.simulate.tabular import simulate_churn, team_predictions

    per_day = 2_000
    days = max(30, -(-rows // per_day))
    simulation = simulate_churn(days=days, per_day=per_day, seed=0, shift_day=days - 10)
    predictions = team_predictions(simulation, "binary", seed=0).head(rows)
    path = folder / f"predictions-{rows}.parquet"
    predictions.write_parquet(path)
    return path


def _workspace(folder: Path) -> Path:
    from watchkeeper.workspace import Workspace

    return Workspace.create(folder, example="external")


def time_log(path: Path, folder: Path) -> tuple[float, int]:
    """Seconds to log ``path`` into a fresh workspace under ``folder``, and rows logged."""
    from watchkeeper.intake.workspace_log import log_file
    from watchkeeper.workspace import Workspace

    root = _workspace(folder)
    with Workspace.open(root) as workspace:
        log = workspace.event_log
        workspace.metadata  # noqa: B018  (open the database outside the timing)
        started = time.perf_counter()
        summary = log_file(log, "predictions", path)
        elapsed = time.perf_counter() - started
    return elapsed, summary.logged


def time_floor(path: Path, folder: Path) -> float:
    """Seconds to read the file whole and write it to a Delta table, nothing else."""
    from deltalake import write_deltalake

    started = time.perf_counter()
    frame = pl.read_parquet(path)
    write_deltalake(str(folder / "bare"), frame.to_arrow(), mode="append")
    return time.perf_counter() - started


def peak_memory_mib(path: Path) -> float:
    """The peak resident memory of logging ``path`` in a child process."""
    with tempfile.TemporaryDirectory() as folder:
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(path), folder],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return float(json.loads(output)["peak_mib"])


def _child(path: Path, folder: Path) -> None:
    import resource

    time_log(path, folder / "ws")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mib": peak}))


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures."""
    arguments = _arguments(argv)
    if arguments.child:
        _child(Path(arguments.child[0]), Path(arguments.child[1]))
        return 0
    rows = 100_000 if arguments.quick else arguments.rows
    repeats = 1 if arguments.quick else arguments.repeats
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        path = prediction_file(rows, folder)
        logged, floors = [], []
        for repeat in range(repeats):
            seconds, count = time_log(path, folder / f"ws-{repeat}")
            assert count == rows, f"logged {count} of {rows}"
            logged.append(seconds)
            floors.append(time_floor(path, folder / f"floor-{repeat}"))
        log_seconds, floor_seconds = statistics.median(logged), statistics.median(floors)
        print(f"rows: {rows:,}  file: {path.stat().st_size / 2**20:.1f} MiB Parquet")
        print(
            f"log predictions: {log_seconds:.2f} s median of {repeats} "
            f"({rows / log_seconds:,.0f} rows/s; target {TARGET_ROWS_PER_SECOND:,})"
        )
        print(
            f"bare write_deltalake of the same frame: {floor_seconds:.2f} s "
            f"({rows / floor_seconds:,.0f} rows/s); ratio {log_seconds / floor_seconds:.2f}"
        )
        small = prediction_file(rows // 4, folder)
        print(
            f"peak memory: {peak_memory_mib(small):.0f} MiB logging {rows // 4:,} rows, "
            f"{peak_memory_mib(path):.0f} MiB logging {rows:,} rows"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
