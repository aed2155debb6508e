"""The demo on many seeds: does the loop catch the shift and recover on every one?

Runs ``watchkeeper demo --json`` once per seed (each in a fresh process, ``--jobs`` at once)
and prints per seed: the detection delay (days from the shift to the first drift alert), the
drift or score alerts of any severity before the shift (false alarms), the retraining
attempts, promotions and rollbacks, the fraud loss from the shift to the end with and without
watchkeeper and their ratio, and the weeks from the shift until the watched run's weekly
fraud loss is back to at most 1.5x its pre-shift mean and stays there, the level it holds
after that target's 12 weeks (its mean weekly loss from then to the end over the pre-shift
mean), how many stable weeks before the shift lie above that same line (the recovery rule
applied where nothing changed: weekly loss is noisy, so this is rarely 0), and the business
value from the shift on with and without (net of reviews and false declines). Then the median
and the worst of each column over the seeds.

    .venv/bin/python benchmarks/demo_seeds.py --seeds 1-10            # the case study, 10 seeds
    .venv/bin/python benchmarks/demo_seeds.py --seeds 1-2 --quick     # scale 0.5, a smoke run

The agent ticks every day of event time (``--tick-days 1``), as a deployed agent would at
least (``watchkeeper run`` ticks hourly by default): the demo's own default of three days is
for speed, and an alert it raises waits for the next tick, up to two more days.

Targets (the case-study preset, default settings): first drift alert <= 7 days after the
shift; 0 drift or score alerts before it; at least one promotion after it; post-shift fraud
loss with watchkeeper <= 60% of the frozen run's; weekly loss back to <= 1.5x its pre-shift
mean within 12 weeks (median over seeds).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

DRIFT_METRICS = ("psi", "score_psi", "domain_auc")
RECOVERY_FACTOR = 1.5
RECOVERY_WEEKS = 12
LOSS_RATIO_TARGET = 0.6


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``1-10`` or ``1,4,7`` (or both: ``1-3,9``).

    >>> parse_seeds("1-3,9")
    [1, 2, 3, 9]
    """
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


def thread_limits(jobs: int, cores: int | None = None) -> dict[str, str]:
    """Thread pools for each of ``jobs`` demo processes at once: the machine's cores shared
    out (Polars' pool, and Arrow's, which reads ``OMP_NUM_THREADS``; LightGBM's fits name
    their own count), unless the environment already sets them. Each process then keeps to
    its share instead of waking threads the others need; the results are the same.

    >>> thread_limits(2, cores=2)["POLARS_MAX_THREADS"]
    '1'
    """
    share = str(max(1, (cores or os.cpu_count() or 1) // max(1, jobs)))
    names = ("POLARS_MAX_THREADS", "OMP_NUM_THREADS")
    return {name: share for name in names if name not in os.environ}


def run_seed(seed: int, arguments: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """One demo run in a fresh process; its summary document."""
    command = [
        str(Path(sys.executable).with_name("watchkeeper")), "demo", "--json", "--seed", str(seed),
        "--scale", str(arguments.scale), "--out", str(folder / f"seed-{seed}"),
        "--tick-days", str(arguments.tick_days),
    ]  # fmt: skip
    started = time.perf_counter()
    environment = {**os.environ, **thread_limits(arguments.jobs)}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        raise SystemExit(f"seed {seed}: demo failed ({done.returncode}): {done.stderr[-2000:]}")
    summary: dict[str, Any] = json.loads(done.stdout)
    summary["wall_s"] = time.perf_counter() - started
    return summary


def seed_row(summary: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's figures for one summary."""
    shift = date.fromisoformat(summary["shift_date"])
    false_alerts = sum(
        1
        for alert in summary["alerts"]
        if alert["metric"] in DRIFT_METRICS and date.fromisoformat(alert["date"]) < shift
    )
    without = _post_shift_loss(summary["without"]["weekly"], shift)
    with_ = _post_shift_loss(summary["with"]["weekly"], shift)
    return {
        "seed": summary["seed"],
        "delay_days": summary["detection_delay_days"],
        "false_alerts": false_alerts,
        "attempts": len(summary["retrain_attempts"]),
        "promotions": len(summary["promotions"]),
        "rollbacks": len(summary["rollbacks"]),
        "loss_without": without,
        "loss_with": with_,
        "loss_ratio": with_ / without if without > 0 else float("nan"),
        "value_without": _post_shift_loss(summary["without"]["weekly"], shift, "business_value"),
        "value_with": _post_shift_loss(summary["with"]["weekly"], shift, "business_value"),
        "weeks_to_recovery": weeks_to_recovery(summary["with"]["weekly"], shift),
        "level_after": level_after(summary["with"]["weekly"], shift),
        "stable_over": stable_weeks_over(summary["without"]["weekly"], shift),
        "wall_s": summary["wall_s"],
    }


def _post_shift_loss(
    weekly: list[dict[str, Any]], shift: date, measure: str = "fraud_loss"
) -> float:
    """A weekly measure summed over the weeks from the shift's on (fraud loss by default; the
    business value also counts reviews and false declines: a model that flags more loses
    less to fraud and pays for it there)."""
    return sum(week[measure] for week in weekly if date.fromisoformat(week["week"]) >= shift)


def _full_weeks(weekly: list[dict[str, Any]], shift: date) -> tuple[list[float], list[float]]:
    """Weekly fraud loss before and from the shift's week, partial first and last weeks left
    out."""
    full = weekly[1:-1]
    before = [week["fraud_loss"] for week in full if date.fromisoformat(week["week"]) < shift]
    after = [week["fraud_loss"] for week in full if date.fromisoformat(week["week"]) >= shift]
    return before, after


def _recovery_line(before: list[float]) -> float:
    """The recovery target's line: 1.5x the mean weekly loss before the shift."""
    return RECOVERY_FACTOR * statistics.fmean(before)


def weeks_to_recovery(weekly: list[dict[str, Any]], shift: date) -> int | None:
    """Weeks from the shift's week until weekly fraud loss is at most 1.5x the mean of the
    weeks before the shift and stays there to the end; None if it never does. Partial first
    and last weeks are left out.

    >>> from datetime import timedelta
    >>> losses = [50, 100, 100, 500, 400, 120, 90, 0]  # weekly, the shift in the fourth week
    >>> weekly = [{"week": (date(2026, 5, 4) + timedelta(weeks=i)).isoformat(),
    ...            "fraud_loss": loss} for i, loss in enumerate(losses)]
    >>> weeks_to_recovery(weekly, shift=date(2026, 5, 25))
    2
    """
    before, after = _full_weeks(weekly, shift)
    if not before or not after:
        return None
    limit = _recovery_line(before)
    for index in range(len(after)):
        if all(loss <= limit for loss in after[index:]):
            return index
    return None


def stable_weeks_over(weekly: list[dict[str, Any]], shift: date) -> int:
    """How many full weeks *before* the shift lie above the recovery line (1.5x their own
    mean): the recovery rule applied where nothing changed. Weekly fraud loss is a sum of a
    few dozen missed frauds of random amounts, so stable weeks cross the line too, and a run
    must keep every week after its recovery under it: a rule the stable months fail.

    >>> weekly = [{"week": f"2026-05-{day:02d}", "fraud_loss": loss}
    ...           for day, loss in ((4, 0), (11, 100), (18, 300), (25, 50), (31, 0))]
    >>> stable_weeks_over(weekly, shift=date(2026, 5, 31))  # mean 150, line 225
    1
    """
    before, _ = _full_weeks(weekly, shift)
    if not before:
        return 0
    limit = _recovery_line(before)
    return sum(1 for loss in before if loss > limit)


def level_after(weekly: list[dict[str, Any]], shift: date, weeks: int = RECOVERY_WEEKS) -> float:
    """Mean weekly fraud loss from ``weeks`` after the shift's week to the end, as a multiple
    of the pre-shift mean: the level a run holds once the recovery time is over (the target's
    line is 1.5). NaN when either stretch is empty or the pre-shift mean is 0.

    >>> weekly = [{"week": f"2026-05-{day:02d}", "fraud_loss": loss}
    ...           for day, loss in ((4, 0), (11, 100), (18, 900), (25, 150), (31, 0))]
    >>> level_after(weekly, shift=date(2026, 5, 18), weeks=1)
    1.5
    """
    before, after = _full_weeks(weekly, shift)
    late = after[weeks:]
    baseline = statistics.fmean(before) if before else 0.0
    if not late or baseline == 0:
        return float("nan")
    return statistics.fmean(late) / baseline


def _print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'seed':>4} {'delay d':>7} {'false':>5} {'attempts':>8} {'promoted':>8} "
        f"{'rolled back':>11} {'loss without':>13} {'loss with':>11} {'ratio':>6} "
        f"{'weeks to recover':>16} {'level':>5} {'stable over':>11} "
        f"{'value without':>13} {'value with':>11} {'wall s':>7}"
    )
    print(header)
    for row in rows:
        print(_line(row))
    numeric = [key for key in rows[0] if key != "seed"]
    median = {"seed": "med"} | {key: _median([row[key] for row in rows]) for key in numeric}
    worst = {"seed": "worst"} | {key: _worst(key, [row[key] for row in rows]) for key in numeric}
    print(_line(median))
    print(_line(worst))


def _median(values: list[Any]) -> Any:
    """The median, "never" (None) counted as the worst value: None when half or more are.

    >>> _median([31, 36, None, None, None]), _median([2, None, 4])
    (None, 4)
    """
    if not values:
        return None
    known = sorted(value for value in values if value is not None)
    ranked = known + [math.inf] * (len(values) - len(known))
    middle = statistics.median(ranked)
    return None if middle == math.inf else middle


def _worst(key: str, values: list[Any]) -> Any:
    if any(value is None for value in values):
        return None  # never detected / never recovered: the worst there is
    best_is_high = key in ("promotions", "loss_without", "value_with")
    return min(values) if best_is_high else max(values)


def _line(row: dict[str, Any]) -> str:
    def show(value: Any, width: int, digits: int = 0) -> str:
        if value is None:
            return f"{'never':>{width}}"
        if isinstance(value, str):
            return f"{value:>{width}}"
        return f"{value:>{width},.{digits}f}"

    return (
        f"{show(row['seed'], 4)} {show(row['delay_days'], 7)} {show(row['false_alerts'], 5)} "
        f"{show(row['attempts'], 8)} {show(row['promotions'], 8)} {show(row['rollbacks'], 11)} "
        f"{show(row['loss_without'], 13)} {show(row['loss_with'], 11)} "
        f"{show(row['loss_ratio'], 6, 2)} {show(row['weeks_to_recovery'], 16)} "
        f"{show(row['level_after'], 5, 2)} {show(row['stable_over'], 11)} "
        f"{show(row['value_without'], 13)} {show(row['value_with'], 11)} {show(row['wall_s'], 7)}"
    )


def _targets(rows: list[dict[str, Any]]) -> list[str]:
    """The targets each seed misses, in words."""
    missed = []
    for row in rows:
        seed = row["seed"]
        if row["delay_days"] is None or row["delay_days"] > 7:
            missed.append(f"seed {seed}: detection delay {row['delay_days']} days (target <= 7)")
        if row["false_alerts"]:
            missed.append(f"seed {seed}: {row['false_alerts']} alerts before the shift")
        if row["promotions"] < 1:
            missed.append(f"seed {seed}: no promotion")
        if not row["loss_ratio"] <= LOSS_RATIO_TARGET:
            missed.append(f"seed {seed}: loss ratio {row['loss_ratio']:.2f} (target <= 0.60)")
    recovery = _median([row["weeks_to_recovery"] for row in rows])
    if recovery is None or recovery > RECOVERY_WEEKS:
        missed.append(f"median weeks to recovery {recovery} (target <= {RECOVERY_WEEKS})")
    return missed


def main(argv: list[str] | None = None) -> int:
    """Run the seeds, print the table and the targets missed; exit 1 if any is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-10", help="e.g. 1-10 or 3,5,8")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true", help="scale 0.5: a smoke run")
    parser.add_argument("--out", type=Path, default=None, help="keep the demo folders here")
    parser.add_argument(
        "--tick-days",
        type=int,
        default=1,
        help="days between the agent's ticks (1: as a daily or hourly agent; the demo's own "
        "default, 3, is for speed and delays every alert to the next tick)",
    )
    arguments = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if arguments.quick:
        arguments.scale = 0.5
    seeds = parse_seeds(arguments.seeds)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        folder = arguments.out or Path(scratch)
        with ThreadPoolExecutor(max_workers=max(1, arguments.jobs)) as pool:
            summaries = list(pool.map(lambda seed: run_seed(seed, arguments, folder), seeds))
    rows = [seed_row(summary) for summary in summaries]
    _print_table(rows)
    print(
        f"{len(seeds)} seeds in {time.perf_counter() - started:,.0f} s ({arguments.jobs} at once)"
    )
    missed = _targets(rows)
    for line in missed:
        print(f"missed: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
