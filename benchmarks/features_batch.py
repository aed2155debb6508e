"""How fast the batch feature engine computes 8 stateless and 6 windowed features.

Simulates ``--rows`` transactions (default ten million), fits the fraud example's features
(8 stateless, 6 windowed per card over 1h to 30d) and times the batch engine, validation at
the edge included: median of ``--repeats`` runs, rows per second. Beside it, in the same
run, a straightforward pandas implementation (``groupby(card).rolling(window, on=ts)``, with
``rolling.apply`` for the distinct counts) on ``--pandas-rows`` rows (default one million:
pandas' distinct counts are slow), and the watchkeeper engine on those same rows, so the
ratio compares like with like. Floor: one multi-threaded pass hashing every input value.

    .venv/bin/python benchmarks/features_batch.py            # 10M rows; pandas on 1M
    .venv/bin/python benchmarks/features_batch.py --quick    # 200k rows; pandas on 50k

Target: at least one million rows per second on two cores.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import yaml

from watchkeeper.config import parse_config
from watchkeeper.features import BatchFeatureEngine, FeatureSpec, FittedFeatureSpec, fit
from watchkeeper.simulate import preset, simulate
from watchkeeper.workspace import example_text

TARGET_ROWS_PER_SECOND = 1_000_000


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--pandas-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200k rows, pandas on 50k, 1 repeat")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.rows, arguments.pandas_rows, arguments.repeats = 200_000, 50_000, 1
    return arguments


def benchmark_spec() -> FeatureSpec:
    """The fraud example's features without time_since_last: 8 stateless, 6 windowed."""
    config = parse_config(yaml.safe_load(example_text("fraud")))
    spec = FeatureSpec.from_workspace_config(config)
    kept = tuple(feature for feature in spec.transforms if feature.op != "time_since_last")
    return spec.model_copy(update={"transforms": kept})


def traffic(rows: int) -> pl.DataFrame:
    per_day = 20_000
    days = max(1, -(-rows // per_day))
    frame = simulate(preset("stable", days=days, per_day=per_day, seed=11)).transactions
    return frame.head(rows).drop("is_fraud")


def timed(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def pandas_features(frame: Any, fitted: FittedFeatureSpec) -> Any:
    """A straightforward pandas implementation of the same 14 features."""
    import pandas as pd

    data = frame.sort_values(["card_id", "ts"]).reset_index(drop=True)
    out = pd.DataFrame({"event_id": data["event_id"]})
    out["log_amount"] = np.log1p(data["amount"].fillna(0.0))
    local = data["ts"].dt.tz_convert(fitted.spec.timezone)
    out["hour"] = local.dt.hour
    out["weekday"] = local.dt.day_of_week
    out["weekend"] = (local.dt.day_of_week >= 5).astype(int)
    for name, column in (
        ("mcc", "merchant_category"),
        ("country_code", "country"),
        ("online", "channel"),
    ):
        codes = {value: 2 + rank for rank, value in enumerate(fitted.vocabulary(name).values)}
        out[name] = data[column].map(codes).fillna(1).where(data[column].notna(), 0).astype(int)
    out["amount_clipped"] = data["amount"].clip(0, 20000)
    grouped = data.groupby("card_id")

    def rolling(column: str, window: str) -> Any:
        return grouped.rolling(window, on="ts", closed="left")[column]

    out["card_txn_count_1h"] = rolling("amount", "1h").count().to_numpy()
    out["card_txn_count_24h"] = rolling("amount", "24h").count().to_numpy()
    out["card_amount_mean_30d"] = rolling("amount", "30D").mean().to_numpy()
    out["card_amount_max_7d"] = rolling("amount", "7D").max().to_numpy()
    data["merchant_code"] = data["merchant_id"].astype("category").cat.codes.astype(float)
    data["device_code"] = data["device_id"].astype("category").cat.codes.astype(float)
    grouped = data.groupby("card_id")

    def distinct(values: Any) -> float:
        return float(len(np.unique(values[values >= 0])))

    out["card_merchants_1h"] = rolling("merchant_code", "1h").apply(distinct, raw=True).to_numpy()
    out["card_devices_30d"] = rolling("device_code", "30D").apply(distinct, raw=True).to_numpy()
    return out


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    print(f"simulating {arguments.rows:,} transactions ...", flush=True)
    frame = traffic(arguments.rows)
    spec = benchmark_spec()
    fitted = fit(spec, frame.head(1_000_000))
    engine = BatchFeatureEngine(fitted)
    print(
        f"{len(spec.stateless_features)} stateless + {len(spec.windowed_features)} windowed features; "
        f"{pl.thread_pool_size()} Polars threads",
        flush=True,
    )

    floor, _ = timed(lambda: frame.select(pl.all().hash().sum()), arguments.repeats)
    seconds, result = timed(lambda: engine.compute(frame), arguments.repeats)
    assert result.features.height == frame.height
    rate = frame.height / seconds
    print(
        f"watchkeeper batch, {frame.height:,} rows: median {seconds:.2f} s, {rate:,.0f} rows/s "
        f"(target >= {TARGET_ROWS_PER_SECOND:,}: {'met' if rate >= TARGET_ROWS_PER_SECOND else 'MISSED'}); "
        f"floor (one pass over every value) {floor:.2f} s",
        flush=True,
    )

    small = frame.head(arguments.pandas_rows)
    ours, _ = timed(lambda: engine.compute(small), arguments.repeats)
    as_pandas = small.to_pandas()
    theirs, _ = timed(lambda: pandas_features(as_pandas, fitted), arguments.repeats)
    print(
        f"on {small.height:,} rows: watchkeeper {ours:.2f} s ({small.height / ours:,.0f} rows/s), "
        f"pandas groupby-rolling {theirs:.2f} s ({small.height / theirs:,.0f} rows/s); "
        f"watchkeeper is {theirs / ours:.1f}x faster",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
