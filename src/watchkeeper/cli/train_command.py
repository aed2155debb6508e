"""``watchkeeper train`` and ``watchkeeper retrain``: one training attempt, by hand.

Both build the inputs with :mod:`watchkeeper.training.pipeline` and run
:func:`~watchkeeper.training.retrain_attempt.run_retrain_attempt`; ``train`` registers without
the gate (the first version becomes champion, later ones candidates), ``retrain`` validates
against the champion (passing makes the new version ``challenger``). Every attempt is
recorded in the audit log. An attempt refused on its input (no outcomes, an empty window, a
schema change, a trainer that raised) prints one line on stderr and exits with code 2; a
version the gate turns down is an honest result, exit 0, ``accepted: false``; so is an
attempt whose holdout cannot decide (too few positives, too little power): ``outcome:
undecided``, "not enough matured positives until DATE".
The metrics printed are the task's (``model.task``): business value, PR AUC, recall,
precision and flag rate of a binary model; business value, macro F1, accuracy and weighted F1
of a multiclass one; business value, MAE, RMSE, R² and bias of a regression one. A model
served outside watchkeeper (``model.serving: external``) is refused with exit code 2: its
team retrains it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from watchkeeper.cli.app import EXIT_USER_ERROR, JsonOption, WorkspaceOption, app
from watchkeeper.cli.engine_option import EngineOption, compute_config
from watchkeeper.cli.output import emit_json, format_number, stderr, stdout
from watchkeeper.clock import parse_instant

if TYPE_CHECKING:
    from watchkeeper.config import SparkConfig
    from watchkeeper.training.attempts import RetrainAttempt
    from watchkeeper.workspace import Workspace

SHOWN_METRICS = {
    "binary": ("business_value", "pr_auc", "recall", "precision", "flag_rate"),
    "multiclass": ("business_value", "macro_f1", "accuracy", "weighted_f1"),
    "regression": ("business_value", "mae", "rmse", "r2", "bias"),
}
"""The holdout metrics each task's attempt prints, in order."""


def parse_as_of(text: str | None) -> datetime | None:
    """The ``--as-of`` time (see :func:`~watchkeeper.clock.parse_instant`), or None for now.

    >>> parse_as_of("2025-07-01")
    datetime.datetime(2025, 7, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    return None if text is None else parse_instant("--as-of", text)


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="TIME",
        help=(
            "Train as of this ISO date/time: only events up to it and outcomes received by it. "
            "Default: the newest transaction's time (never after the workspace clock's now)."
        ),
    ),
]


@app.command()
def train(
    as_of: AsOfOption = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """Train a version by hand: the first becomes champion, later ones candidates."""
    from watchkeeper.training.attempt_runner import check_trained_here
    from watchkeeper.workspace import Workspace as OpenWorkspace

    with OpenWorkspace.open(workspace) as opened:
        check_trained_here(opened.config.model)
        moment = _run_as_of(opened, as_of)
        attempt, document = _run(
            opened,
            moment,
            trigger="manual: watchkeeper train",
            validate=False,
            spark=_spark(workspace, engine),
        )
    _report(attempt, document, json_output)


@app.command()
def retrain(
    reason: Annotated[
        str | None,
        typer.Option(help="Why, for the record; without it the retrain policy decides."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Train even when the policy says no.")
    ] = False,
    as_of: AsOfOption = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """Run one retraining attempt validated against the champion, and print its record."""
    from watchkeeper.training.attempt_runner import check_trained_here
    from watchkeeper.training.policy_check import consult_workspace_policy
    from watchkeeper.workspace import Workspace as OpenWorkspace

    with OpenWorkspace.open(workspace) as opened:
        check_trained_here(opened.config.model)
        moment = _run_as_of(opened, as_of)
        if reason is not None:
            trigger = f"manual: {reason}"
        else:
            decision = consult_workspace_policy(opened, as_of=moment)
            if not decision.retrain and not force:
                _report_skipped(decision.reason, decision.trigger, decision.evidence, json_output)
                return
            trigger = (
                decision.reason
                if decision.retrain
                else f"manual: watchkeeper retrain --force (policy: {decision.reason})"
            )
        attempt, document = _run(
            opened, moment, trigger=trigger, validate=True, spark=_spark(workspace, engine)
        )
    _report(attempt, document, json_output)


def _run_as_of(workspace: Workspace, text: str | None) -> datetime:
    """Resolve the as-of moment and run the rest of the command on it, in event time.

    Versions, status changes and attempts are then recorded at the as-of moment, so the
    retrain policy's cooldown compares like with like on a replayed history too. Must run
    before the metadata store is first opened (it takes the workspace's clock then).
    """
    from watchkeeper.clock import EventTimeClock
    from watchkeeper.training.attempt_runner import default_as_of

    moment = parse_as_of(text)
    if moment is None:
        moment = default_as_of(workspace)
    workspace.clock = EventTimeClock(moment)
    return moment


def _spark(root: Path, engine: str | None) -> SparkConfig | None:
    """The Spark settings when the batch engine (``--engine``, else the workspace's) is spark."""
    compute = compute_config(root, engine)
    return compute.spark if compute.engine == "spark" else None


def _run(
    workspace: Workspace,
    as_of: datetime | None,
    *,
    trigger: str,
    validate: bool,
    spark: SparkConfig | None = None,
) -> tuple[RetrainAttempt, dict[str, Any]]:
    from watchkeeper.training.attempt_runner import run_training_attempt

    with stderr.status("preparing the training data") as status:

        def progress(step: str) -> None:
            status.update(f"{step}...")

        run = run_training_attempt(
            workspace,
            trigger=trigger,
            validate=validate,
            as_of=as_of,
            progress=progress,
            spark=spark,
        )
    return run.attempt, run.document()


def _report(attempt: RetrainAttempt, document: dict[str, Any], json_output: bool) -> None:
    refused = "error" in attempt.evidence and not attempt.undecided
    if json_output:
        emit_json({"started": True, **document, **attempt.to_dict()})
    elif not refused:
        version = attempt.challenger_version
        verdict = {
            "accepted": "[green]accepted[/]",
            "undecided": "[yellow]undecided[/]",
        }.get(attempt.outcome, "[bold red]not accepted[/]")
        where = f"version {version} ({document['status']})" if version is not None else "no version"
        stdout.print(f"{document['model']}: attempt {verdict}, {where}")
        stdout.print(f"  reason: {escape(attempt.reason)}")
        stdout.print(f"  trigger: {escape(attempt.trigger)}")
        for side in ("champion", "challenger"):
            metrics = getattr(attempt, f"{side}_metrics")
            if metrics:
                shown = ", ".join(
                    f"{name} {format_number(metrics.get(name))}"
                    for name in SHOWN_METRICS[document.get("task", "binary")]
                )
                stdout.print(f"  {side}: {shown}")
    if refused:
        stderr.print(f"[bold red]error:[/] {escape(attempt.summary)}", highlight=False)
        raise typer.Exit(EXIT_USER_ERROR)


def _report_skipped(
    reason: str, trigger: str | None, evidence: dict[str, Any], json_output: bool
) -> None:
    if json_output:
        emit_json({"started": False, "reason": reason, "trigger": trigger, "evidence": evidence})
        return
    stdout.print(f"no retraining: {escape(reason)} (pass --reason or --force to train anyway)")


__all__ = ["SHOWN_METRICS", "parse_as_of", "retrain", "train"]
