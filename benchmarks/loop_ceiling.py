"""How well could any retraining loop do on the case study? The ceiling, with the truth.

For each seed, the demo's stream (``watchkeeper demo``'s case study, same seed and scale) is
replayed with models that cheat: from the shift on, a model is retrained every ``--every``
days on the *true* labels of the last 90 days (LightGBM with the fraud example's parameters,
recency half-life and negative sampling, flagging the top 1% as the example does), the labels known at once or
``--delays`` days late. Before the shift every run uses the first model, trained on the true
labels of the 90 days before launch. Printed per seed and run: the post-shift fraud loss against the frozen
first model's (the ratio ``benchmarks/demo_seeds.py`` reports for the loop) and the weeks
until weekly fraud loss is back to 1.5x its pre-shift mean and stays there (the same rule),
the level held from 12 weeks after the shift and the stable weeks above the line (the same
columns as ``demo_seeds.py``).

No loop that learns from chargebacks can beat the ceiling with immediate labels; the one with
labels 30 days late is closer to what a loop can reach (a chargeback takes 30 days at the
median). If even the ceiling never gets back to 1.5x the pre-shift loss, that target is out
of reach in this world: the adapted fraud is harder to catch than the old, whatever the model.

    .venv/bin/python benchmarks/loop_ceiling.py --seeds 1-3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config.loading import load_config
from watchkeeper.demo.replay import BASE_PER_DAY, DemoSettings
from watchkeeper.demo.stream import DemoStream
from watchkeeper.features.batch_engine import compute_batch
from watchkeeper.features.fit import fit
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.training.negative_sample import NegativeSample

sys.path.insert(0, str(Path(__file__).parent))
from demo_seeds import level_after, parse_seeds, stable_weeks_over, weeks_to_recovery

WINDOW = timedelta(days=90)
FLAG_RATE = 0.01


class Replay:
    """One seed's stream, its features and truth, and the first model's weekly loss."""

    def __init__(self, seed: int, scale: float) -> None:
        settings = DemoSettings(seed=seed, scale=scale)
        config = load_config(str(files("watchkeeper.examples") / "fraud.yaml"))
        self.parameters = dict(config.training.parameters)
        half_life = config.training.recency_half_life
        self.half_life_days = None if half_life is None else half_life / timedelta(days=1)
        fraction = config.training.negative_sample
        self.negatives = (
            None if fraction is None else NegativeSample(fraction, config.training.seed)
        )
        spec = FeatureSpec.from_workspace_config(config)
        stream = DemoStream.simulate(seed=seed, per_day=round(BASE_PER_DAY * scale),
                                     days=settings.days)  # fmt: skip
        self.end = stream.end
        self.launch = stream.start + timedelta(days=settings.history_days)
        self.shift = datetime.combine(stream.shift_date, datetime.min.time(), tzinfo=UTC)
        events = stream.transactions.sort("ts")
        fitted = fit(spec, events.filter(pl.col("ts") < self.launch).drop("is_fraud"))
        features = compute_batch(fitted, events.drop("is_fraud")).features
        self.matrix = features.select([t.name for t in spec.transforms]).to_numpy()
        self.labels = events["is_fraud"].to_numpy().astype(np.int8)
        self.amounts = events["amount"].to_numpy()
        self.times = events["ts"]
        self.event_ids = events["event_id"]
        self.weeks = events["ts"].dt.truncate("1w").dt.date()

    def rows(self, start: datetime, end: datetime) -> npt.NDArray[np.bool_]:
        return ((self.times >= start) & (self.times < end)).to_numpy()

    def train(self, end: datetime, span: timedelta = WINDOW) -> tuple[lgb.Booster, float]:
        """A model on the true labels of ``[end - span, end)`` and its top-1% threshold on
        the window's last sixth."""
        rows = self.rows(end - span, end)
        weights = None
        if self.half_life_days is not None:
            age_days = (end - self.times.filter(pl.Series(rows))).dt.total_seconds().to_numpy()
            weights = 0.5 ** (age_days / 86_400 / self.half_life_days)
        matrix, labels = self.matrix[rows], self.labels[rows]
        if self.negatives is not None:  # as the example's trainer: every fraud, some negatives
            kept, factor = self.negatives.choose(labels, self.event_ids.filter(pl.Series(rows)))
            weights = factor if weights is None else weights * factor
            matrix, labels, weights = matrix[kept], labels[kept], weights[kept]
        parameters = {"objective": "binary", "verbose": -1, "num_threads": 2, **self.parameters}
        rounds = int(parameters.pop("n_estimators", 100))
        data = lgb.Dataset(matrix, labels, weight=weights)
        booster = lgb.train(parameters, data, rounds)
        recent = self.matrix[rows][-int(rows.sum()) // 6 :]
        return booster, float(np.quantile(booster.predict(recent), 1 - FLAG_RATE))

    def losses(
        self, model: tuple[lgb.Booster, float], start: datetime, end: datetime
    ) -> pl.DataFrame:
        """Fraud approved by ``model`` in ``[start, end)``, per week (Monday, UTC)."""
        rows = self.rows(start, end)
        booster, threshold = model
        missed = (self.labels[rows] == 1) & (booster.predict(self.matrix[rows]) < threshold)
        return pl.DataFrame({"week": self.weeks.filter(pl.Series(rows)),
                             "fraud_loss": np.where(missed, self.amounts[rows], 0.0)})  # fmt: skip


def weekly(parts: list[pl.DataFrame]) -> list[dict[str, object]]:
    merged = pl.concat(parts).group_by("week").agg(pl.col("fraud_loss").sum()).sort("week")
    return [{"week": row["week"].isoformat(), "fraud_loss": row["fraud_loss"]}
            for row in merged.iter_rows(named=True)]  # fmt: skip


def ceiling_run(
    replay: Replay, first: tuple[lgb.Booster, float], every: int, delay: int
) -> list[dict[str, object]]:
    """Weekly loss: the first model until the shift, then a model retrained every ``every``
    days on the true labels known ``delay`` days late."""
    parts = [replay.losses(first, replay.launch, replay.shift)]
    moment = replay.shift
    while moment < replay.end:
        model = replay.train(moment - timedelta(days=delay))
        following = min(moment + timedelta(days=every), replay.end)
        parts.append(replay.losses(model, moment, following))
        moment = following
    return weekly(parts)


def post_shift(series: list[dict[str, object]], shift: datetime) -> float:
    return sum(float(week["fraud_loss"]) for week in series  # type: ignore[arg-type]
               if str(week["week"]) >= shift.date().isoformat())  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-3")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--every", type=int, default=14, help="days between retrainings")
    parser.add_argument("--delays", default="0,30", help="label delays in days, e.g. 0,30")
    arguments = parser.parse_args(argv)
    delays = [int(value) for value in arguments.delays.split(",")]
    print(
        f"{'seed':>4} {'run':>28} {'post-shift loss':>15} {'ratio':>6} {'weeks to recover':>16} "
        f"{'level':>5} {'stable over':>11} {'s':>5}"
    )
    ratios: dict[int, list[float]] = {delay: [] for delay in delays}
    for seed in parse_seeds(arguments.seeds):
        started = time.perf_counter()
        replay = Replay(seed, arguments.scale)
        first = replay.train(replay.launch)
        frozen = weekly([replay.losses(first, replay.launch, replay.end)])
        frozen_loss = post_shift(frozen, replay.shift)
        shift_day = replay.shift.date()
        print(f"{seed:>4} {'frozen first model':>28} {frozen_loss:>15,.0f} {1:>6.2f} "
              f"{_recovery(frozen, shift_day)} {time.perf_counter() - started:>5.0f}")  # fmt: skip
        for delay in delays:
            series = ceiling_run(replay, first, arguments.every, delay)
            loss = post_shift(series, replay.shift)
            ratios[delay].append(loss / frozen_loss)
            label = f"truth every {arguments.every}d, {delay}d late"
            print(f"{seed:>4} {label:>28} {loss:>15,.0f} {loss / frozen_loss:>6.2f} "
                  f"{_recovery(series, shift_day)} {time.perf_counter() - started:>5.0f}")  # fmt: skip
    for delay, found in ratios.items():
        print(
            f"labels {delay}d late: loss ratio median {statistics.median(found):.2f}, "
            f"worst {max(found):.2f} over {len(found)} seeds"
        )
    return 0


def _recovery(series: list[dict[str, object]], shift_day: date) -> str:
    """The recovery columns of a run: weeks to recovery, level after 12 weeks, stable weeks
    above the line (``demo_seeds.py``'s rule and readings)."""
    weeks = weeks_to_recovery(series, shift_day)
    return (
        f"{'never' if weeks is None else str(weeks):>16} "
        f"{level_after(series, shift_day):>5.2f} {stable_weeks_over(series, shift_day):>11}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
