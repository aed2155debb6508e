"""The lineage of a version made by a retraining attempt, for any task.

:func:`attempt_lineage` records the data window (table versions, bounds, the frame's content
hash), each slice's rows with its positives (binary: with its provisional rows, provisional
positives and weighted positives, and the label-delay estimate behind them) or rows per
class (multiclass), the
code and environment, the trainer and its parameters, the decision (a binary threshold, a
multiclass rule, nothing for regression), the holdout metrics, the parent version and the
trigger.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.config import WorkspaceConfig
from watchkeeper.registry.lineage import DataLineage, Lineage
from watchkeeper.registry.lineage_capture import (
    code_lineage,
    environment_lineage,
    frame_content_hash,
)
from watchkeeper.registry.registry import LoadedVersion
from watchkeeper.storage.artifacts.store import sha256_of_chunks

if TYPE_CHECKING:
    from watchkeeper.training.retrain_attempt import AttemptInputs


def attempt_lineage(
    inputs: AttemptInputs,
    config: WorkspaceConfig,
    *,
    threshold: Mapping[str, Any],
    evaluation: Mapping[str, object],
    champion: LoadedVersion | None,
    trigger: str,
    workspace_root: Path,
) -> Lineage:
    """The lineage of the version trained on ``inputs``; ``threshold`` is its decision
    record and ``evaluation`` its holdout metrics."""
    window = inputs.window
    frame = pl.concat([window.train, window.validation, window.holdout], how="vertical_relaxed")
    spec_sha256 = (
        sha256_of_chunks([inputs.feature_spec]) if inputs.feature_spec is not None else None
    )
    slices = window.counts()
    positives = (
        sum(part["positives"] for part in slices.values()) if window.task == "binary" else None
    )
    return Lineage(
        data=DataLineage(
            table_versions=dict(inputs.table_versions),
            window_start=window.start.isoformat(),
            window_end=window.window_end.isoformat(),
            maturity_cutoff=window.cutoff.isoformat(),
            rows=frame.height,
            positives=positives,
            frame_sha256=frame_content_hash(frame, key=[inputs.event_id]),
            as_of=window.as_of.isoformat(),
            slices=slices,
            provisional_labels=(
                window.provisional.describe() if window.provisional is not None else None
            ),
            sample=window.sample,
        ),
        code=code_lineage(workspace_root, spec_sha256),
        environment=environment_lineage(),
        trainer=config.training.trainer,
        hyperparameters=dict(config.training.parameters),
        seed=config.training.seed,
        threshold=dict(threshold),
        evaluation=dict(evaluation),
        parent_version=champion.version if champion is not None else None,
        trigger=trigger,
    )


__all__ = ["attempt_lineage"]
