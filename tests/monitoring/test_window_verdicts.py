"""Which drift rows get a verdict: too few events, or a window shorter than a feature's cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from watchkeeper.config import MonitoringConfig
from watchkeeper.monitoring.job.served_predictions import SCORE_COLUMN
from watchkeeper.monitoring.job.window_metrics import WindowKey, profile_rows
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile

DAY = datetime(2026, 6, 1, tzinfo=UTC)
EDGES = tuple(np.linspace(0.1, 0.9, 9))


def profile(rows: int, shift: float, seed: int) -> DatasetProfile:
    generator = np.random.default_rng(seed)
    values = np.clip(generator.beta(2, 5, rows) + shift, 0, 1)
    return DatasetProfile(
        {
            "amount": NumericProfile.from_values(values, EDGES),
            "weekday": NumericProfile.from_values(values, EDGES),
            SCORE_COLUMN: NumericProfile.from_values(values, EDGES),
        },
        rows,
    )


def statuses(current: DatasetProfile, config: MonitoringConfig) -> dict[tuple[str, str], str]:
    key = WindowKey("fraud", 1, DAY, DAY + timedelta(days=1))
    rows = profile_rows(key, profile(20_000, 0.0, 1), current, config, threshold=0.5, flags=10)
    return {(row.metric, row.feature or ""): row.status for row in rows if "psi" in row.metric}


def test_a_shift_on_enough_rows_alerts_but_not_on_a_canary_sized_window() -> None:
    config = MonitoringConfig.model_validate(
        {"min_rows": 500, "per_feature": {"weekday": {"min_window": "7d"}}}
    )
    shifted = statuses(profile(2_000, 0.3, 2), config)
    assert shifted[("psi", "amount")] == "alert" and shifted[("score_psi", "")] == "alert"
    assert shifted[("psi", "weekday")] == "short_window"  # judged on weeks only
    few = statuses(profile(150, 0.3, 3), config)
    assert few[("psi", "amount")] == "few_rows" and few[("score_psi", "")] == "few_rows"
