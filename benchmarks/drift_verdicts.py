"""How often each drift verdict rule alerts: on identical distributions, and on shifted ones.

Simulated trials: each draws a reference of ``--reference-rows`` rows (default 50,000) of
``--features`` numeric features (default 20; half normal, half lognormal), builds its baseline
once (``watchkeeper drift``'s machinery: bins, exact grids, calibration on 10 chunks), then
compares fresh current samples of 1k, 5k and 20k rows with it: drawn from the same
distributions, and with every feature's mean shifted by 0.1, 0.2 and 0.5 of its standard
deviation. Each current sample is judged by both rules: ``calibrated`` (the default) and
``fixed`` PSI levels (warn 0.1, alert 0.25). Prints, per scenario and size, the share of
feature-trial cells that alert (and that warn or alert), for the normal features, the
lognormal ones (a skewed feature's binned PSI grows faster with a shift of its mean) and all;
and for identical samples the share of windows in which any feature alerts.

    .venv/bin/python benchmarks/drift_verdicts.py                # 20 trials, about a minute
    .venv/bin/python benchmarks/drift_verdicts.py --trials 5     # quicker
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import replace

import numpy as np
import pyarrow as pa

from watchkeeper.config import MonitoringConfig
from watchkeeper.monitoring.comparison.baseline import Baseline, build_baseline, compare_frame

SIZES = (1_000, 5_000, 20_000)
SHIFTS = (0.0, 0.1, 0.2, 0.5)
RULES = ("calibrated", "fixed")
FAMILIES = ("normal", "lognormal", "all")


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20, help="simulated references")
    parser.add_argument("--reference-rows", type=int, default=50_000, help="rows per reference")
    parser.add_argument("--features", type=int, default=20, help="numeric features")
    parser.add_argument("--seed", type=int, default=0, help="first trial's seed")
    return parser.parse_args(argv)


def sample(rng: np.random.Generator, rows: int, features: int, shift: float) -> pa.Table:
    """``rows`` rows of ``features`` columns, each mean moved by ``shift`` of its std."""
    columns = {}
    for index in range(features):
        if index % 2 == 0:
            values = rng.normal(0.0, 1.0, rows) + shift
        else:  # lognormal(0, 0.5): std about 0.53
            spread = float(np.sqrt((np.exp(0.25) - 1) * np.exp(0.25)))
            values = rng.lognormal(0.0, 0.5, rows) + shift * spread
        columns[f"x{index:02d}"] = values
    return pa.table(columns)


def judged_by(baseline: Baseline, rule: str) -> Baseline:
    """The same baseline judging by ``rule``."""
    settings = baseline.monitoring.model_copy(update={"drift_verdict": rule})
    return replace(baseline, monitoring=settings)


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    kinds = {f"x{index:02d}": "numeric" for index in range(arguments.features)}
    counts: dict[tuple[str, str, float, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    windows: dict[tuple[str, int], int] = defaultdict(int)
    started = time.perf_counter()
    for trial in range(arguments.trials):
        rng = np.random.default_rng(arguments.seed + trial)
        reference = sample(rng, arguments.reference_rows, arguments.features, 0.0)
        calibrated = build_baseline(reference, kinds, MonitoringConfig())
        baselines = {rule: judged_by(calibrated, rule) for rule in RULES}
        for size in SIZES:
            for shift in SHIFTS:
                current = sample(rng, size, arguments.features, shift)
                compared = compare_frame(calibrated, current)
                for rule, baseline in baselines.items():
                    drift = replace(compared, baseline=baseline).drift()
                    for index, item in enumerate(drift):
                        for family in (FAMILIES[index % 2], "all"):
                            cell = counts[(rule, family, shift, size)]
                            cell[0] += item.verdict == "alert"
                            cell[1] += item.verdict != "ok"
                            cell[2] += 1
                    if shift == 0.0:
                        windows[(rule, size)] += any(item.verdict == "alert" for item in drift)
    elapsed = time.perf_counter() - started
    print(
        f"{arguments.trials} trials, reference {arguments.reference_rows:,} rows x "
        f"{arguments.features} features, {elapsed:.1f} s"
    )
    for family in FAMILIES:
        print(
            f"\n{family} features: alerting cells, calibrated / fixed PSI "
            "(warn or alert in brackets)"
        )
        print(f"{'scenario':<12}" + "".join(f"{f'current {size:,}':>36}" for size in SIZES))
        for shift in SHIFTS:
            name = "identical" if shift == 0 else f"+{shift:g} sd"
            cells = []
            for size in SIZES:
                parts = []
                for rule in RULES:
                    alerts, flagged, total = counts[(rule, family, shift, size)]
                    parts.append(f"{alerts / total:.1%} ({flagged / total:.1%})")
                cells.append(" / ".join(parts))
            print(f"{name:<12}" + "".join(f"{cell:>36}" for cell in cells))
    print("\nwindows with any feature alerting on identical samples, calibrated / fixed:")
    for size in SIZES:
        rates = [windows[(rule, size)] / arguments.trials for rule in RULES]
        print(f"  current {size:>6,}: {rates[0]:.1%} / {rates[1]:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
