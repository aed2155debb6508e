"""The public API is exactly what ``watchkeeper.__all__`` lists."""

from __future__ import annotations

import watchkeeper

EXPECTED = {
    "AgentLoop",
    "AnalysisResult",
    "Client",
    "Clock",
    "DemoSettings",
    "EventTimeClock",
    "LocalScorer",
    "ModelRegistry",
    "PredictionLogger",
    "Reference",
    "SimulationConfig",
    "SimulatedTraffic",
    "TrainingRun",
    "WallClock",
    "WatchkeeperError",
    "Workspace",
    "WorkspaceConfig",
    "__version__",
    "build_report",
    "end_canary",
    "evaluate_canary",
    "load_config",
    "retrain",
    "rollout_status",
    "run_demo",
    "run_drill",
    "run_monitor",
    "run_tick",
    "run_training_attempt",
    "simulate",
    "skew_check",
    "start_canary",
    "train",
}


def test_public_names_are_exactly_the_documented_ones() -> None:
    assert set(watchkeeper.__all__) == EXPECTED


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in watchkeeper.__all__:
        value = getattr(watchkeeper, name)
        if name != "__version__":
            assert value.__doc__, f"{name} has no docstring"


def test_version_matches_the_installed_distribution() -> None:
    from importlib.metadata import version

    assert watchkeeper.__version__ == version("watchkeeper")
