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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from watchkeeper.errors import ConfigError, FeatureError

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
INPUT_ORDER = "__wk_input_order"
"""The column of a file's row order, read on Spark (ties of equal timestamps)."""


@dataclass(frozen=True)
class WrittenFeatures:
    """What :func:`compute_file` wrote: rows and feature columns, and the rows the
    validation rejected (on the driver, to be written beside)."""

    rows: int
    columns: int
    rejected: pl.DataFrame


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


def is_folder_output(out: Path) -> bool:
    """An output without a suffix is a folder of Parquet files, written by the executors.

    >>> is_folder_output(Path("features")), is_folder_output(Path("features.parquet"))
    (True, False)
    """
    return out.suffix == ""


def check_output(out: Path, compute: ComputeConfig, mode: Mode) -> None:
    """Refuse, before any work, an output the chosen engine cannot write: a file that is
    neither Parquet nor CSV, a folder without the Spark engine, a folder that exists."""
    from watchkeeper.features.input_files import check_output_suffix

    if not is_folder_output(out):
        check_output_suffix(out)
    elif compute.engine != "spark" or mode != "batch":
        raise FeatureError(
            f"{out}: a folder of Parquet files is written by --engine spark (batch); "
            "give a .parquet or .csv file"
        )
    elif out.exists():
        raise FeatureError(f"{out}: exists; remove it or name a new folder for the features")


def compute_file(
    root: Path,
    spec_path: Path | None,
    input_path: Path,
    out: Path,
    *,
    mode: Mode,
    compute: ComputeConfig,
    policy: Policy,
    status: Status = _quiet,
    progress: Progress | None = None,
) -> tuple[FittedFeatureSpec, WrittenFeatures]:
    """``watchkeeper features compute``: the features of the events of ``input_path`` written
    to ``out``, by the Spark engine reading the file on the executors
    (:func:`compute_file_on_spark`), or read here and computed by :func:`compute_features`.
    An output the engine cannot write is refused first (:func:`check_output`)."""
    from watchkeeper.features.input_files import write_features

    if mode == "batch" and compute.engine == "spark":
        return compute_file_on_spark(
            root, spec_path, input_path, out, compute=compute, policy=policy, status=status
        )
    check_output(out, compute, mode)
    fitted, frame = fitted_and_events(root, spec_path, input_path)
    result = compute_features(
        fitted, frame, mode=mode, compute=compute, policy=policy, status=status, progress=progress
    )
    write_features(result.features, out)
    written = WrittenFeatures(result.features.height, result.features.width - 1, result.rejected)
    return fitted, written


def compute_file_on_spark(
    root: Path,
    spec_path: Path | None,
    input_path: Path,
    out: Path,
    *,
    compute: ComputeConfig,
    policy: Policy,
    status: Status = _quiet,
) -> tuple[FittedFeatureSpec, WrittenFeatures]:
    """Every feature of every event of ``input_path``, read and computed by Spark's executors
    (:func:`~watchkeeper.features.input_files.read_events_on_spark`), written to ``out``: a folder
    of Parquet files written by the executors, in the file's row order (nothing passes the
    driver but the rejected rows), or one ``.parquet``/``.csv`` file written by the driver.

    Without ``spec_path`` the workspace's spec is fitted on the input first, which reads it
    on the driver with Polars (fit once with ``watchkeeper features fit`` and pass the fitted
    spec to keep a large file off the driver).
    """
    from watchkeeper.compute.spark_session import spark_session
    from watchkeeper.features import FittedFeatureSpec
    from watchkeeper.features.input_files import read_events_on_spark, write_features
    from watchkeeper.features.spark_engine import SparkFeatureEngine
    from watchkeeper.features.spark_windows import ARRIVAL

    check_output(out, compute, "batch")
    if spec_path is None:
        with status("fitting the workspace's spec on the input (Polars, on this machine)"):
            fitted = _fitted_on_input(root, input_path, "quarantine")[0]
    else:
        fitted = FittedFeatureSpec.load(spec_path)
    with status(f"starting Spark ({compute.spark.master})"):
        session = spark_session(compute.spark)
    engine = SparkFeatureEngine(fitted, session)
    rows = read_events_on_spark(session, input_path, INPUT_ORDER)
    with status(f"computing {len(fitted.output_columns)} features on Spark"):
        valid, rejected = engine.checked_rows(rows, INPUT_ORDER, policy)
        if not is_folder_output(out):
            features = engine.compute_table(valid, INPUT_ORDER)
            write_features(features, out)
            return fitted, WrittenFeatures(features.height, features.width - 1, rejected)
        computed = engine.feature_rows(valid, INPUT_ORDER)
        computed.orderBy(ARRIVAL).drop(ARRIVAL).write.mode("errorifexists").parquet(str(out))
    written = session.read.parquet(str(out))
    return fitted, WrittenFeatures(written.count(), len(written.columns) - 1, rejected)


__all__ = [
    "INPUT_ORDER",
    "WrittenFeatures",
    "check_output",
    "compute_features",
    "compute_file",
    "compute_file_on_spark",
    "feature_mode",
    "feature_policy",
    "fit_file",
    "fitted_and_events",
    "is_folder_output",
    "workspace_spec",
]
