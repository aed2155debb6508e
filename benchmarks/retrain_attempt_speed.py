"""How long one full retraining attempt takes on 90 days of the simulator's default traffic.

Builds a temporary workspace (the fraud example: 15 features, 7 of them windowed per card up
to 30 days; LightGBM with 200 trees), simulates the case-study preset with its default
settings (20,000 transactions a day; its shifts start on day 540, so they are off) for 30 days of feature warm-up + the 90-day window + the
60-day maturity horizon + a day, and loads it into the workspace's event store (not timed).
A first attempt registers the champion; then each timed attempt is what ``watchkeeper
retrain --reason ...`` does:

- reading the events (point in time) and labelling the window by maturity;
- fitting the feature spec on the training slice and computing every feature with the batch
  engine over the window and its warm-up;
- the champion's features for the holdout, with its own fitted spec;
- training and choosing the threshold; evaluation and the validation gate (paired bootstrap);
- the reference profile (features, scores, decisions) and registration with lineage.

Prints the breakdown of the median attempt and the median of ``--repeats`` (3; 1 with
``--quick``, which also simulates 2,000 transactions a day).

    .venv/bin/python benchmarks/retrain_attempt_speed.py
    .venv/bin/python benchmarks/retrain_attempt_speed.py --quick
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.simulate import preset, simulate_chunks
from watchkeeper.simulate.to_event_store import load_into_event_store, simulation_key
from watchkeeper.training.pipeline import build_attempt_inputs
from watchkeeper.training.retrain_attempt import RetrainAttempt, run_retrain_attempt
from watchkeeper.workspace import Workspace

DAYS = 30 + 90 + 60 + 1


class StepTimer:
    """Records when each named step starts; durations run to the next step (or the end)."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def __call__(self, step: str) -> None:
        self.marks.append((step, time.perf_counter()))

    def durations(self, end: float) -> dict[str, float]:
        """Seconds per step, in order."""
        ends = [mark[1] for mark in self.marks[1:]] + [end]
        return {name: stop - start for (name, start), stop in zip(self.marks, ends, strict=True)}


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--per-day", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2,000 a day, one repeat")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.per_day, arguments.repeats = 2_000, 1
    return arguments


def _workspace(folder: Path, threads: int) -> Path:
    root = Workspace.create(folder / "ws", "fraud")
    path = root / "watchkeeper.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["training"]["parameters"]["num_threads"] = threads
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return root


def _attempt(workspace: Workspace, trigger: str) -> tuple[float, dict[str, float], RetrainAttempt]:
    registry = ModelRegistry.for_workspace(workspace)
    timer = StepTimer()
    started = time.perf_counter()
    inputs = build_attempt_inputs(workspace, registry, progress=timer)
    attempt = run_retrain_attempt(
        registry,
        inputs,
        workspace.config,
        trigger=trigger,
        workspace_root=workspace.root,
        progress=timer,
    )
    ended = time.perf_counter()
    return ended - started, timer.durations(ended), attempt


def main(argv: list[str]) -> int:
    options = _arguments(argv)
    # the case study's first 181 days: its shifts start on day 540, so they are off here
    config = preset(
        "case-study",
        days=DAYS,
        per_day=options.per_day,
        segment_shift=None,
        fraud_adaptation=None,
    )
    with tempfile.TemporaryDirectory() as folder:
        root = _workspace(Path(folder), options.threads)
        with Workspace.open(root) as workspace:
            started = time.perf_counter()
            key = simulation_key(config)
            for part, chunk in enumerate(simulate_chunks(config, chunk_days=30)):
                load_into_event_store(chunk, workspace.events, key, part)
            print(
                f"simulated and loaded {DAYS} days x {options.per_day:,} a day "
                f"in {time.perf_counter() - started:.1f} s (not timed below)"
            )
            seconds, _, first = _attempt(workspace, "benchmark: first version")
            print(f"first attempt (champion, no gate): {seconds:.2f} s; {first.reason}")
            runs = [_attempt(workspace, "benchmark: retrain") for _ in range(options.repeats)]
    runs.sort(key=lambda run: run[0])
    seconds, steps, attempt = runs[len(runs) // 2]
    print(
        f"one retraining attempt (with the gate), median of {options.repeats}: "
        f"{statistics.median(run[0] for run in runs):.2f} s "
        f"(all: {', '.join(f'{run[0]:.2f}' for run in runs)})"
    )
    for name, duration in steps.items():
        print(f"  {name:<36} {duration:6.2f} s")
    print(f"accepted={attempt.accepted}: {attempt.reason}")
    holdout = attempt.evidence.get("holdout_rows")
    print(
        f"holdout rows: {holdout}; LightGBM threads: {options.threads}; "
        f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
