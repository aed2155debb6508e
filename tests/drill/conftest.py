"""A workspace for drills: a champion registered with its fitted feature spec, reference
profile and calibrator, and 51 days of logged predictions whose raw inputs are whole events.

Like ``MonitoredTraffic`` (tests/conftest.py), but the drill recomputes features from raw
inputs through the champion's fitted spec, so the logged ``raw_input`` holds every field of
the example workspace's schema. The reference is the champion's scores and features on days
30-36 (a full 30-day history behind them); the drill copies the last 14 days (37-50). The
service refused 7 events on the last day (the ``rejections`` table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from watchkeeper.config import MonitoringConfig
from watchkeeper.features.batch_engine import compute_batch
from watchkeeper.features.fit import fit
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.training.reference_profile import reference_profile
from watchkeeper.training.trainers import train_lightgbm
from watchkeeper.workspace import Workspace

START = datetime(2026, 5, 1, tzinfo=UTC)
DAYS = 51
PER_DAY = 800
REFERENCE_DAYS = (30, 37)
LOGGED_REJECTIONS = 7
"""Events the service refused on the last day (5 missing a field, 2 too large)."""
CATEGORIES = ("grocery", "fuel", "travel", "games", "retail")
COUNTRIES = ("US", "GB", "FR", "DE")


def card_events(days: int = DAYS, per_day: int = PER_DAY, seed: int = 11) -> pl.DataFrame:
    """Card events in the example workspace's schema, in time order, with a fraud label."""
    rng = np.random.default_rng(seed)
    rows = days * per_day
    seconds = np.sort(rng.integers(0, days * 86_400, size=rows))
    cards = rng.integers(0, 400, size=rows)
    device = np.where(rng.random(rows) < 0.05, rng.integers(0, 2_000, rows), cards)
    log_amount = rng.normal(3.3, 1.0, rows)
    online = rng.random(rows) < 0.4
    hour = (seconds % 86_400) // 3_600
    logit = -4.5 + 1.1 * (log_amount - 3.3) + 0.9 * online + 1.0 * (hour < 5)
    fraud = rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))
    return pl.DataFrame(
        {
            "event_id": [f"e{index}" for index in range(rows)],
            "ts": [START + timedelta(seconds=int(value)) for value in seconds],
            "card_id": [f"c{value}" for value in cards],
            "merchant_id": [f"m{value}" for value in rng.integers(0, 60, size=rows)],
            "merchant_category": rng.choice(CATEGORIES, size=rows),
            "amount": np.round(np.exp(log_amount), 2),
            "country": rng.choice(COUNTRIES, size=rows, p=[0.7, 0.1, 0.1, 0.1]),
            "channel": np.where(online, "online", "card_present"),
            "device_id": [f"d{value}" for value in device],
            "is_fraud": fraud,
        }
    )


@dataclass(frozen=True)
class DrillWorkspace:
    """A workspace whose champion can be drilled, and what it was built from."""

    root: Path
    events: pl.DataFrame
    threshold: float


def build_workspace(root: Path, *, log_predictions: bool = True) -> DrillWorkspace:
    """Train, register and promote a champion; log every day's predictions (optionally)."""
    created = Workspace.create(root, "fraud")
    events = card_events()
    with Workspace.open(created) as workspace:
        config = workspace.config
        spec = FeatureSpec.from_workspace_config(config)
        raw = events.drop("is_fraud")
        fitted = fit(spec, raw.filter(pl.col("ts") < START + timedelta(days=REFERENCE_DAYS[0])))
        features = compute_batch(fitted, raw).features.drop("event_id")
        labels = events["is_fraud"].to_numpy().astype(np.int8)
        model = train_lightgbm(
            features, labels, sample_weight=None,
            parameters={"n_estimators": 30, "num_threads": 1, "verbose": -1}, seed=0,
        )  # fmt: skip
        scores = model.predict_scores(features)
        day = ((events["ts"] - START).dt.total_seconds() // 86_400).to_numpy()
        holdout = (day >= REFERENCE_DAYS[0]) & (day < REFERENCE_DAYS[1])
        threshold = float(np.quantile(scores[holdout], 0.95))
        categorical = [item.name for item in spec.transforms if item.op == "encode"]
        profile = reference_profile(
            features.filter(pl.Series(holdout)), scores[holdout], MonitoringConfig(),
            categorical=categorical,
        )  # fmt: skip
        registry = ModelRegistry.for_workspace(workspace)
        registered = registry.register(
            model,
            feature_schema=features.schema,
            threshold=threshold,
            calibrator=ScoreCalibrator.fit(scores[holdout], labels[holdout].astype(bool)),
            feature_spec=fitted.to_json().encode("utf-8"),
            reference_profile_sha256=workspace.artifacts.put_bytes(profile.to_bytes()).sha256,
        )
        registry.set_status(registered.version, CHAMPION, reason="drill fixture")
        if log_predictions:
            served = pl.concat([raw, features], how="horizontal")
            predictions = served.select(
                "event_id",
                "ts",
                entity=pl.col("card_id"),
                model_version=pl.lit(registered.version, dtype=pl.Int64),
                route=pl.lit("champion"),
                score=pl.Series(scores),
                decision=pl.Series(scores >= threshold),
                latency_ms=pl.lit(1.0),
                raw_input=pl.struct(
                    pl.col("ts").dt.to_string("%Y-%m-%dT%H:%M:%SZ"),
                    *[name for name in raw.columns if name != "ts"],
                ).struct.json_encode(),
                features=pl.struct(features.columns).struct.json_encode(),
            )
            workspace.events.write_bulk("predictions", predictions, load_id="drill-fixture")
            last_day = START + timedelta(days=DAYS - 1, hours=12)
            refused = pl.DataFrame(
                {
                    "rejection_id": [f"r{index}" for index in range(LOGGED_REJECTIONS)],
                    "ts": [last_day] * LOGGED_REJECTIONS,
                    "reason": ["missing_field"] * 5 + ["too_large"] * 2,
                    "source": ["score"] * LOGGED_REJECTIONS,
                }
            )
            workspace.events.write_bulk("rejections", refused, load_id="drill-rejections")
    return DrillWorkspace(created, events, threshold)


@pytest.fixture(scope="session")
def drill_workspace(tmp_path_factory: pytest.TempPathFactory) -> DrillWorkspace:
    """One drillable workspace for the session: a drill only reads it."""
    return build_workspace(tmp_path_factory.mktemp("drill") / "ws")
