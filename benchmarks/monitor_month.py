"""A month's profile: merging 30 stored daily profiles against recomputing it from raw rows.

The monitor job stores one profile per day (``WindowProfileStore``); a weekly or monthly
report merges them. This script measures what that saves. Setup (not timed): 30 days of
rows (10 numeric and 3 categorical features plus a score, some missing values), each day
written as a Parquet file and profiled once with the reference's plan into the artifact store.
Then, timed, the month's profile

* by merge: read the 30 stored daily profiles (verified by sha256) and merge them;
* by rescan: read the 30 Parquet files and profile every row again (what a tool without
  mergeable profiles does).

It prints both wall times (median of 3) and the ratio, and checks the two profiles agree on
every bin count. ``--quick`` uses fewer rows per day, to check the script runs.

    .venv/bin/python benchmarks/monitor_month.py [--per-day 100000] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from watchkeeper.clock import EventTimeClock
from watchkeeper.monitoring.job.window_profile_store import WindowProfileStore
from watchkeeper.monitoring.job.windows import Window
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.profile_builder import ProfileBuilder, build_reference_profile
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind
from watchkeeper.storage.artifacts.folder import FolderArtifactStore
from watchkeeper.storage.metadata.store import open_metadata_store

DAYS = 30
REPEATS = 3
START = datetime(2026, 6, 1, tzinfo=UTC)
NUMERIC = [f"numeric_{index}" for index in range(10)]
CATEGORICAL = [f"category_{index}" for index in range(3)]


def day_frame(rng: np.random.Generator, rows: int) -> pl.DataFrame:
    """One day of served features and scores."""
    columns: dict[str, object] = {}
    for index, name in enumerate(NUMERIC):
        values = rng.lognormal(index * 0.1, 1.0, rows)
        values[rng.random(rows) < 0.01] = np.nan
        columns[name] = values
    for index, name in enumerate(CATEGORICAL):
        cardinality = 10 ** (index + 1)
        columns[name] = rng.integers(0, cardinality, rows).astype(str)
    columns["score"] = rng.beta(1, 20, rows)
    return pl.DataFrame(columns)


def timed(function: Callable[[], DatasetProfile]) -> tuple[float, DatasetProfile]:
    """Median wall time of ``REPEATS`` calls, and the last result."""
    times, result = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    assert result is not None
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    per_day = 5_000 if options.quick else options.per_day
    rng = np.random.default_rng(0)
    kinds: dict[str, FeatureKind] = dict.fromkeys([*NUMERIC, "score"], "numeric")
    kinds.update(dict.fromkeys(CATEGORICAL, "categorical"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        reference = build_reference_profile(day_frame(rng, per_day), kinds)
        plan = reference.plan()
        metadata = open_metadata_store(f"sqlite:///{root / 'metadata.db'}", EventTimeClock(START))
        store = WindowProfileStore(
            FolderArtifactStore(root / "artifacts"), metadata.window_profiles, "bench"
        )
        windows, files = [], []
        for day in range(DAYS):
            window = Window(START + timedelta(days=day), START + timedelta(days=day + 1))
            frame = day_frame(rng, per_day)
            path = root / f"day-{day:02d}.parquet"
            frame.write_parquet(path)
            store.put(
                1, window, ProfileBuilder(plan).update(frame).profile(window.start, window.end)
            )
            windows.append(window)
            files.append(path)

        def by_merge() -> DatasetProfile:
            return store.merged(1, windows)

        def by_rescan() -> DatasetProfile:
            builder = ProfileBuilder(plan)
            for path in files:
                builder.update(pl.read_parquet(path))
            return builder.profile(windows[0].start, windows[-1].end)

        merge_seconds, merged = timed(by_merge)
        rescan_seconds, rescanned = timed(by_rescan)
        metadata.close()
    for name, profile in rescanned.features.items():
        other = merged.features[name]
        if isinstance(profile, NumericProfile) and isinstance(other, NumericProfile):
            assert profile.counts == other.counts and profile.missing == other.missing, name
    assert merged.rows == rescanned.rows == DAYS * per_day
    print(
        f"month of {DAYS} days x {per_day:,} rows = {DAYS * per_day:,} rows, "
        f"{len(NUMERIC)} numeric + {len(CATEGORICAL)} categorical features + score"
    )
    print(f"merge of 30 stored daily profiles : {merge_seconds:8.3f} s")
    print(f"rescan of the raw rows            : {rescan_seconds:8.3f} s")
    print(f"ratio (rescan / merge)            : {rescan_seconds / merge_seconds:8.1f}x")


if __name__ == "__main__":
    main()
