"""``--engine``: which engine computes in batch, polars (the default) or spark.

Shared by the commands that compute in batch. The workspace's ``compute`` section gives the
default and the Spark settings; nothing here imports Polars or PySpark.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    from watchkeeper.config import ComputeConfig

EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Batch engine: polars or spark (default: the workspace's compute.engine, else polars).",
    ),
]


def compute_config(root: Path | None, engine: str | None) -> ComputeConfig:
    """The workspace's ``compute`` section (defaults without a workspace), ``--engine`` first.

    >>> compute_config(None, "spark").engine
    'spark'
    """
    from watchkeeper.config import CONFIG_FILE_NAME, ComputeConfig, load_config

    if engine is not None and engine not in ("polars", "spark"):
        raise ConfigError(f"--engine: {engine!r} is not an engine; choose polars or spark")
    if root is not None and (root / CONFIG_FILE_NAME).is_file():
        config = load_config(root / CONFIG_FILE_NAME).compute
    else:  # no workspace (--spec, or drift on two files): the defaults
        config = ComputeConfig()
    return config if engine is None else config.model_copy(update={"engine": engine})


__all__ = ["EngineOption", "compute_config"]
