"""``watchkeeper features fit | compute | check-parity`` as use cases on event files.

The spec is the workspace's ``features:`` section, fitted on the input, or a fitted spec file
(what a model version is served with). Each use case reads the events, runs one engine (the
Polars or Spark batch engine, or the online engine replayed event by event) and returns what
it computed; the CLI only parses options, shows progress and renders.

>>> feature_policy("quarantine")
'quarantine'
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    import polars as pl

    from watchkeeper.config import ComputeConfig
    from watchkeeper.features import BatchResult, FeatureSpec, FittedFeatureSpec

Policy = Literal["fail", "quarantine"]
Mode = Literal["batch", "online"]
Status = Callable[[str], AbstractContextManager[None]]
"""Shows a message while a step runs (a spinner on the terminal; nothing by default)."""
Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]
"""Opens a progress display for a total; what it yields is told how many more are done."""


def _quiet(_message: str) -> AbstractContextManager[None]:
    return nullcontext()


def feature_policy(text: str) -> Policy:
    """The policy for rows that break the schema, from ``--invalid``'s text."""
    if text == "fail":
        return "fail"
    if text == "quarantine":
        return "quarantine"
    raise ConfigError(f"--invalid: {text!r} is not a policy; choose fail or quarantine")


def feature_mode(text: str) -> Mode:
    """The engine mode, from ``--mode``'s text."""
    if text == "batch":
        return "batch"
    if text == "online":
        return "online"
    raise ConfigError(f"--mode: {text!r} is not a mode; choose batch or online")


def workspace_spec(root: Path) -> FeatureSpec:
    """The feature spec of the workspace at ``root`` (not yet fitted)."""
    from watchkeeper.features import FeatureSpec
    from watchkeeper.workspace import Workspace

    with Workspace.open(root) as workspace:
        return FeatureSpec.from_workspace_config(workspace.config)


def fit_file(root: Path, input_path: Path, policy: Policy) -> FittedFeatureSpec:
    """The workspace's spec fitted on the events of ``input_path`` (Parquet or CSV)."""
    return _fitted_on_input(root, input_path, policy)[0]


def fitted_and_events(
    root: Path, spec_path: Path | None, input_path: Path
) -> tuple[FittedFeatureSpec, pl.DataFrame]:
    """The fitted spec (``spec_path``'s, else the workspace's fitted on the input) and the
    input's events read against it."""
    from watchkeeper.features import FittedFeatureSpec
    from watchkeeper.features.input_files import read_events

    if spec_path is None:
        return _fitted_on_input(root, input_path, "quarantine")
    fitted = FittedFeatureSpec.load(spec_path)
    return fitted, read_events(input_path, fitted.spec)


def _fitted_on_input(
    root: Path, input_path: Path, policy: Policy
) -> tuple[FittedFeatureSpec, pl.DataFrame]:
    from watchkeeper.features import fit
    from watchkeeper.features.input_files import read_events

    spec = workspace_spec(root)
    frame = read_events(input_path, spec)
    return fit(spec, frame, policy), frame


def compute_features(
    fitted: FittedFeatureSpec,
    frame: pl.DataFrame,
    *,
    mode: Mode,
    compute: ComputeConfig,
    policy: Policy,
    status: Status = _quiet,
    progress: Progress | None = None,
) -> BatchResult:
    """Every feature of every event of ``frame``: with the batch engine of ``compute``
    (Polars or Spark) or, in ``online`` mode, the online engine replayed event by event,
    reporting to ``progress(total)``'s callback when given."""
    from watchkeeper.features import BatchFeatureEngine, OnlineFeatureEngine, replay_online

    if mode == "online" and compute.engine == "spark":
        raise ConfigError("--engine spark computes in batch; drop --mode online")
    if mode == "batch" and compute.engine == "spark":
        return _compute_on_spark(compute, fitted, frame, policy, status)
    if mode == "batch":
        with status(f"computing {len(fitted.output_columns)} features of {frame.height:,} events"):
            return BatchFeatureEngine(fitted).compute(frame, policy)
    engine = OnlineFeatureEngine(fitted)
    if progress is None:
        return replay_online(engine, frame, policy)
    with progress(frame.height) as advance:
        return replay_online(engine, frame, policy, progress=advance)


def _compute_on_spark(
    compute: ComputeConfig,
    fitted: FittedFeatureSpec,
    frame: pl.DataFrame,
    policy: Policy,
    status: Status,
) -> BatchResult:
    from watchkeeper.compute.spark_session import spark_session
    from watchkeeper.features.spark_engine import SparkFeatureEngine

    with status(f"starting Spark ({compute.spark.master})"):
        session = spark_session(compute.spark)
    with status(
        f"computing {len(fitted.output_columns)} features of {frame.height:,} events on Spark"
    ):
        return SparkFeatureEngine(fitted, session).compute(frame, policy)


__all__ = [
    "compute_features",
    "feature_mode",
    "feature_policy",
    "fit_file",
    "fitted_and_events",
    "workspace_spec",
]
