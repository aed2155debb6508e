"""What the steps of one retraining attempt share, whatever the model's task.

:func:`~watchkeeper.training.retrain_attempt.run_retrain_attempt` hands an
:class:`AttemptContext` to the binary steps or to
:func:`~watchkeeper.training.task_attempt.train_task_version`; both end with
:meth:`AttemptContext.register_candidate`, which registers the new version, with the lineage
of its training window, as a ``candidate`` (the caller sets its status).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.config import WorkspaceConfig
from watchkeeper.modeling.task_models import TaskModel
from watchkeeper.registry.registry import CANDIDATE, LoadedVersion, ModelRegistry
from watchkeeper.training.attempt_lineage import attempt_lineage

if TYPE_CHECKING:
    from watchkeeper.training.retrain_attempt import AttemptInputs


@dataclass(frozen=True)
class AttemptContext:
    """One attempt as its steps see it.

    ``champion`` is the loaded champion (None for the first version); ``validate=False``
    skips the gate; ``progress`` is told each long step's name and ``stage`` each attempt
    stage as it starts, so a refusal is recorded at the right one.
    """

    registry: ModelRegistry
    inputs: AttemptInputs
    config: WorkspaceConfig
    champion: LoadedVersion | None
    trigger: str
    validate: bool
    workspace_root: Path
    actor: str
    progress: Callable[[str], None]
    stage: Callable[[str], None]
    champion_degraded: str | None = None
    """Why the champion counts as degraded (the retrain policy's word), or None."""

    @property
    def degraded(self) -> str | None:
        """:attr:`champion_degraded` when the workspace lets an undecided gate act on it
        (``retraining.when_undecided: fresher_if_degraded``), else None."""
        if self.config.retraining.when_undecided != "fresher_if_degraded":
            return None
        return self.champion_degraded

    @property
    def champion_version(self) -> int | None:
        """The champion's version number, None when there is none."""
        return self.champion.version if self.champion is not None else None

    def register_candidate(
        self,
        model: TaskModel,
        *,
        threshold_record: Mapping[str, Any],
        evaluation: Mapping[str, object],
        metrics: Mapping[str, Any],
        reference_profile_sha256: str | None,
        **manifest: Any,
    ) -> LoadedVersion:
        """Register ``model`` (trained on the window's training slice) as a ``candidate``.

        ``threshold_record`` is its decision record and ``evaluation`` its holdout metrics
        in the lineage; ``manifest`` holds what else
        :meth:`~watchkeeper.registry.registry.ModelRegistry.register` takes (``threshold``,
        ``calibrator``, ``decision``, ``estimator``).
        """
        inputs = self.inputs
        return self.registry.register(
            model,
            feature_schema=inputs.window.train.select(list(inputs.feature_names)).schema,
            feature_spec=inputs.feature_spec,
            reference_profile_sha256=reference_profile_sha256,
            metrics=metrics,
            lineage=attempt_lineage(
                inputs,
                self.config,
                threshold=threshold_record,
                evaluation=evaluation,
                champion=self.champion,
                trigger=self.trigger,
                workspace_root=self.workspace_root,
            ),
            status=CANDIDATE,
            created_by=self.actor,
            **manifest,
        )


__all__ = ["AttemptContext"]
